// Real processes for multi-process tests: `sluice` from source, the Avro sender fixture, and what
// their output says.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { AvroReceiver } from './avro-receiver.js';
import { waitFor } from './wait.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'sluice.js');
const SENDER = join(ROOT, 'test', 'fixtures', 'avro-sender.ts');

/** Collects a child's stderr (and stdout) as text, for waiting on lines and for failure messages. */
export function output(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    text += d;
  });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    text += d;
  });
  return { text: () => text };
}

export function sluice(args: string[], cwd: string): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLUICE_FROM_SOURCE: '1' },
  });
}

export function sender(port: number, total: number, rate: number): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', SENDER, String(port), String(total), '100', String(rate)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

export interface Ran {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `sluice shell ARGS` with `stdin` piped in (no token from the environment); its status and output. */
export function shell(args: string[], cwd: string, stdin = ''): Promise<Ran> {
  const child = spawn(process.execPath, [BIN, 'shell', ...args], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, SLUICE_FROM_SOURCE: '1', SLUICE_MASTER_TOKEN: '' },
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  child.stdin.end(stdin);
  return exited(child).then((code) => ({ code, out, err }));
}

/**
 * The port a source listens on, from the child's start-up line (`<source>: listening on host:port`;
 * `source` is `<node>/<source>` for a node, `source <name>` for an agent), once it is there. Start
 * listeners on port 0 and read the port here: a port found free and bound later by a slow-starting
 * process may be taken in between by another test's connection, and a probe of a fixed port may be
 * answered by whoever holds it. With `port` given (a restart on the port it had), the line must name
 * it. A child that ends instead fails at once.
 */
export async function listeningPort(
  child: ChildProcess,
  text: () => string,
  source: string,
  port = 0,
): Promise<number> {
  const line = new RegExp(`\\b${source}: listening on \\S+:(\\d+)`);
  await waitFor(
    () => line.test(text()) || child.exitCode !== null || child.signalCode !== null,
    () => `${source} listening:\n${text()}`,
    // Process start-up on a loaded machine (and inside a network namespace) can take tens of seconds.
    60_000,
    20,
  );
  const m = line.exec(text());
  if (!m) throw new Error(`${source} ended instead of listening:\n${text()}`);
  const bound = Number(m[1]);
  if (port !== 0 && bound !== port) throw new Error(`${source} listens on ${bound}, not ${port}`);
  return bound;
}

export function exited(child: ChildProcess): Promise<number | null> {
  // 'exit' can come before the last output was read from the pipes; 'close' comes after both. A
  // grandchild holding the pipes open must not hang the test: the exit alone counts after 5 s.
  const pipesDone = () => [child.stdout, child.stderr].every((s) => s == null || s.closed || s.destroyed);
  // A child killed by a signal has exitCode null and signalCode set: it has exited all the same.
  const over = () => child.exitCode !== null || child.signalCode !== null;
  if (over() && pipesDone()) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('close', () => resolve(child.exitCode));
    const late = () => setTimeout(() => resolve(child.exitCode), 5_000).unref();
    if (over()) late();
    else child.once('exit', late);
  });
}

/** Indices `e<i>` of the bodies a receiver got, split by whether they carry `reload=v2`. */
export function byHeader(r: AvroReceiver): { plain: number[]; tagged: number[] } {
  const plain: number[] = [];
  const tagged: number[] = [];
  for (const [body, h] of r.headers) (h.reload === 'v2' ? tagged : plain).push(Number(body.slice(1)));
  return { plain: plain.sort((a, b) => a - b), tagged: tagged.sort((a, b) => a - b) };
}
