import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { exited } from './processes.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');

export interface Ran {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `sluice shell ARGS` with `stdin` piped in; resolves with its status and output. */
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
