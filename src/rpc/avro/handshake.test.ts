import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HandshakeRequestor,
  HandshakeResponder,
  handshakeRequestType,
  handshakeResponseType,
  TOKEN_META,
} from './handshake.js';
import { avroSourceProtocol, protocolFromJson, sparkFlumeProtocol } from './protocols.js';
import { Reader } from './wire.js';

const variant = protocolFromJson(
  avroSourceProtocol.json.replace('"namespace":"org.apache.flume.source.avro",', ''),
);

function req(clientHash: Buffer, serverHash: Buffer, protocol: string | null = null, meta = {}) {
  return new Reader(
    handshakeRequestType.toBuffer({ clientHash, clientProtocol: protocol, serverHash, meta }),
  );
}

test('responder: BOTH for a known client naming our hash, the response being exactly 00 00 00 00', () => {
  const s = new HandshakeResponder(avroSourceProtocol);
  const out = s.respond(req(avroSourceProtocol.hash, avroSourceProtocol.hash));
  assert.equal(out.status, 'connected');
  assert.equal(out.response.toString('hex'), '00000000');
});

test('responder: NONE for an unknown client, then CLIENT once it sent its protocol, then BOTH', () => {
  const s = new HandshakeResponder(avroSourceProtocol);
  const none = s.respond(req(variant.hash, variant.hash));
  assert.equal(none.status, 'retry');
  const res = handshakeResponseType.fromBuffer(none.response);
  assert.equal(res.match, 'NONE');
  assert.equal(res.serverProtocol, avroSourceProtocol.json);
  const client = s.respond(req(variant.hash, variant.hash, variant.json));
  assert.equal(client.status, 'connected');
  assert.equal(handshakeResponseType.fromBuffer(client.response).match, 'CLIENT');
  const both = s.respond(req(variant.hash, avroSourceProtocol.hash));
  assert.equal(handshakeResponseType.fromBuffer(both.response).match, 'BOTH');
});

test('requestor: first request without protocol; NONE -> retry with it; the learned hash is kept', () => {
  const server = new HandshakeResponder(avroSourceProtocol);
  const c = new HandshakeRequestor(variant);
  const first = handshakeRequestType.fromBuffer(c.request(false));
  assert.equal(first.clientProtocol, null);
  assert.deepEqual(first.serverHash, variant.hash);
  const a = server.respond(new Reader(c.request(false)));
  assert.equal(c.onResponse(new Reader(a.response), false), 'retry');
  const b = server.respond(new Reader(c.request(true)));
  assert.equal(c.onResponse(new Reader(b.response), true), 'connected');
  // A reconnect presents the server's hash: BOTH at once.
  const again = handshakeRequestType.fromBuffer(c.request(false));
  assert.deepEqual(again.serverHash, avroSourceProtocol.hash);
  assert.equal(
    handshakeResponseType.fromBuffer(server.respond(new Reader(c.request(false))).response).match,
    'BOTH',
  );
});

test('requestor: NONE after sending the protocol is a clear SLUICE_RPC error', () => {
  const c = new HandshakeRequestor(sparkFlumeProtocol);
  const none = handshakeResponseType.toBuffer({
    match: 'NONE',
    serverProtocol: avroSourceProtocol.json,
    serverHash: avroSourceProtocol.hash,
    meta: null,
  });
  assert.throws(() => c.onResponse(new Reader(none), true), {
    code: 'SLUICE_RPC',
    message: 'server does not accept protocol org.apache.spark.streaming.flume.sink.SparkFlumeProtocol',
  });
});

test('token: carried in meta; refused when missing or wrong', () => {
  const s = new HandshakeResponder(avroSourceProtocol, { token: 'k' });
  const withToken = new HandshakeRequestor(avroSourceProtocol, { token: 'k' });
  assert.deepEqual(handshakeRequestType.fromBuffer(withToken.request(false)).meta, {
    [TOKEN_META]: Buffer.from('k'),
  });
  assert.equal(s.respond(new Reader(withToken.request(false))).status, 'connected');
  const wrong = s.respond(
    req(avroSourceProtocol.hash, avroSourceProtocol.hash, null, { [TOKEN_META]: Buffer.from('x') }),
  );
  assert.deepEqual(
    [wrong.status, wrong.status === 'refused' && wrong.reason],
    ['refused', 'wrong sluice.token'],
  );
  const missing = s.respond(req(avroSourceProtocol.hash, avroSourceProtocol.hash));
  assert.equal(missing.status, 'refused');
});

test('garbage handshakes are SLUICE_FORMAT errors', () => {
  const s = new HandshakeResponder(avroSourceProtocol);
  assert.throws(() => s.respond(new Reader(Buffer.alloc(10))), { code: 'SLUICE_FORMAT' });
  const badUnion = Buffer.concat([avroSourceProtocol.hash, Buffer.from([0x09])]);
  assert.throws(() => s.respond(new Reader(badUnion)), { code: 'SLUICE_FORMAT' });
  const badProtocol = req(variant.hash, variant.hash, '{"not": "a protocol"}');
  assert.throws(() => s.respond(badProtocol), { code: 'SLUICE_FORMAT' });
});

test('requestor: a server handshake whose serverHash is not the MD5 of its serverProtocol is refused', () => {
  const c = new HandshakeRequestor(variant);
  const lying = handshakeResponseType.toBuffer({
    match: 'CLIENT',
    serverProtocol: avroSourceProtocol.json,
    serverHash: sparkFlumeProtocol.hash,
    meta: null,
  });
  assert.throws(() => c.onResponse(new Reader(lying), false), {
    code: 'SLUICE_RPC',
    message: `server handshake refused: serverHash ${sparkFlumeProtocol.hash.toString('hex')} is not the MD5 of the serverProtocol it sent`,
  });
  // Nothing of the lying answer is kept: the next connection still names our own hash.
  assert.deepEqual(handshakeRequestType.fromBuffer(c.request(false)).serverHash, variant.hash);
  assert.equal(c.serverProtocol, undefined);
});

test('gate: judges a prefix of a first frame (whole handshake, token) before the rest is buffered', () => {
  const s = new HandshakeResponder(avroSourceProtocol, { token: 'k' });
  const good = new HandshakeRequestor(avroSourceProtocol, { token: 'k' }).request(false);
  assert.equal(s.gate(Buffer.concat([good, Buffer.alloc(100)])), true);
  assert.equal(s.gate(good.subarray(0, good.length - 1)), undefined, 'a cut handshake needs more bytes');
  assert.equal(s.gate(new HandshakeRequestor(avroSourceProtocol).request(false)), 'no sluice.token given');
  const wrong = new HandshakeRequestor(avroSourceProtocol, { token: 'x' }).request(false);
  assert.equal(s.gate(wrong), 'wrong sluice.token');
  assert.match(
    String(s.gate(Buffer.concat([avroSourceProtocol.hash, Buffer.from([0x09])]))),
    /bad handshake/,
  );
  assert.equal(new HandshakeResponder(avroSourceProtocol).gate(good), true);
});
