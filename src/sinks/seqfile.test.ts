import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { isSluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import type { Priority } from '../core/priority.js';
import { SeqfileReader } from '../formats/seqfile.js';
import { seqfileSource } from '../sources/seqfile.js';
import { seqfileSink } from './seqfile.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-seqfile-sink-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ctx = () => testContext({ nodeName: 'test' });

function events(n: number, from = 0): Event[] {
  const out: Event[] = [];
  for (let i = from; i < from + n; i++) {
    out.push(
      Event.of(i % 10 === 0 ? Buffer.from([i & 255, 0, 0xff, 0x0a]) : `event number ${i}`, {
        timestamp: 1_258_619_833_000 + i,
        nanos: 77_000_000_000 + i,
        priority: (i % 6) as Priority,
        host: i % 2 ? 'web-1' : 'wéb-2',
        attrs: i % 4 === 0 ? { rolltag: `r${i}`, bin: Buffer.from([i & 255, 1, 2]) } : {},
      }),
    );
  }
  return out;
}

function fields(e: Event) {
  const attrs: Record<string, string> = {};
  for (const [k, v] of e.attrEntries()) attrs[k] = v.toString('hex');
  return {
    body: e.body.toString('hex'),
    ts: e.timestamp,
    nanos: e.nanos,
    prio: e.priority,
    host: e.host,
    attrs,
  };
}

test('seqfile sink writes N events; the seqfile source reads back identical events', async () => {
  const path = join(dir, 'roundtrip.seq');
  writeFileSync(path, Buffer.alloc(4 << 20, 'older file '));
  const sink = seqfileSink.build(BoundArgs.of('seqfile', { filename: path }), ctx());
  await sink.open();
  const sent: Event[] = [];
  let next = 0;
  // Batches of one (buffered), mid-size and large (written at once).
  for (const size of [1, 1, 1, 5, 250, 1, 3000, 0, 17, 2000]) {
    const batch = events(size, next);
    next += size;
    sent.push(...batch);
    const r = sink.append(batch);
    if (r) await r;
  }
  await sink.close();
  assert.ok(statSync(path).size < 4 << 20, 'the older, larger file was truncated');

  const src = seqfileSource.build(BoundArgs.of('seqfile', { filename: path }), ctx());
  await src.open();
  const got: Event[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < 100; i++) {
    const b = await src.next();
    if (b === null) break;
    sizes.push(b.length);
    got.push(...b);
  }
  await src.close();
  assert.equal(got.length, sent.length);
  assert.deepEqual(got.map(fields), sent.map(fields));
  assert.ok(Math.max(...sizes) <= 1000, `batches ${sizes.join(',')}`);
});

test('small appends are buffered until flush() or close(), then land in order', async () => {
  const path = join(dir, 'buffered.seq');
  const sink = seqfileSink.build(BoundArgs.of('seqfile', { filename: path }), ctx());
  await sink.open();
  const headerOnly = statSync(path).size;
  assert.ok(headerOnly > 0, 'the header is written on open');
  for (let i = 0; i < 10; i++) assert.equal(sink.append(events(1, i)), undefined);
  assert.equal(statSync(path).size, headerOnly);
  await sink.flush!();
  const r = new SeqfileReader(path);
  r.push(readFileSync(path));
  let n = 0;
  while (r.next()) n++;
  assert.equal(n, 10);
  assert.equal(r.finish(), 0);
  await sink.close();
  assert.throws(
    () => sink.append(events(1)),
    (e: unknown) => isSluiceError(e) && e.code === 'SLUICE_CLOSED',
  );
});

test('an unwritable path is a SluiceError naming it', async () => {
  const sink = seqfileSink.build(
    BoundArgs.of('seqfile', { filename: join(dir, 'no', 'such', 'dir.seq') }),
    ctx(),
  );
  await assert.rejects(
    sink.open(),
    (e: unknown) => isSluiceError(e) && /no[/]such[/]dir\.seq/.test(e.message),
  );
});

test('escapes in filename: one SequenceFile per distinct path, each readable', async () => {
  const out = mkdtempSync(join(dir, 'esc-'));
  const sink = seqfileSink.build(BoundArgs.of('seqfile', { filename: `${out}/%{part}.seq` }), ctx());
  await sink.open();
  const evs = events(40);
  for (const e of evs) e.setAttr('part', e.timestamp % 2 ? 'odd' : 'even');
  await sink.append(evs);
  await sink.close();
  for (const name of ['odd', 'even']) {
    const r = new SeqfileReader();
    r.push(readFileSync(join(out, `${name}.seq`)));
    let n = 0;
    while (r.next() !== undefined) n++;
    assert.equal(n, 20, name);
  }
});

test('an event the SequenceFile cannot hold fails its append; the next batch lands', async () => {
  const path = join(dir, 'fault.seq');
  const sink = seqfileSink.build(BoundArgs.of('seqfile', { filename: path }), ctx());
  await sink.open();
  await assert.rejects(async () => sink.append([...events(3), Event.of('x', { host: 'h'.repeat(70_000) })]));
  await sink.append(events(5));
  await sink.close();
  const r = new SeqfileReader();
  r.push(readFileSync(path));
  let n = 0;
  while (r.next() !== undefined) n++;
  assert.equal(n, 5);
  assert.equal(r.finish(), 0);
});

test('a new seqfile sink on a file this process wrote continues it: one readable file, every event once', async () => {
  const path = join(dir, 'reconfigured.seq');
  writeFileSync(path, 'left from an earlier run');
  const build = () => seqfileSink.build(BoundArgs.of('seqfile', { filename: path }), ctx());
  const first = build();
  await first.open();
  await first.append(events(300));
  await first.close();
  const second = build();
  await second.open();
  await second.append(events(200, 300));
  await second.close();
  const reader = new SeqfileReader(path);
  reader.push(readFileSync(path));
  const back: Event[] = [];
  for (let e = reader.next(); e !== undefined; e = reader.next()) back.push(e);
  assert.equal(reader.finish(), 0, 'no bytes left over');
  assert.deepEqual(back.map(fields), events(500).map(fields));
});
