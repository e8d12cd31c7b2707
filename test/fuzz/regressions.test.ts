import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../src/core/errors.js';
import type { Event } from '../../src/core/event.js';
import { HandshakeResponder } from '../../src/rpc/avro/handshake.js';
import { avroSourceProtocol } from '../../src/rpc/avro/protocols.js';
import { Reader } from '../../src/rpc/avro/wire.js';
import { SyslogFramer } from '../../src/rpc/syslog/framing.js';
import { SyslogParser } from '../../src/rpc/syslog/parse.js';

/** Inputs the fuzzer found, kept as plain tests so they stay fixed whatever the generators become. */

test('a handshake whose meta map announces a huge block count is refused at once, not looped over', () => {
  // avro-handshake seed 1 input 1589: clientHash, no protocol, serverHash, meta {sluice.token: "secret"},
  // then a 12-byte varint block count. avsc looped over it past the buffer end; the server froze.
  const input = Buffer.from(
    '86aadae2c45474c0fe93ffd0f2352a650086aadae2c45474c0fe93ffd0f2350a65020218736c756963652e746f6b656e0c736563726574808080808080808080808080636800',
    'hex',
  );
  const started = Date.now();
  assert.throws(
    () => new HandshakeResponder(avroSourceProtocol, { token: 'secret' }).respond(new Reader(input)),
    (e: unknown) =>
      e instanceof SluiceError && e.code === 'SLUICE_FORMAT' && /bad handshake request/.test(e.message),
  );
  // The bug looped for ever; milliseconds when fixed. 5 s leaves room for a loaded machine.
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

function frame(chunks: string[]): string[] {
  const out: Event[] = [];
  const f = new SyslogFramer(new SyslogParser(), 'peer', 65536);
  for (const c of chunks) f.push(Buffer.from(c), out);
  f.end(out);
  return out.map((e) => e.body.toString());
}

test('a 9-digit octet count cut by a chunk boundary after its last digit frames as if it came whole', () => {
  // syslog-framing seed 20261130 input 9458: the digits were taken for a text line when the chunk ended
  // right after the ninth.
  const stream = '100000000 <13>hello\n<14>next\n';
  const whole = frame([stream]);
  assert.deepEqual(frame([stream.slice(0, 9), stream.slice(9)]), whole);
});
