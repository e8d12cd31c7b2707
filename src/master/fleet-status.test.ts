import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CompactStatus,
  compactStatus,
  decodeStatus,
  encodeStatus,
  isLost,
  newer,
  PUBLISHED_ERROR_CHARS,
  PublishedStatus,
} from './fleet-status.js';

const entry = (name: string, lastSeen: number, more: Partial<CompactStatus> = {}): CompactStatus => ({
  name,
  physical: `p-${name}`,
  host: 'h',
  state: 'ACTIVE',
  version: 1,
  lastSeen,
  periodMs: 1000,
  ...more,
});

test('the merge rule: of two reports of a node, the one heard last stands, whichever master had it', () => {
  const a = entry('n', 5000, { state: 'ACTIVE' });
  const b = entry('n', 7000, { state: 'ERROR' });
  assert.equal(newer(a, b), b);
  assert.equal(newer(b, a), b);
  assert.equal(newer(undefined, a), a);
  assert.equal(newer(a, undefined), a);

  const published = new PublishedStatus();
  published.set('A#0', [entry('n1', 1000), entry('n2', 9000, { state: 'IDLE' })]);
  published.set('B#0', [entry('n1', 2000, { state: 'ERROR', physical: 'moved' }), entry('n3', 100)]);
  assert.deepEqual([...published.values()].map((e) => [e.name, e.state, e.physical]).sort(), [
    ['n1', 'ERROR', 'moved'],
    ['n2', 'IDLE', 'p-n2'],
    ['n3', 'ACTIVE', 'p-n3'],
  ]);
  // A source is replaced whole: what it no longer lists is gone, and the merged view follows.
  published.set('B#0', [entry('n3', 200)]);
  assert.equal(published.get('n1')?.lastSeen, 1000);
  published.delete('A#0');
  assert.equal(published.get('n1'), undefined);
  assert.equal(published.get('n3')?.lastSeen, 200);
  assert.equal(
    published.count((s) => s.startsWith('B#')),
    1,
  );
});

test('LOST after the missed heartbeats; a published entry gets one publishing period more', () => {
  const e = entry('n', 10_000);
  assert.equal(isLost(e, 13_000, 3, false), false);
  assert.equal(isLost(e, 13_001, 3, false), true);
  assert.equal(isLost(e, 13_001, 3, true), false);
  assert.equal(isLost(e, 14_001, 3, true), true);
});

test('the published status keeps what the merge needs, not the report, and cuts a long error', () => {
  const c = compactStatus(
    {
      name: 'n',
      physical: 'p',
      host: 'h',
      state: 'ERROR',
      version: 3,
      applied: 'FAILED',
      error: 'x'.repeat(5000),
      lastSeen: 42,
      report: { name: 'n' } as never,
    },
    250,
  );
  assert.equal(c.error?.length, PUBLISHED_ERROR_CHARS);
  assert.deepEqual(
    { ...c, error: undefined },
    {
      name: 'n',
      physical: 'p',
      host: 'h',
      state: 'ERROR',
      version: 3,
      applied: 'FAILED',
      error: undefined,
      lastSeen: 42,
      periodMs: 250,
    },
  );
});

test('a fleet too big for one znode is split into parts under the limit, read back whole', async () => {
  // Names that do not compress (as varied as real host names are not), so the parts must split.
  const fleet = Array.from({ length: 5000 }, (_, i) =>
    entry(`node-${i}-${(i * 2654435761).toString(36)}`, 1_700_000_000_000 + i * 7, {
      host: `host-${(i * 40503).toString(16)}.example.org`,
    }),
  );
  const one = await encodeStatus(fleet);
  assert.equal(one.length, 1, 'the default limit holds 5,000 nodes in one part');
  const limit = 16 * 1024;
  const parts = await encodeStatus(fleet, limit);
  assert.ok(parts.length > 4, `${parts.length} parts`);
  for (const p of parts) assert.ok(p.length <= limit, `a part of ${p.length} bytes`);
  const back = parts.flatMap((p, i) => decodeStatus(p, `part ${i}`));
  assert.deepEqual(back, fleet);
  assert.deepEqual(await encodeStatus([]).then((p) => decodeStatus(p[0]!, 'empty')), []);
});

test('a published part that is not a node status is refused; malformed entries are dropped', async () => {
  assert.throws(() => decodeStatus(Buffer.from('not gzip'), '/x/status/a#0'), {
    code: 'SLUICE_STORAGE',
    message: /\/x\/status\/a#0 is not a published node status/,
  });
  const [buf] = await encodeStatus([entry('ok', 1), { name: 7 } as never, entry('bad', 1, { periodMs: 0 })]);
  assert.deepEqual(
    decodeStatus(buf!, 'p').map((e) => e.name),
    ['ok'],
  );
});
