// A `sluice node -1` or `sluice agent` started with its status page, for the web tests: the process, the
// page's base URL read from its start-up line, and reads of its endpoints.
import type { ChildProcess } from 'node:child_process';
import { exited, output, sluice } from './processes.js';
import { waitFor, waitForOutput } from './wait.js';

export interface StatusNode {
  child: ChildProcess;
  base: string;
  log: () => string;
  /** SIGTERM, then the exit status. */
  stop(): Promise<number | null>;
}

export async function startWithStatusPage(args: string[], cwd: string): Promise<StatusNode> {
  const child = sluice(args, cwd);
  // Taken at once: a child killed by a test has exitCode null and no second 'exit' to wait for.
  const ended = exited(child);
  const log = output(child);
  const seen = await waitForOutput(
    child.stderr!,
    /status page on (https?:\/\/\S+\/)/,
    'the status page line',
    30_000,
  );
  const base = /status page on (https?:\/\/\S+\/)/.exec(seen)![1]!;
  // A master serves its page before its control ports open: a shell started now would be refused.
  if (args[0] === 'master')
    await waitFor(
      () => /master listening on/.test(log.text()),
      () => `the master's control ports:\n${log.text()}`,
      60_000,
    );
  return {
    child,
    base,
    log: log.text,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return ended;
    },
  };
}

/** One figure of a component in the node's `/api/report`: `field` of the component named `name`. */
export async function componentFigure(
  base: string,
  pipeline: string,
  name: string,
  field: 'eventsIn' | 'eventsOut' | 'errors',
): Promise<number> {
  const r = (await (await fetch(new URL('/api/report', base))).json()) as {
    pipelines: {
      name: string;
      components: { name: string; eventsIn: number; eventsOut: number; errors: number }[];
    }[];
  };
  const c = r.pipelines.find((p) => p.name === pipeline)?.components.find((x) => x.name === name);
  return c ? c[field] : 0;
}
