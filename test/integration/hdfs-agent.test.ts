// The NG hdfs sink in an agent, against a WebHDFS server that follows the documented REST contract
// (test/mocks/webhdfs.ts: no HDFS can run on these machines), and against the local file system.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SluiceError } from '../../src/core/errors.js';
import { Agent } from '../../src/flow/agent/agent.js';
import { builtinAgentCatalog } from '../../src/flow/agent/catalog.js';
import { SeqfileReader } from '../../src/formats/seqfile.js';
import { testContext } from '../mocks/sinks.js';
import { FakeWebHdfs } from '../mocks/webhdfs.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const ctx = () => testContext({ nodeName: 'a1' });

function conf(path: string, extra: string[]): string {
  return [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    'a1.sources.r1.type = seq',
    'a1.sources.r1.totalEvents = 1000',
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    'a1.sinks.k1.type = hdfs',
    'a1.sinks.k1.channel = c1',
    `a1.sinks.k1.hdfs.path = ${path}`,
    'a1.sinks.k1.hdfs.filePrefix = events-',
    ...extra,
  ].join('\n');
}

async function runUntil(agent: Agent, done: () => boolean): Promise<void> {
  await agent.start();
  // A deadline, not a count of polls: on a loaded machine each poll (a directory read) takes longer.
  // The caller's assertions say what was missing when it passes.
  for (const end = Date.now() + 30_000; !done() && Date.now() < end; )
    await new Promise((r) => setTimeout(r, 20));
  await agent.stop();
}

test('hdfs sink over WebHDFS: DataStream files rolled every 100 events, all renamed, every event once', async () => {
  const hdfs = await FakeWebHdfs.start();
  try {
    const agent = Agent.fromText(
      conf(hdfs.uri('/flume/%Y'), [
        'a1.sinks.k1.hdfs.fileType = DataStream',
        'a1.sinks.k1.hdfs.rollCount = 100',
        'a1.sinks.k1.hdfs.rollSize = 0',
      ]),
      'a.conf',
      'a1',
      builtinAgentCatalog(),
      ctx(),
    );
    const year = String(new Date().getUTCFullYear());
    const files = () => {
      try {
        return readdirSync(hdfs.local(`/flume/${year}`));
      } catch {
        return [];
      }
    };
    const lines = () =>
      files()
        .filter((f) => !f.startsWith('.'))
        .flatMap((f) => hdfs.read(`/flume/${year}/${f}`).toString().split('\n').filter(Boolean));
    await runUntil(agent, () => lines().length >= 1000);
    const all = lines();
    assert.equal(all.length, 1000);
    assert.equal(new Set(all).size, 1000, 'duplicated events');
    assert.deepEqual(
      files().filter((f) => f.startsWith('.')),
      [],
      'files left under their temporary name',
    );
    assert.ok(files().length >= 10, `expected rolls every 100 events, got ${files().length} files`);
    assert.ok(files().every((f) => f.startsWith('events-')));
    assert.ok(hdfs.count('RENAME') >= 10);
  } finally {
    await hdfs.stop();
  }
});

test('hdfs sink on a local path: SequenceFiles readable by the seqfile reader', async () => {
  const dir = tempDir('hdfs-local');
  const agent = Agent.fromText(
    conf(dir, ['a1.sinks.k1.hdfs.rollCount = 0', 'a1.sinks.k1.hdfs.rollSize = 0']),
    'a.conf',
    'a1',
    builtinAgentCatalog(),
    ctx(),
  );
  await agent.start();
  try {
    await waitFor(
      () => agent.totals().sinks.reduce((n, s) => n + s.delivered, 0) >= 1000,
      'the sink to take all 1000 events',
    );
  } finally {
    // Stopped even when the wait fails: a running agent would keep the test file alive.
    await agent.stop();
  }
  const files = readdirSync(dir).filter((f) => !f.startsWith('.'));
  assert.equal(files.length, 1);
  const reader = new SeqfileReader(files[0]!);
  reader.push(readFileSync(join(dir, files[0]!)));
  const events = [];
  for (let e = reader.next(); e !== undefined; e = reader.next()) events.push(e);
  assert.deepEqual(events.map((e) => e.body.toString()).slice(0, 3), ['0', '1', '2']);
  assert.equal(events.length, 1000);
});

test('hdfs sink: a bad fileType names the key', () => {
  assert.throws(
    () =>
      Agent.fromText(
        conf('/tmp/x', ['a1.sinks.k1.hdfs.fileType = Parquet']),
        'a.conf',
        'a1',
        builtinAgentCatalog(),
        ctx(),
      ),
    (e: unknown) =>
      e instanceof SluiceError &&
      /^a\.conf:12: a1\.sinks\.k1\.hdfs\.fileType: .*must be one of SequenceFile, DataStream, CompressedStream, got "Parquet"$/.test(
        e.oneLine(),
      ),
  );
});
