import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fileChannel } from '../../src/channels/file.js';
import { SiteConfig } from '../../src/core/config.js';
import { memoryLogger } from '../../src/core/logger.js';
import { tempDir } from '../support/tmp.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const writer = join(repo, 'test', 'fixtures', 'file-channel-writer.ts');
const root = tempDir('kill');

interface Run {
  put: number;
  taken: number;
  exit: NodeJS.Signals | null;
}

/**
 * Runs the writer until it reports `enough` of what the test needs (on a slow machine that takes longer,
 * never less), then SIGKILLs it after a random 0-50 ms: the writer does not wait for its reports to be
 * read, so the kill lands somewhere in the next transactions or checkpoints (every 50 ms).
 */
function runAndKill(dir: string, mixed: boolean, enough: (run: Run) => boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, ...(mixed ? ['mixed'] : [])], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { put: 0, taken: 0, exit: null };
    let killing = false;
    let buf = '';
    let err = '';
    // Against a hung writer only: tsx compiling it on a loaded machine alone can take tens of seconds.
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const [kind, value] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (kind === 'P') run.put = Number(value);
        if (kind === 'T') run.taken = Number(value);
        if (!killing && enough(run)) {
          killing = true;
          setTimeout(() => child.kill('SIGKILL'), Math.random() * 50);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      run.exit = signal;
      if (signal !== 'SIGKILL') reject(new Error(`writer ended without being killed: ${err}`));
      else resolve(run);
    });
  });
}

async function reopenAndDrain(dir: string): Promise<number[]> {
  const ch = fileChannel.create(
    {
      checkpointDir: join(dir, 'checkpoint'),
      dataDirs: join(dir, 'data'),
      capacity: '10000000',
      transactionCapacity: '1000',
      maxFileSize: '262144',
      minimumRequiredSpace: '0',
      'keep-alive': '0.05',
    },
    { name: 'crash', config: SiteConfig.defaults(), logger: memoryLogger() },
  );
  await ch.start();
  const out: number[] = [];
  for (let i = 0; i < 100_000 && ch.size > 0; i++) {
    const tx = ch.transaction();
    tx.begin();
    const got = await tx.take(1000);
    await tx.commit();
    tx.close();
    for (const e of got) out.push(Number(e.body.toString()));
  }
  await ch.stop();
  return out;
}

/** Events the child committed (by its own report) that are missing, and events seen twice. */
function audit(seqs: number[], from: number, committedTo: number): { lost: number; duplicated: number } {
  const seen = new Set<number>();
  let duplicated = 0;
  for (const s of seqs) {
    if (seen.has(s)) duplicated++;
    seen.add(s);
  }
  let lost = 0;
  for (let s = from; s < committedTo; s++) if (!seen.has(s)) lost++;
  return { lost, duplicated };
}

describe('file channel survives SIGKILL', () => {
  it('keeps every committed put exactly once and in order', async () => {
    const dir = join(root, 'puts');
    const run = await runAndKill(dir, false, (r) => r.put >= 5000);
    assert.ok(run.put >= 5000, `only ${run.put} events committed before the kill`);
    assert.equal(run.exit, 'SIGKILL');
    const seqs = await reopenAndDrain(dir);
    const { lost, duplicated } = audit(seqs, 0, run.put);
    assert.equal(lost, 0, 'lost');
    assert.equal(duplicated, 0, 'duplicated');
    // In order, starting at 0; anything beyond the last report is whole transactions that committed
    // before the kill landed.
    assert.equal(
      seqs.findIndex((s, i) => s !== i),
      -1,
      'out of order',
    );
    assert.ok(
      seqs.length >= run.put && seqs.length % 1000 === 0,
      `${seqs.length} events after ${run.put} reported`,
    );
  });

  it('also replays committed takes: nothing taken comes back, nothing put is lost', async () => {
    const dir = join(root, 'mixed');
    const run = await runAndKill(dir, true, (r) => r.taken >= 1000);
    assert.ok(run.taken >= 1000, `only ${run.taken} events taken before the kill`);
    const seqs = await reopenAndDrain(dir);
    const start = seqs[0]!;
    // Committed takes removed a prefix; one more take may have committed after the last report.
    assert.ok(
      start >= run.taken && start <= run.taken + 500 && start % 500 === 0,
      `start ${start}, taken ${run.taken}`,
    );
    const { lost, duplicated } = audit(seqs, start, run.put);
    assert.equal(lost, 0, 'lost');
    assert.equal(duplicated, 0, 'duplicated');
    assert.equal(
      seqs.findIndex((s, i) => s !== start + i),
      -1,
      'out of order',
    );
    assert.ok(seqs.length % 500 === 0);
  });
});
