// The flow picture on the master's real page: a `sluice master --http-port 0` and two `sluice node`
// processes, an agent on hostA sending through `autoBEChain` to a collector on hostB. In headless
// Chromium the picture shows both boxes, each inside its physical node's box, and an arrow from the
// agent to the collector whose label is a rate above 0 events/s. Screenshot as a test artifact.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { artifactPath, launchChromium } from '../support/browser.js';
import { peerSkip } from '../support/peers.js';
import { output, shell, sluice } from '../support/processes.js';
import { writeMasterSite } from '../support/site-conf.js';
import { startWithStatusPage } from '../support/status-page.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

test("the master's page draws the agent linked to its collector with events/s on the arrow", {
  skip: peerSkip('chromium'),
  timeout: 240_000,
}, async (t) => {
  const dir = tempDir('master-flows', t);
  const { conf, adminPort } = await writeMasterSite(dir, {
    'flume.config.heartbeat.period': '500',
    'flume.collector.port': String(await freePort()),
    'flume.agent.logdir': join(dir, 'agent'),
  });
  const master = await startWithStatusPage(
    ['master', '--conf', conf, '--store', 'memory', '--http-port', '0'],
    dir,
  );
  t.after(() => master.stop());
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  const node = (name: string) => {
    const c = sluice(['node', '-n', name, '--conf', conf], dir);
    children.push(c);
    return output(c);
  };
  const logs = [node('hostA'), node('hostB')];
  const said = () => `master:\n${master.log()}\n${logs.map((l) => l.text()).join('\n')}`;
  const setUp = await shell(
    ['-q', '-c', `127.0.0.1:${adminPort}`],
    dir,
    [
      `multiconfig 'agent : seq(batchSize=20) | { delay(20) => autoBEChain } ; collector : collectorSource | null ;'`,
      'spawn hostA agent',
      'spawn hostB collector',
      'waitForNodesActive 60000 agent collector',
      '',
    ].join('\n'),
  );
  assert.equal(setUp.code, 0, `${setUp.out}${setUp.err}${said()}`);

  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await page.goto(master.base);
  const arrow = page.locator('#flow-picture g.flow-link[data-from="agent"][data-to="collector"]');
  let rate = '';
  await waitFor(
    async () =>
      (await arrow.count()) === 1 && Number((rate = (await arrow.getAttribute('data-rate')) ?? '0')) > 0,
    () => `an arrow agent -> collector with a rate (last: "${rate}"); ${said()}`,
    60_000,
    200,
  );
  assert.match((await arrow.textContent()) ?? '', /[\d,]+ events\/s/);
  // Each logical node's box sits in its physical node's box.
  for (const [name, physical] of [
    ['agent', 'hostA'],
    ['collector', 'hostB'],
  ] as const) {
    const box = page.locator(`#flow-picture g.flow-node[data-name="${name}"]`);
    assert.equal(await box.getAttribute('data-physical'), physical);
    assert.equal(await box.getAttribute('data-state'), 'ACTIVE');
  }
  // Screen readers get the same link as text.
  const list = page.getByRole('list', { name: 'Links between logical nodes' });
  assert.match(
    (await list.textContent()) ?? '',
    /agent -> collector, chain primary, [\d,]+ events\/s, active/,
  );
  const shot = artifactPath('master-flow-picture.png');
  await page.locator('#flow-picture').screenshot({ path: shot });
  t.diagnostic(`screenshot: ${shot}`);
});
