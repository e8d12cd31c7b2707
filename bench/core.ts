// The core suite: how fast one logical node moves events through the local data plane.
//   asciisynth (100-byte bodies) -> null          target >= 5,000,000 events/s
//   a text file -> { value => { regex => text } }  target >= 1,000,000 events/s
// Each measurement runs in a fresh process (see runSpecInChild).
// Against: the physical limit (copying the same bytes with cp) and a peer doing comparable work on
// the same file (sed applying the same regex), run side by side in this process's machine.
// SLUICE_BENCH_BASELINE=<another checkout, npm ci done> also runs the synth spec there, alternating with
// this checkout's runs, and notes both medians: on a shared machine only figures taken in the same
// window compare.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bestOf, cpuPerEvent, type Row, runSpecInChild } from './harness.js';

function timeCommand(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], shell: false });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Runs `spec` with the code of the checkout at `dir`, in a fresh process (bench/run-spec-at.ts). */
function runSpecAt(dir: string, spec: string): { events: number; seconds: number; cpuSeconds: number } {
  const driver = new URL('./run-spec-at.ts', import.meta.url).pathname;
  const out = execFileSync(process.execPath, ['--import', 'tsx', driver, dir, spec], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { events: number; seconds: number; cpuSeconds: number };
}

/**
 * Alternates fresh-process runs of `spec` with this checkout's code and `dir`'s (which goes first
 * changes every pair) and gives both medians: rate, and CPU per event (steadier when the machine is busy).
 */
export function compareWith(dir: string, spec: string, pairs = 8): string {
  const rev = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const here = resolve('.');
  const runs: Record<'base' | 'here', { rate: number[]; ns: number[] }> = {
    base: { rate: [], ns: [] },
    here: { rate: [], ns: [] },
  };
  for (let i = 0; i < pairs; i++) {
    for (const side of i % 2 === 0 ? (['base', 'here'] as const) : (['here', 'base'] as const)) {
      const r = runSpecAt(side === 'base' ? dir : here, spec);
      runs[side].rate.push(r.events / r.seconds);
      runs[side].ns.push((r.cpuSeconds * 1e9) / r.events);
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const h = s.length >> 1;
    return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
  };
  const pct = (a: number[], b: number[]) => {
    const p = (median(a) / median(b) - 1) * 100;
    return `${p >= 0 ? '+' : ''}${p.toFixed(0)}%`;
  };
  const { here: h, base: b } = runs;
  return (
    `vs ${rev} in the same window (${pairs} alternating runs each, medians): ` +
    `${(median(h.rate) / 1e6).toFixed(1)} vs ${(median(b.rate) / 1e6).toFixed(1)} M/s (${pct(h.rate, b.rate)}), ` +
    `${median(h.ns).toFixed(1)} vs ${median(b.ns).toFixed(1)} ns CPU/event (${pct(h.ns, b.ns)})`
  );
}

export async function benchCore(): Promise<Row[]> {
  const rows: Row[] = [];
  const N = 10_000_000;
  const synth = await bestOf(3, () => runSpecInChild(`b : asciisynth(${N}, 100) | null ;`));
  const baseline = process.env.SLUICE_BENCH_BASELINE;
  const against = baseline ? `; ${compareWith(baseline, `b : asciisynth(${N}, 100) | null ;`)}` : '';
  rows.push({
    suite: 'core',
    name: 'asciisynth(100 B) -> null',
    value: synth.events / synth.seconds,
    unit: 'events/s',
    note: `${N.toLocaleString('en-US')} events, best of 3; ${cpuPerEvent(synth.runs).toFixed(1)} ns CPU/event (median of 3); target 5,000,000${against}`,
  });

  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  try {
    const lines = 6_000_000;
    const input = join(dir, 'in.log');
    const out = join(dir, 'out.log');
    const sample = Array.from(
      { length: 1000 },
      (_, i) =>
        `10.0.${i % 250}.${i % 199} - - [26/Nov/2026:10:00:${String(i % 60).padStart(2, '0')} +0000] "GET /item/${i} HTTP/1.1" ${i % 13 === 0 ? 404 : 200} ${1000 + i}`,
    ).join('\n');
    writeFileSync(input, `${Array.from({ length: lines / 1000 }, () => sample).join('\n')}\n`);
    // Flush the freshly written input so the runs do not compete with its writeback.
    execFileSync('sync');
    const bytes = statSync(input).size;
    const spec = `b : text("${input}") | { value("dc", "eu1") => { regex("\\" (\\\\d{3}) ", 1, "status") => text("${out}") } } ;`;
    const chain = await bestOf(3, () => {
      execFileSync('sync');
      return runSpecInChild(spec);
    });
    const cp = Math.min(...[0, 1, 2].map(() => timeCommand('cp', [input, join(dir, 'copy.log')])));
    const sed = Math.min(
      ...[0, 1].map(() =>
        timeCommand('sh', ['-c', `sed -E 's/" ([0-9]{3}) /" \\1 /' "${input}" > "${join(dir, 'sed.log')}"`]),
      ),
    );
    // The pump's rate after the first second: a logical node runs for days, not for a JIT warm-up.
    const rate = chain.steadyRate;
    rows.push({
      suite: 'core',
      name: 'text -> { value => { regex => text } }',
      value: rate,
      unit: 'events/s',
      ratio: { against: 'sed -E with the same regex', value: rate / (lines / sed) },
      note: `${lines.toLocaleString('en-US')} lines of ${Math.round(bytes / lines)} B, rate after 1 s of warm-up (whole run ${Math.round(chain.events / chain.seconds).toLocaleString('en-US')}/s); ${cpuPerEvent(chain.runs).toFixed(0)} ns CPU/event (median of 3); target 1,000,000`,
    });
    rows.push({
      suite: 'core',
      name: 'same file through the chain',
      value: ((bytes / lines) * rate) / 2 ** 20,
      unit: 'MiB/s',
      ratio: { against: 'cp of the same file (physical limit)', value: bytes / chain.seconds / (bytes / cp) },
    });
    rows.push({ suite: 'core', name: 'peer: sed -E (same regex)', value: lines / sed, unit: 'lines/s' });
    rows.push({
      suite: 'core',
      name: 'limit: cp of the same file',
      value: bytes / cp / 2 ** 20,
      unit: 'MiB/s',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
