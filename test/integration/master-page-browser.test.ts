// The master's page in a real browser (Debian's headless Chromium driven by playwright-core) against a
// real `sluice master --http-port 0` with a token and a real `sluice node` heartbeating to it: the node
// is configured through the form (the page asks for the token on its first read), becomes ACTIVE, its
// counters and throughput chart grow; a malformed aggregated spec is shown at its line and column, with
// the caret moved there. Screenshots go to $SLUICE_TEST_ARTIFACTS (default test-artifacts/). The flow
// picture's hook: the page hands /api/flows to window.renderFlows once that route answers.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryLogger } from '../../src/core/logger.js';
import { Master } from '../../src/master/master.js';
import { MemoryStore } from '../../src/master/store.js';
import { masterWeb } from '../../src/master/web.js';
import { fleetSnapshot } from '../../src/web/fleet.js';
import { jsonReply, StatusServer } from '../../src/web/server.js';
import { artifactPath, launchChromium, shownNumber as number, waitForGrowth } from '../support/browser.js';
import { peerSkip } from '../support/peers.js';
import { output, sluice } from '../support/processes.js';
import { writeMasterSite } from '../support/site-conf.js';
import { startWithStatusPage } from '../support/status-page.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

test("the master's page configures a node through its form, follows it live and places spec errors", {
  skip: peerSkip('chromium'),
  timeout: 240_000,
}, async (t) => {
  const dir = tempDir('master-page', t);
  const { conf } = await writeMasterSite(dir, { 'flume.config.heartbeat.period': '500' });
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'page-secret\n');
  const auth = ['--token-file', tokenFile];
  const master = await startWithStatusPage(
    ['master', '--conf', conf, '--store', 'memory', '--http-port', '0', ...auth],
    dir,
  );
  t.after(() => master.stop());
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  const node = sluice(['node', '-n', 'host1', '--conf', conf, ...auth], dir);
  children.push(node);
  const nodeLog = output(node);
  const logs = () => `master log:\n${master.log()}\nnode log:\n${nodeLog.text()}`;

  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  // What the page asks the fleet for: after its first whole answer, only what is new since.
  const reads: string[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname === '/api/master') reads.push(url.search);
  });
  await page.goto(master.base);
  const nodes = page.getByRole('table', { name: /Node status/ });
  const host1 = nodes.getByRole('row', { name: /^host1\b/ });
  // Columns after the row header: physical, host, state, version, last config, last seen, in, out.
  const cellText = (i: number) => host1.locator('td').nth(i).textContent();
  // The first read gets 401: the page asks for the token, and shows nothing of the fleet until then.
  const token = page.getByLabel('Master token');
  await token.waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await page.evaluate('document.activeElement.id'), 'token');
  assert.equal(await nodes.locator('tbody tr').count(), 0);
  await token.fill('page-secret');
  await page.keyboard.press('Enter');
  await waitFor(
    async () => (await host1.count()) === 1,
    () => `host1 to appear; ${logs()}`,
    30_000,
    100,
  );

  // Configure host1 through the form: the POST carries the token given.
  await page.getByLabel('Logical node', { exact: true }).fill('host1');
  await page.getByLabel('Source', { exact: true }).fill('seq(batchSize=10)');
  await page.getByLabel('Sink', { exact: true }).fill('{ delay(50) => null }');
  await page.getByRole('button', { name: 'Configure', exact: true }).click();
  const result = page.locator('#config-result');
  let said = '';
  await waitFor(
    async () => /SUCCEEDED/.test((said = (await result.textContent()) ?? '')),
    () => `the config command to succeed: "${said}"; ${logs()}`,
    30_000,
    100,
  );
  assert.match((await result.textContent()) ?? '', /^Command \d+ config SUCCEEDED: host1 version 1$/);

  let row = '';
  await waitFor(
    async () => {
      row = (await host1.textContent()) ?? '';
      return (await cellText(2)) === 'ACTIVE' && number(await cellText(7)) > 0;
    },
    () => `host1 ACTIVE with events out (row: ${row}); ${logs()}`,
    30_000,
    100,
  );
  assert.equal(await cellText(4), 'APPLIED');
  await waitForGrowth(async () => number(await cellText(7)), "host1's events out");
  // The chart: uPlot drew it, and its text says the rate.
  const chart = page.getByRole('figure', { name: /host1: events per second/ });
  await waitFor(
    async () =>
      /Now [\d,]+ events\/s in, [\d,]+ events\/s out/.test(
        (said = (await chart.locator('.now').textContent()) ?? ''),
      ),
    () => `host1's chart to show a rate: "${said}"`,
    30_000,
    100,
  );
  await waitFor(
    async () => {
      const now = (await chart.locator('.now').textContent()) ?? '';
      const m = /Now ([\d,]+) events\/s in.* over (\d+) heartbeat/.exec(now);
      return m !== null && number(m[1]!) > 0 && Number(m[2]) >= 5;
    },
    'a rate above 0 on the chart, over 5 heartbeats',
    30_000,
    100,
  );
  assert.equal(await chart.locator('canvas').count(), 1);
  // The chart grew over heartbeats the page was sent one answer at a time.
  assert.ok(
    reads.filter((q) => /^\?since=\d+(\.\d+)?$/.test(q)).length >= 5,
    `reads with since: ${reads.join(' ')}`,
  );
  // The configuration beside its translated form, and the command in the history.
  const configRow = page
    .getByRole('table', { name: /Configurations/ })
    .getByRole('row', { name: /^host1\b/ });
  assert.match(
    (await configRow.locator('td').nth(1).textContent()) ?? '',
    /seq\(batchSize=10\) \| \{ ?delay\(50\) => null ?\}/,
  );
  const history = page.getByRole('table', { name: /Command history/ });
  assert.match((await history.getByRole('row').nth(1).textContent()) ?? '', /config.*host1.*SUCCEEDED/);
  const overview = artifactPath('master-page.png');
  await page.screenshot({ path: overview, fullPage: true });
  t.diagnostic(`screenshot: ${overview}`);

  // A malformed aggregated spec: the error names line 2, the textarea is marked there with the caret.
  const specText = 'good : seq | null ;\nbad : seq | text("/tmp/x", ;\n';
  const area = page.getByLabel('Aggregated spec');
  await area.fill(specText);
  await page.getByRole('button', { name: 'Configure these nodes' }).click();
  const message = page.locator('#multi-message');
  await waitFor(
    async () => /^Line 2, column \d+: /.test((said = (await message.textContent()) ?? '')),
    () => `the spec error at its line: "${said}"`,
    30_000,
    100,
  );
  // The parser stops at the ';' where text's second argument should be.
  const column = 'bad : seq | text("/tmp/x", ;'.indexOf(';') + 1;
  assert.equal(said, `Line 2, column ${column}: expected an argument of "text" but found ';'`);
  assert.match((await page.locator('#multi-result').textContent()) ?? '', /^Command \d+ multiconfig FAILED$/);
  assert.equal(await area.getAttribute('aria-invalid'), 'true');
  assert.match((await area.getAttribute('aria-describedby')) ?? '', /multi-error/);
  assert.equal(await page.locator('#multi-error').getAttribute('role'), 'alert');
  const caret = await page.evaluate(
    "[document.activeElement === document.getElementById('multi-spec'), document.getElementById('multi-spec').selectionStart]",
  );
  assert.deepEqual(caret, [true, 'good : seq | null ;\n'.length + column - 1]);
  assert.match((await page.locator('#multi-mark').textContent()) ?? '', /^2 \| bad : seq/);
  const failed = artifactPath('master-page-spec-error.png');
  await page.locator('#multi-form').screenshot({ path: failed });
  t.diagnostic(`screenshot: ${failed}`);

  // The one-node form places a sink's error in the sink field.
  await page.getByLabel('Logical node', { exact: true }).fill('other');
  await page.getByLabel('Sink', { exact: true }).fill('text("/tmp/x", ');
  await page.getByRole('button', { name: 'Configure', exact: true }).click();
  const configError = page.locator('#config-error');
  await waitFor(
    async () => /^The sink, column \d+: /.test((said = (await configError.textContent()) ?? '')),
    () => `the sink's error: "${said}"`,
    30_000,
    100,
  );
  assert.equal(said, 'The sink, column 15: expected an argument of "text" but found end of input');
  assert.equal(await page.getByLabel('Sink', { exact: true }).getAttribute('aria-invalid'), 'true');

  // A raw command line, quoted as the shell quotes.
  await page.getByLabel('Command line').fill(`config raw1 'seq(batchSize=5)' "null"`);
  await page.getByLabel('Command line').press('Enter');
  const raw = page.locator('#raw-result');
  await waitFor(
    async () => /SUCCEEDED|FAILED/.test((said = (await raw.textContent()) ?? '')),
    () => `the raw command to finish: "${said}"`,
    30_000,
    100,
  );
  assert.match(said, /^Command \d+ config SUCCEEDED: raw1 version \d+$/);
  await waitFor(
    async () =>
      (await page
        .getByRole('table', { name: /Configurations/ })
        .getByRole('row', { name: /^raw1\b/ })
        .count()) === 1,
    'raw1 in the configurations table',
    30_000,
    100,
  );

  // Pause from the keyboard.
  await page.getByRole('button', { name: 'Pause updates' }).focus();
  await page.keyboard.press('Enter');
  assert.equal(
    await page.getByRole('button', { name: 'Resume updates' }).getAttribute('aria-pressed'),
    'true',
  );
});

test("the master's page hands /api/flows to the flow picture once the route answers", {
  skip: peerSkip('chromium'),
  timeout: 120_000,
}, async (t) => {
  const master = new Master({ store: new MemoryStore(), logger: memoryLogger() });
  await master.ready;
  let flowsReady = false;
  const server = await StatusServer.start({
    host: '127.0.0.1',
    port: 0,
    nextFree: false,
    snapshot: () => fleetSnapshot('master@test', master.nodeStatus()),
    ...masterWeb(master, {
      name: 'master@test',
      routes: [
        [
          '/api/flows',
          () => (flowsReady ? jsonReply(200, { flows: ['default', 'f2'] }) : jsonReply(404, {})),
        ],
        [
          '/assets/flows.js',
          () => ({
            status: 200,
            type: 'text/javascript; charset=utf-8',
            body: "window.renderFlows = (el, data) => { el.textContent = 'flows: ' + data.flows.join(', '); };",
          }),
        ],
      ],
    }),
  });
  t.after(() => server.close());
  const browser = await launchChromium(t);
  const page = await browser.newPage();
  await page.goto(server.url);
  const status = page.getByRole('status').first();
  let said = '';
  await waitFor(
    async () => /^Updated .*0 logical node/.test((said = (await status.textContent()) ?? '')),
    () => `the page to update while /api/flows answers 404: "${said}"`,
    30_000,
    100,
  );
  assert.equal(await page.locator('#flow-picture').textContent(), '');
  flowsReady = true;
  await waitFor(
    async () => (said = (await page.locator('#flow-picture').textContent()) ?? '') === 'flows: default, f2',
    () => `the flow picture to be drawn: "${said}"`,
    30_000,
    100,
  );
});
