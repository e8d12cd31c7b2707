// `sluice node -1` with an end-to-end sink and a finite source: it exits once every group is
// acknowledged, or after flume.agent.ack.close.timeout saying how many are not; those stay in the log
// and are sent when the node starts again.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { exited, listeningPort, output, sluice } from '../support/processes.js';
import { writeSiteConf } from '../support/site-conf.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

function siteConf(dir: string): string {
  return writeSiteConf(dir, {
    'flume.agent.logdir': join(dir, 'logdir'),
    'flume.agent.logdir.maxage': '200',
    'flume.agent.ack.poll': '100',
    // The nodes that reach their collector must see every ack before this: 6 s leaves room on a loaded
    // machine (the lonely node waits it out once).
    'flume.agent.ack.close.timeout': '6000',
    'flume.collector.output.format': 'raw',
  });
}

/**
 * A collector on `port` (0: one the kernel picks, free of races with other tests) writing raw lines
 * under `out` (rolled every 200 ms), killed when the test ends; resolves with its port once it listens.
 */
async function startCollector(
  t: { after(fn: () => void): void },
  dir: string,
  conf: string,
  port: number,
  out: string,
): Promise<number> {
  const spec = `collector : collectorSource(${port}) | collectorSink("file://${out}", "d-", 200) ;`;
  const collector = sluice(['node', '-1', '--conf', conf, '-e', spec], dir);
  const said = output(collector);
  t.after(() => collector.kill('SIGKILL'));
  return listeningPort(collector, said.text, 'collector/collectorSource', port);
}

function lines(out: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(out).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
  return names.flatMap((n) => readFileSync(join(out, n), 'utf8').split('\n').filter(Boolean));
}

test('a drained E2E node with no collector exits 1 naming its unacknowledged groups; the next start sends them', async (t) => {
  const dir = tempDir('e2e-exit', t);
  const conf = siteConf(dir);
  const out = join(dir, 'out');
  const port = await freePort();
  const spec = (n: number) =>
    `agent : seq(totalEvents=${n}, batchSize=100) | agentE2ESink("127.0.0.1", ${port}) ;`;

  const lonely = sluice(['node', '-1', '--conf', conf, '-e', spec(300)], dir);
  const lonelyOut = output(lonely);
  t.after(() => lonely.kill('SIGKILL'));
  assert.equal(await exited(lonely), 1, lonelyOut.text());
  assert.match(
    lonelyOut.text(),
    /group\(s\) \(300 events\) not acknowledged within 6000 ms; they stay in .*logdir\/agent\/writeahead/,
  );

  await startCollector(t, dir, conf, port, out);
  const again = sluice(['node', '-1', '--conf', conf, '-e', spec(5)], dir);
  const againOut = output(again);
  t.after(() => again.kill('SIGKILL'));
  assert.equal(await exited(again), 0, againOut.text());
  assert.match(againOut.text(), /\(300 events\) not acknowledged before the last stop: sending them again/);
  await waitFor(
    () => lines(out).length >= 305,
    () => `305 lines at the collector, got ${lines(out).length}`,
    30_000,
    50,
  );
  const got = lines(out).sort();
  const want = [
    ...Array.from({ length: 300 }, (_, i) => String(i)),
    ...Array.from({ length: 5 }, (_, i) => String(i)),
  ].sort();
  console.log(
    `E2E exit: sent 305, received ${got.length}, lost ${Math.max(0, want.length - got.length)}, duplicated 0`,
  );
  assert.deepEqual(got, want);
});

test('agentE2EChain: with its first collector down, groups go to the next one and are acknowledged there', async (t) => {
  const dir = tempDir('e2e-chain', t);
  const conf = siteConf(dir);
  const out = join(dir, 'out');
  const down = await freePort();
  const up = await startCollector(t, dir, conf, 0, out);
  const agent = sluice(
    [
      'node',
      '-1',
      '--conf',
      conf,
      '-e',
      `agent : seq(totalEvents=1000, batchSize=100) | agentE2EChain("127.0.0.1:${down}", "127.0.0.1:${up}") ;`,
    ],
    dir,
  );
  const agentOut = output(agent);
  t.after(() => agent.kill('SIGKILL'));
  assert.equal(await exited(agent), 0, agentOut.text());
  await waitFor(
    () => lines(out).length >= 1000,
    () => `1000 lines, got ${lines(out).length}`,
    30_000,
    50,
  );
  const got = lines(out);
  console.log(
    `E2E chain: sent 1000, received ${got.length}, lost ${1000 - new Set(got).size}, duplicated ${got.length - new Set(got).size}`,
  );
  assert.equal(new Set(got).size, 1000);
  assert.match(agentOut.text(), new RegExp(`collector 127.0.0.1:${down} unreachable`));
});
