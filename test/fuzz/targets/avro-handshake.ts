import { ByteWriter } from '../../../src/core/byte-writer.js';
import { FlumeEventEncoder, readFlumeEvent, readFlumeEvents } from '../../../src/rpc/avro/flume-event.js';
import { HandshakeRequestor, HandshakeResponder } from '../../../src/rpc/avro/handshake.js';
import {
  OK_HEAD,
  readRequestHead,
  readResponseHead,
  requestHead,
  systemErrorBody,
} from '../../../src/rpc/avro/message.js';
import { avroSourceProtocol, sparkFlumeProtocol } from '../../../src/rpc/avro/protocols.js';
import { Reader } from '../../../src/rpc/avro/wire.js';
import { randomEvents } from '../events.js';
import { type FuzzTarget, isSluiceError } from '../target.js';

/**
 * A first request as a server sees it (handshake, then the call) and a first response as a client sees
 * it. Responders live for the whole run, as a server's do, so their protocol cache is fuzzed too.
 */
const open = new HandshakeResponder(avroSourceProtocol);
const guarded = new HandshakeResponder(avroSourceProtocol, { token: 'secret' });
const encoder = new FlumeEventEncoder();

export const avroHandshake: FuzzTarget = {
  name: 'avro-handshake',
  doc:
    'Avro IPC handshake (src/rpc/avro/handshake.ts) and call envelope (message.ts) on both sides: a server ' +
    'reading a first request (handshake, meta, message name, append/appendBatch events), with and without a ' +
    'token, and a client reading a first response.',
  valid(rng) {
    const w = new ByteWriter(256);
    if (rng.chance(0.6)) {
      const protocol = rng.chance(0.8) ? avroSourceProtocol : sparkFlumeProtocol;
      const requestor = new HandshakeRequestor(
        protocol,
        rng.chance(0.5) ? { token: rng.pick(['secret', 'x']) } : {},
      );
      w.raw(requestor.request(rng.chance(0.5)));
      const name = rng.pick(['appendBatch', 'append', '', 'getEventBatch', 'nope']);
      w.raw(requestHead(name));
      const events = randomEvents(rng, 6);
      if (name === 'append' && events.length > 0) encoder.writeEvent(w, events[0]!);
      else encoder.writeBatch(w, events);
    } else {
      const responder = rng.chance(0.5) ? open : guarded;
      const hs = responder.respond(
        new Reader(new HandshakeRequestor(avroSourceProtocol).request(rng.chance(0.5))),
      );
      w.raw(hs.response);
      if (rng.chance(0.7)) {
        w.raw(OK_HEAD);
        w.long(rng.below(3));
      } else w.raw(systemErrorBody(rng.text(rng.size(40))));
    }
    return Buffer.from(w.finish());
  },
  dictionary: [
    Buffer.from(avroSourceProtocol.hash),
    Buffer.from([0x02]),
    Buffer.from([0x00]),
    requestHead('appendBatch'),
    Buffer.from('sluice.token'),
  ],
  run(input, rng) {
    const failures: unknown[] = [];
    try {
      const r = new Reader(input);
      const outcome = (rng.chance(0.5) ? open : guarded).respond(r);
      if (outcome.status === 'connected') {
        const name = readRequestHead(r);
        if (name === 'appendBatch') readFlumeEvents(r, '192.0.2.1');
        else if (name === 'append') readFlumeEvent(r, '192.0.2.1');
      }
    } catch (e) {
      failures.push(e);
    }
    try {
      const client = new HandshakeRequestor(avroSourceProtocol);
      const r = new Reader(input);
      if (client.onResponse(r, rng.chance(0.5)) === 'connected' && r.remaining > 0) {
        readResponseHead(r, '192.0.2.1', 'appendBatch');
        r.long();
      }
    } catch (e) {
      failures.push(e);
    }
    // A crash on one side must not hide behind a typed error on the other; an input is a value when
    // either side could read it (a request is rarely also a response).
    const crash = failures.find((e) => !isSluiceError(e));
    if (crash !== undefined) throw crash;
    if (failures.length === 2) throw failures[0];
  },
};
