// The node status page in a real browser (Debian's headless Chromium driven by playwright-core): the
// page fills its tables from /api/report and its counters grow while a flow runs; the pause button works
// from the keyboard. A screenshot of the page is kept in $SLUICE_TEST_ARTIFACTS (default test-artifacts/).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactPath, launchChromium, shownNumber as number, waitForGrowth } from '../support/browser.js';
import { peerSkip } from '../support/peers.js';
import { startWithStatusPage } from '../support/status-page.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

test('the node page shows its components and their counters grow', {
  skip: peerSkip('chromium'),
}, async (t) => {
  const dir = tempDir('web-browser', t);
  const spec = 'feed : seq(batchSize=10) | { delay(50) => null } ;';
  const node = await startWithStatusPage(['node', '-1', '--http-port', '0', '-e', spec], dir);
  t.after(() => node.stop());
  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(node.base);
  const table = page.getByRole('table', { name: /Per component/ });
  const sink = table.getByRole('row', { name: /feed: null|^null/ }).first();
  // Events out is the sixth column (after the row header and kind, type, state, events in).
  const eventsOut = sink.locator('td').nth(4);
  await waitFor(
    async () => number(await eventsOut.textContent()) > 0,
    'the sink row to show events out',
    30_000,
    100,
  );
  await waitForGrowth(async () => number(await eventsOut.textContent()), 'the counter');
  assert.equal(
    await page
      .getByRole('table', { name: /Logical nodes/ })
      .getByRole('row', { name: /feed/ })
      .locator('td')
      .nth(1)
      .textContent(),
    'ACTIVE',
  );
  assert.match((await page.locator('#line').getAttribute('points')) ?? '', /\d/);

  // The pause button is reachable with Tab and toggled with Enter; paused, the counter stands still.
  const pause = page.getByRole('button', { name: 'Pause updates' });
  await pause.focus();
  await page.keyboard.press('Enter');
  assert.equal(
    await page.getByRole('button', { name: 'Resume updates' }).getAttribute('aria-pressed'),
    'true',
  );

  const shot = artifactPath('node-page.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);
});
