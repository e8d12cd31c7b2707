import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ByteWriter } from '../../src/core/byte-writer.js';
import { type Event, limits } from '../../src/core/event.js';
import { PRIORITY_NAMES } from '../../src/core/priority.js';
import { avrodataFormat } from '../../src/formats/avrodata.js';
import { eventHeaders, FlumeEventEncoder, readFlumeEvents } from '../../src/rpc/avro/flume-event.js';
import { encodeFrame, FrameDecoder } from '../../src/rpc/avro/frame.js';
import { HandshakeRequestor, HandshakeResponder } from '../../src/rpc/avro/handshake.js';
import {
  OK_HEAD,
  readRequestHead,
  readResponseHead,
  requestHead,
  systemErrorBody,
} from '../../src/rpc/avro/message.js';
import { avroSourceProtocol } from '../../src/rpc/avro/protocols.js';
import { Reader } from '../../src/rpc/avro/wire.js';
import { peer, peerSkip } from '../support/peers.js';
import { randomEvent } from './events.js';
import { Rng } from './rng.js';
import { randomChunks } from './target.js';

/**
 * Differential tests of Sluice's Avro encodings against implementations that share no code with it:
 * Apache Avro's Python library (test/fixtures/avro_diff.py) for AvroFlumeEvent and the RPC frames in both
 * directions, and avro-c's avrocat for avrodata container files. One peer process per direction and
 * batch, not one per event. DIFF_SEED replays another seed.
 */
const SEED = Number(process.env.DIFF_SEED ?? 20261130);
const EVENTS = 200;
/** Bodies up to 64 KiB, empty and full attribute maps. */
const LARGE = { maxBody: 64 * 1024, maxAttrs: 12 };
const script = fileURLToPath(new URL('../fixtures/avro_diff.py', import.meta.url));
let savedMaxBody = 0;
let dir = '';

before(() => {
  // Bodies up to 64 KiB must pass whole; the default limit would truncate them on decoding.
  savedMaxBody = limits.maxBodySize;
  limits.maxBodySize = 128 * 1024;
  dir = mkdtempSync(join(tmpdir(), 'sluice-diff-'));
});
after(() => {
  limits.maxBodySize = savedMaxBody;
  rmSync(dir, { recursive: true, force: true });
});

function runPeer(args: string[], input?: string): unknown {
  const r = spawnSync(peer('python3-avro'), [script, ...args], {
    input,
    maxBuffer: 512 * 1024 * 1024,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `avro_diff.py ${args.join(' ')} failed (seed ${SEED}):\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The events cut into appendBatch calls of random sizes. */
function batches(rng: Rng, events: Event[]): Event[][] {
  const out: Event[][] = [];
  for (let at = 0; at < events.length; ) {
    const n = rng.between(1, 40);
    out.push(events.slice(at, at + n));
    at += n;
  }
  out.push([]);
  return out;
}

test(`Sluice's appendBatch requests and responses read by python3-avro agree (seed ${SEED})`, {
  skip: peerSkip('python3-avro'),
}, () => {
  const rng = new Rng(SEED);
  const events = Array.from({ length: EVENTS }, () => randomEvent(rng, LARGE));
  const token = { token: 'diff-token' };
  const requestor = new HandshakeRequestor(avroSourceProtocol, token);
  const encoder = new FlumeEventEncoder();
  const requests = batches(rng, events).map((batch, i) => {
    const w = new ByteWriter(1024);
    if (i === 0) w.raw(requestor.request(true));
    w.raw(requestHead('appendBatch'));
    encoder.writeBatch(w, batch);
    return { hex: encodeFrame(i + 1, [w.finish()]).toString('hex'), handshake: i === 0 };
  });
  const hs = new HandshakeResponder(avroSourceProtocol).respond(
    new Reader(requestor.request(false)),
  ).response;
  const messages = ['', 'channel full', 'ünïcödé 😀 \u0000 \n', 'x'.repeat(70_000)];
  const responses = [
    {
      hex: encodeFrame(1, [hs, OK_HEAD, Buffer.from([0])]).toString('hex'),
      handshake: true,
      expect: { status: 'OK' },
    },
    ...[0, 1, 2].map((s) => ({
      hex: encodeFrame(2 + s, [OK_HEAD, Buffer.from([s * 2])]).toString('hex'),
      handshake: false,
      expect: { status: ['OK', 'FAILED', 'UNKNOWN'][s] },
    })),
    ...messages.map((m, i) => ({
      hex: encodeFrame(10 + i, [i === 0 ? hs : Buffer.alloc(0), systemErrorBody(m)]).toString('hex'),
      handshake: i === 0,
      expect: { error: m },
    })),
  ];
  const got = runPeer(['decode'], JSON.stringify({ requests, responses })) as {
    requests: {
      serial: number;
      name: string;
      handshake: Record<string, unknown> | null;
      events: { headers: Record<string, string>; body: string }[];
      left: number;
    }[];
    responses: { serial: number; status?: string; error?: string }[];
  };
  let n = 0;
  for (const [i, req] of got.requests.entries()) {
    assert.equal(req.serial, i + 1);
    assert.equal(req.name, 'appendBatch');
    assert.equal(req.left, 0, `request ${i}: bytes left after the events`);
    if (i === 0) {
      assert.equal(req.handshake?.clientHash, avroSourceProtocol.hash.toString('hex'));
      assert.equal(req.handshake?.clientProtocol, avroSourceProtocol.json);
      assert.deepEqual(req.handshake?.meta, { 'sluice.token': Buffer.from('diff-token').toString('hex') });
    }
    for (const pe of req.events) {
      const e = events[n++]!;
      assert.deepEqual(pe.headers, eventHeaders(e), `event ${n - 1} headers (seed ${SEED})`);
      assert.equal(pe.body, e.body.toString('hex'), `event ${n - 1} body (seed ${SEED})`);
    }
  }
  assert.equal(n, events.length, 'python read every event');
  assert.deepEqual(
    got.responses.map(({ serial, ...rest }) => ({ serial, ...rest, handshake: undefined })),
    responses.map((r, i) => ({ serial: i < 4 ? i + 1 : 10 + i - 4, ...r.expect, handshake: undefined })),
  );
});

test(`python3-avro's appendBatch requests and responses read by Sluice agree (seed ${SEED})`, {
  skip: peerSkip('python3-avro'),
}, () => {
  const job = runPeer(['encode', String(SEED), String(EVENTS)]) as {
    requests: {
      hex: string;
      handshake: boolean;
      events: { headers: Record<string, string>; body: string }[];
    }[];
    responses: { hex: string; handshake: boolean; status?: string; error?: string }[];
  };
  const rng = new Rng(SEED);
  const responder = new HandshakeResponder(avroSourceProtocol);
  const frames: [number, Buffer][] = [];
  const decoder = new FrameDecoder((s, p) => frames.push([s, p]));
  let events = 0;
  for (const [i, req] of job.requests.entries()) {
    for (const c of randomChunks(Buffer.from(req.hex, 'hex'), rng)) decoder.push(c);
    const [serial, payload] = frames.shift()!;
    assert.equal(serial, i + 1);
    const r = new Reader(payload);
    if (req.handshake) assert.equal(responder.respond(r).status, 'connected');
    assert.equal(readRequestHead(r), 'appendBatch');
    const got = readFlumeEvents(r, '192.0.2.1');
    assert.equal(r.remaining, 0);
    assert.equal(got.length, req.events.length);
    for (const [j, e] of got.entries()) {
      const want = req.events[j]!;
      assert.deepEqual(
        eventHeaders(e, { sluiceHeaders: false }),
        want.headers,
        `request ${i} event ${j} (seed ${SEED})`,
      );
      assert.equal(e.body.toString('hex'), want.body, `request ${i} event ${j} body (seed ${SEED})`);
      events++;
    }
  }
  assert.equal(events, EVENTS);
  for (const res of job.responses) {
    for (const c of randomChunks(Buffer.from(res.hex, 'hex'), rng)) decoder.push(c);
    const [, payload] = frames.shift()!;
    const r = new Reader(payload);
    if (res.handshake)
      assert.equal(new HandshakeRequestor(avroSourceProtocol).onResponse(r, false), 'connected');
    if (res.error !== undefined) {
      assert.throws(
        () => readResponseHead(r, 'peer', 'appendBatch'),
        (e: Error) => e.message.endsWith(`with an error: ${res.error}`),
      );
    } else {
      readResponseHead(r, 'peer', 'appendBatch');
      assert.equal(['OK', 'FAILED', 'UNKNOWN'][r.long()], res.status);
    }
    assert.equal(r.remaining, 0);
  }
  assert.ok(decoder.idle);
});

/** avro-c prints bytes and strings as C strings: what follows a NUL is lost, so compare up to it. */
function cString(s: string): string {
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
}

test(`avrodata files written by Sluice are read back by avro-c's avrocat (seed ${SEED})`, {
  skip: peerSkip('avrocat'),
}, () => {
  const rng = new Rng(SEED + 1);
  const events = Array.from({ length: EVENTS }, () => randomEvent(rng, LARGE));
  const format = avrodataFormat.create();
  const parts = [format.header()];
  for (const b of batches(rng, events)) parts.push(format.encode(b));
  parts.push(format.footer());
  const file = join(dir, 'events.avro');
  writeFileSync(file, Buffer.concat(parts));
  const r = spawnSync(peer('avrocat'), [file], {
    encoding: 'latin1',
    maxBuffer: 1024 * 1024 * 1024,
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `avrocat failed: ${r.stderr}`);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, events.length, 'avrocat read every record');
  for (const [i, line] of lines.entries()) {
    const got = JSON.parse(Buffer.from(line, 'latin1').toString('utf8'));
    const e = events[i]!;
    const fields: Record<string, string> = {};
    for (const [k, v] of e.attrEntries()) fields[cString(k)] = cString(v.toString('latin1'));
    assert.deepEqual(
      got,
      {
        timestamp: e.timestamp,
        priority: PRIORITY_NAMES[e.priority],
        body: cString(e.body.toString('latin1')),
        nanos: e.nanos,
        host: cString(e.host),
        fields,
      },
      `record ${i} (seed ${SEED + 1})`,
    );
  }
});
