// Headless Chromium for the page tests (Debian's `chromium`, driven by playwright-core), and where the
// tests keep their screenshots: $SLUICE_TEST_ARTIFACTS, or test-artifacts/ in the repository.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { peer } from './peers.js';
import { waitFor } from './wait.js';

export async function launchChromium(t: { after(fn: () => unknown): void }): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: peer('chromium'),
    // Containers often forbid the user namespaces Chromium's sandbox needs; the pages are our own.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    timeout: 60_000,
  });
  t.after(() => browser.close());
  return browser;
}

/** The path a screenshot named `name` is written to (its directory made). */
export function artifactPath(name: string): string {
  const dir = process.env.SLUICE_TEST_ARTIFACTS || join(import.meta.dirname, '..', '..', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** A number as a page shows it ("12,345"). */
export function shownNumber(text: string | null): number {
  return Number((text ?? '').replace(/,/g, ''));
}

/** Waits until the number `read` returns grows past what it is now; the value it grew from. */
export async function waitForGrowth(read: () => Promise<number>, what: string): Promise<number> {
  const first = await read();
  await waitFor(
    async () => (await read()) > first,
    () => `${what} to grow past ${first}`,
    30_000,
    100,
  );
  return first;
}
