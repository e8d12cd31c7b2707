import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { peer, peerSkip } from '../../test/support/peers.js';
import { fieldsOf, sampleEvents, TS } from '../../test/support/sample-events.js';
import { isSluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { Priority } from '../core/priority.js';
import {
  KEY_CLASS,
  SeqfileReader,
  SeqfileWriter,
  SYNC_INTERVAL,
  seqfileFormat,
  VALUE_CLASS,
} from './seqfile.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-seqfile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SYNC = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}
function int64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
}
function utf(ascii: string): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(ascii.length);
  return Buffer.concat([b, Buffer.from(ascii, 'latin1')]);
}

function manyEvents(n: number): Event[] {
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      Event.of(`line ${i} ${'y'.repeat(i % 97)}`, {
        timestamp: TS + i * 7,
        nanos: 1000 + i,
        priority: (i % 6) as Priority,
        host: `host-${i % 5}`,
        attrs: i % 3 === 0 ? { n: String(i), tag: Buffer.from([i & 255, 0, 255]) } : {},
      }),
    );
  }
  return out;
}

/** Reads a whole file image, pushing it in pieces of the given sizes (cycled). */
function readAll(bytes: Buffer, pieces: number[] = [bytes.length]): { events: Event[]; leftover: number } {
  const r = new SeqfileReader('test.seq');
  const events: Event[] = [];
  let k = 0;
  for (let off = 0; off < bytes.length; k++) {
    const n = Math.max(1, pieces[k % pieces.length]!);
    r.push(bytes.subarray(off, off + n));
    off += n;
    for (let e = r.next(); e !== undefined; e = r.next()) events.push(e);
  }
  return { events, leftover: r.finish() };
}

function fileOf(events: Event[][], opts = { sync: SYNC }): Buffer {
  const w = new SeqfileWriter(opts);
  return Buffer.concat([w.header(), ...events.map((b) => w.encode(b))]);
}

test('header: SEQ 6, key and value class names as Text, uncompressed, metadata, sync', () => {
  const w = new SeqfileWriter({ sync: SYNC, metadata: { writer: 'sluice' } });
  const want = Buffer.concat([
    Buffer.from('SEQ\x06', 'latin1'),
    Buffer.from([KEY_CLASS.length]),
    Buffer.from(KEY_CLASS),
    Buffer.from([VALUE_CLASS.length]),
    Buffer.from(VALUE_CLASS),
    Buffer.from([0, 0]),
    int32(1),
    Buffer.from([6]),
    Buffer.from('writer'),
    Buffer.from([6]),
    Buffer.from('sluice'),
    SYNC,
  ]);
  const header = w.header();
  assert.deepEqual(header, want);
  const r = new SeqfileReader();
  r.push(header);
  assert.equal(r.next(), undefined);
  assert.deepEqual(r.header, {
    version: 6,
    keyClass: KEY_CLASS,
    valueClass: VALUE_CLASS,
    metadata: { writer: 'sluice' },
    sync: SYNC,
    length: header.length,
  });
});

test('record: WriteableEventKey (timestamp + 8 zero bytes) and the WriteableEvent layout', () => {
  const w = new SeqfileWriter({ sync: SYNC });
  w.header();
  const e = Event.of('hi', {
    timestamp: TS,
    priority: Priority.ERROR,
    nanos: 2 ** 33 + 5,
    host: 'h1',
    attrs: { k: 'vv' },
  });
  const value = Buffer.concat([
    int32(2),
    Buffer.from('hi'),
    int64(TS),
    int32(1),
    int64(2 ** 33 + 5),
    utf('h1'),
    int32(1),
    utf('k'),
    int32(2),
    Buffer.from('vv'),
  ]);
  const key = Buffer.concat([int64(TS), Buffer.alloc(8)]);
  assert.deepEqual(w.encode([e]), Buffer.concat([int32(key.length + value.length), int32(16), key, value]));
});

test('strings use Java modified UTF-8 (NUL as C0 80, astral characters as two surrogates)', () => {
  const host = 'a\u0000é😀';
  const w = new SeqfileWriter({ sync: SYNC });
  w.header();
  const rec = w.encode([Event.of('', { timestamp: 0, nanos: 0, host })]);
  const hostAt = 8 + 16 + 4 + 8 + 4 + 8;
  const modified = Buffer.from('61c080c3a9eda0bdedb880', 'hex');
  assert.equal(rec.readUInt16BE(hostAt), modified.length);
  assert.deepEqual(rec.subarray(hostAt + 2, hostAt + 2 + modified.length), modified);
  const { events } = readAll(Buffer.concat([new SeqfileWriter({ sync: SYNC }).header(), rec]));
  assert.equal(events[0]!.host, host);
});

test('round trip: every field of every event, whatever the read piece sizes', () => {
  const batches = [sampleEvents(), manyEvents(700), [], manyEvents(3)];
  const file = fileOf(batches);
  const want = batches.flat().map(fieldsOf);
  for (const pieces of [[file.length], [1], [7, 1, 300, 13], [4096]]) {
    const { events, leftover } = readAll(file, pieces);
    assert.equal(leftover, 0);
    assert.deepEqual(events.map(fieldsOf), want, `pieces ${pieces.join(',')}`);
  }
});

test('sync markers: first after 2000 bytes, then every 2000 bytes or so, before a record', () => {
  const file = fileOf([manyEvents(400)]);
  const r = new SeqfileReader();
  r.push(file);
  r.next();
  let pos = r.header!.length;
  const syncs: number[] = [];
  let maxRecord = 0;
  while (pos < file.length) {
    const len = file.readInt32BE(pos);
    if (len === -1) {
      assert.deepEqual(file.subarray(pos + 4, pos + 20), SYNC);
      syncs.push(pos);
      pos += 20;
    } else {
      maxRecord = Math.max(maxRecord, 8 + len);
      pos += 8 + len;
    }
  }
  assert.equal(pos, file.length);
  assert.ok(syncs.length >= Math.floor(file.length / (SYNC_INTERVAL + maxRecord)), `${syncs.length} syncs`);
  // Hadoop writes a sync before the first record that starts at or after lastSync + 2000 (lastSync
  // starts at 0, and is the end of the previous sync).
  let last = 0;
  for (const s of syncs) {
    assert.ok(s >= last + SYNC_INTERVAL, `sync at ${s} too early (previous ended at ${last})`);
    assert.ok(s < last + SYNC_INTERVAL + maxRecord, `sync at ${s} too late`);
    last = s + 20;
  }
  assert.ok(file.length - last < SYNC_INTERVAL + maxRecord);
});

test('a truncated tail ends reading cleanly after the last whole record', () => {
  const events = manyEvents(50);
  const file = fileOf([events]);
  // Where each record (with a sync marker before it, if any) ends, scanning the whole file.
  const ends: number[] = [];
  for (let pos = findHeaderEnd(file); pos < file.length; ) {
    const len = file.readInt32BE(pos);
    pos += len === -1 ? 20 : 8 + len;
    if (len !== -1) ends.push(pos);
  }
  assert.equal(ends.length, events.length);
  for (const cut of [1, 5, 30, 120]) {
    const size = file.length - cut;
    const whole = ends.filter((end) => end <= size);
    const { events: got, leftover } = readAll(file.subarray(0, size), [333]);
    assert.equal(got.length, whole.length, `cut ${cut}`);
    assert.equal(leftover, size - whole[whole.length - 1]!, `cut ${cut}`);
    assert.deepEqual(got.map(fieldsOf), events.slice(0, got.length).map(fieldsOf));
  }
});

function findHeaderEnd(file: Buffer): number {
  const r = new SeqfileReader();
  r.push(file);
  r.next();
  return r.header!.length;
}

function formatError(bytes: Buffer): { message: string; code: string } {
  try {
    readAll(bytes);
  } catch (e) {
    assert.ok(isSluiceError(e), String(e));
    return { message: e.message, code: e.code };
  }
  assert.fail('expected a SluiceError');
}

test('corrupt or foreign input: SLUICE_FORMAT naming the byte offset', () => {
  const good = fileOf([manyEvents(200)]);
  const headerLength = new SeqfileWriter({ sync: SYNC }).header().length;
  const cases: [Buffer, RegExp][] = [
    [Buffer.from('PAR1 this is parquet'), /at byte 0: not a SequenceFile/],
    [Buffer.from('Q'), /at byte 0: not a SequenceFile/],
    [Buffer.from('SE'), /truncated header/],
    [Buffer.from('SEQ\x05rest of it'), /at byte 3: SequenceFile version 5 is not supported/],
    [Buffer.from('SEQ'), /truncated header/],
    [Buffer.alloc(0), /truncated header/],
  ];
  const wrongKey = Buffer.from(good);
  wrongKey.write('X', 5, 'latin1');
  cases.push([wrongKey, /at byte 4: key class is Xom\.cloudera/]);
  const compressed = Buffer.from(good);
  compressed[4 + 1 + KEY_CLASS.length + 1 + VALUE_CLASS.length] = 1;
  cases.push([compressed, /compressed SequenceFiles are not supported/]);
  // A broken sync marker in the body of the file.
  const firstSync = findSync(good, headerLength);
  const badSync = Buffer.from(good);
  badSync[firstSync + 10]! ^= 0xff;
  cases.push([badSync, new RegExp(`at byte ${firstSync + 4}: sync marker does not match`)]);
  // A record claiming a key that is not 16 bytes.
  const badKey = Buffer.from(good);
  badKey.writeInt32BE(99, headerLength + 4);
  cases.push([badKey, new RegExp(`at byte ${headerLength}: bad record: length \\d+, key length 99`)]);
  // A body length that runs past its record.
  const badBody = Buffer.from(good);
  badBody.writeInt32BE(1 << 30, headerLength + 8 + 16);
  cases.push([badBody, new RegExp(`at byte ${headerLength}: bad body length`)]);
  for (const [bytes, re] of cases) {
    const e = formatError(bytes);
    assert.equal(e.code, 'SLUICE_FORMAT');
    assert.match(e.message, re);
    assert.match(e.message, /^test\.seq: /);
  }
});

function findSync(file: Buffer, from: number): number {
  let pos = from;
  while (file.readInt32BE(pos) !== -1) pos += 8 + file.readInt32BE(pos);
  return pos;
}

test('seqfile as an output format: header then batches; encode alone also starts a valid file', () => {
  const f = seqfileFormat.create();
  const a = sampleEvents();
  assert.deepEqual(
    readAll(Buffer.concat([f.header(), f.encode(a), f.footer()])).events.map(fieldsOf),
    a.map(fieldsOf),
  );
  const g = seqfileFormat.create();
  assert.deepEqual(readAll(Buffer.concat([g.encode(a), g.encode(a)])).events.length, 2 * a.length);
});

/** A reader written against the JDK's DataInputStream, to check byte order and modified UTF-8. */
const JAVA_READER = `
import java.io.*;
import java.util.*;
public class ReadSeq {
  static String hex(byte[] b) { StringBuilder s = new StringBuilder(); for (byte x : b) s.append(String.format("%02x", x)); return s.toString(); }
  static String text(DataInputStream in) throws IOException { byte[] b = new byte[in.readByte()]; in.readFully(b); return new String(b, "UTF-8"); }
  public static void main(String[] a) throws Exception {
    DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(a[0])));
    byte[] magic = new byte[4]; in.readFully(magic);
    System.out.println(new String(magic, 0, 3, "UTF-8") + magic[3] + " " + text(in) + " " + text(in) + " " + in.readBoolean() + in.readBoolean());
    int meta = in.readInt(); for (int i = 0; i < meta; i++) { text(in); text(in); }
    byte[] sync = new byte[16]; in.readFully(sync);
    int syncs = 0;
    while (true) {
      int len; try { len = in.readInt(); } catch (EOFException e) { break; }
      if (len == -1) { byte[] s = new byte[16]; in.readFully(s); if (!Arrays.equals(s, sync)) throw new IOException("sync"); syncs++; continue; }
      int keyLen = in.readInt(); long keyTs = in.readLong(); long zero = in.readLong();
      byte[] body = new byte[in.readInt()]; in.readFully(body);
      long ts = in.readLong(); int prio = in.readInt(); long nanos = in.readLong(); String host = in.readUTF();
      int n = in.readInt(); TreeMap<String, String> fields = new TreeMap<>();
      for (int i = 0; i < n; i++) { String k = in.readUTF(); byte[] v = new byte[in.readInt()]; in.readFully(v); fields.put(k, hex(v)); }
      System.out.println(keyLen + " " + (keyTs == ts) + " " + zero + " " + hex(body) + " " + ts + " " + prio + " " + nanos + " " + hex(host.getBytes("UTF-8")) + " " + fields);
    }
    System.out.println("syncs " + syncs);
  }
}
`;

test('the JDK reads the file with DataInputStream (readInt, readLong, readUTF)', {
  skip: peerSkip('java'),
}, () => {
  const events = [
    ...sampleEvents(),
    Event.of('z', { timestamp: 5, nanos: 6, host: 'x\u0000😀', attrs: { clé: 'v' } }),
    ...manyEvents(300),
  ];
  const path = join(dir, 'java.seq');
  writeFileSync(path, fileOf([events]));
  const src = join(dir, 'ReadSeq.java');
  writeFileSync(src, JAVA_READER);
  // A JVM compiling and running the reader on a loaded machine: only a hang should reach this.
  const r = spawnSync(peer('java'), [src, path], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.shift(), `SEQ6 ${KEY_CLASS} ${VALUE_CLASS} falsefalse`);
  const syncLine = lines.pop()!;
  assert.match(syncLine, /^syncs [1-9]\d*$/);
  const want = events.map((e) => {
    const fields = [...e.attrEntries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v.toString('hex')}`)
      .join(', ');
    return `16 true 0 ${e.body.toString('hex')} ${e.timestamp} ${e.priority} ${e.nanos} ${Buffer.from(e.host).toString('hex')} {${fields}}`;
  });
  assert.deepEqual(lines, want);
});

test('an event that cannot be written fails its batch only; the file stays readable', () => {
  const w = new SeqfileWriter({ sync: SYNC });
  const parts = [w.header(), w.encode(manyEvents(30))];
  const huge = Event.of('bad', { host: 'h'.repeat(70_000) });
  assert.throws(() => w.encode([...manyEvents(40), huge]), /host is 70000 bytes/);
  parts.push(w.encode(manyEvents(50)));
  const { events, leftover } = readAll(Buffer.concat(parts));
  assert.equal(events.length, 80);
  assert.equal(leftover, 0);
});
