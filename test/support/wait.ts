import { connect } from 'node:net';

/**
 * Waiting for a condition instead of for a time: a test polls what it expects with a bounded deadline,
 * so a slow machine only makes it slower, never wrong.
 */

/**
 * Resolves once `cond()` is true (checked every `everyMs`); rejects after `timeoutMs` with an error
 * naming `what` (a function is called then, to show the state at the deadline). `cond` may be async.
 */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 30_000,
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() >= deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves with the output of a growing stream once `re` matches it; rejects on timeout or close. */
export function waitForOutput(
  stream: NodeJS.ReadableStream,
  re: RegExp,
  what: string,
  timeoutMs = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve(seen);
    };
    const onData = (d: Buffer | string) => {
      seen += d.toString();
      if (re.test(seen)) done();
    };
    const onClose = () => done(new Error(`the stream closed before ${what}; it held:\n${seen}`));
    const timer = setTimeout(
      () => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output so far:\n${seen}`)),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.on('close', onClose);
  });
}

/** True when something accepts TCP connections on 127.0.0.1:port now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1', () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

/** Resolves once 127.0.0.1:port accepts connections. */
export function waitForPort(
  port: number,
  what = `a listener on port ${port}`,
  // A process starting on a busy CI machine (tsx compiling, JVMs beside it) can take tens of seconds.
  timeoutMs = 60_000,
): Promise<void> {
  return waitFor(() => accepts(port), what, timeoutMs, 50);
}
