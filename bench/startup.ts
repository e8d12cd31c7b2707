// The `startup` suite: wall time from exec to exit of short commands, as a user at a prompt feels it,
// beside `node -e 0` (Node's own start-up, the floor). The compiled CLI (dist/cli, what `npm ci`
// installs) and the TypeScript run through tsx (SLUICE_FROM_SOURCE=1) are measured in the same rounds.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from './harness.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'sluice.js');
const ROUNDS = 21;
const WARMUP = 2;

interface Case {
  name: string;
  args: string[];
  env?: Record<string, string>;
}

const VALIDATE = ['validate', '-e', 'n : console | console ;'];
const CASES: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'sluice help (compiled)', args: [BIN, 'help'] },
  { name: 'sluice validate -e SPEC (compiled)', args: [BIN, ...VALIDATE] },
  { name: 'sluice help (tsx)', args: [BIN, 'help'], env: { SLUICE_FROM_SOURCE: '1' } },
  { name: 'sluice validate -e SPEC (tsx)', args: [BIN, ...VALIDATE], env: { SLUICE_FROM_SOURCE: '1' } },
];

/**
 * CPU seconds (user + system) of this process's waited-for children, from /proc/self/stat (Linux):
 * unlike wall time, it does not grow when other work on the machine takes the cores.
 */
function childrenCpuMs(): number | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; cutime, cstime are 16, 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const TICKS_PER_SECOND = 100;
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND;
}

function timeOnce(c: Case): { wall: number; cpu: number | undefined } {
  const cpu0 = childrenCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.args, {
    cwd: ROOT,
    env: { ...process.env, ...c.env },
    encoding: 'utf8',
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu1 = childrenCpuMs();
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
  return { wall, cpu: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export async function benchStartup(): Promise<Row[]> {
  // Measure the code as it is now: a stale build would silently measure tsx instead.
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  const times = CASES.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  // Round-robin, so a burst of load from elsewhere on the machine hits every case alike.
  for (let round = 0; round < WARMUP + ROUNDS; round++)
    CASES.forEach((c, i) => {
      const t = timeOnce(c);
      if (round < WARMUP) return;
      times[i]!.wall.push(t.wall);
      if (t.cpu !== undefined) times[i]!.cpu.push(t.cpu);
    });
  const floor = median(times[0]!.wall);
  return CASES.map((c, i) => {
    const value = median(times[i]!.wall);
    const cpu = times[i]!.cpu.length > 0 ? `, CPU ${Math.round(median(times[i]!.cpu))} ms` : '';
    return {
      suite: 'startup',
      name: c.name,
      value,
      unit: 'ms',
      ...(i > 0 ? { ratio: { against: 'node -e 0', value: value / floor } } : {}),
      note: `median of ${ROUNDS} runs${cpu}${c.env ? ', warm tsx cache' : ''}`,
    };
  });
}
