// The core suite: how fast one logical node moves events through the local data plane.
//   asciisynth (100-byte bodies) -> null          target >= 5,000,000 events/s
//   a text file -> { value => { regex => text } }  target >= 1,000,000 events/s
// Each measurement runs in a fresh process (see runSpecInChild).
// Against: the physical limit (copying the same bytes with cp) and a peer doing comparable work on
// the same file (sed applying the same regex), run side by side in this process's machine.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bestOf, cpuPerEvent, type Row, runSpecInChild } from './harness.js';

function timeCommand(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], shell: false });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export async function benchCore(): Promise<Row[]> {
  const rows: Row[] = [];
  const N = 10_000_000;
  const synth = await bestOf(3, () => runSpecInChild(`b : asciisynth(${N}, 100) | null ;`));
  rows.push({
    suite: 'core',
    name: 'asciisynth(100 B) -> null',
    value: synth.events / synth.seconds,
    unit: 'events/s',
    note: `${N.toLocaleString('en-US')} events, best of 3; ${cpuPerEvent(synth.runs).toFixed(1)} ns CPU/event (median of 3); target 5,000,000`,
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
