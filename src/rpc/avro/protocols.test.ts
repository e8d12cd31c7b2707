import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import {
  AVRO_SOURCE_PROTOCOL_JSON,
  avroSourceProtocol,
  protocolFromJson,
  SPARK_FLUME_PROTOCOL_JSON,
  sparkFlumeProtocol,
} from './protocols.js';

test("Flume's AvroSourceProtocol has Java's MD5", () => {
  assert.equal(avroSourceProtocol.hash.toString('hex'), '86aadae2c45474c0fe93ffd0f2350a65');
  // avsc hashes the JSON.stringify of the parsed object: same text, same hash.
  const svc = avro.Service.forProtocol(JSON.parse(AVRO_SOURCE_PROTOCOL_JSON));
  assert.equal(svc.hash.toString('hex'), '86aadae2c45474c0fe93ffd0f2350a65');
});

test("Spark's SparkFlumeProtocol has Java's MD5", () => {
  assert.equal(sparkFlumeProtocol.hash.toString('hex'), '45f3c2c4aa53244ceaacda6731dedffb');
  const svc = avro.Service.forProtocol(JSON.parse(SPARK_FLUME_PROTOCOL_JSON));
  assert.equal(svc.hash.toString('hex'), '45f3c2c4aa53244ceaacda6731dedffb');
});

test('messages: two-way, with their request and response types', () => {
  const append = avroSourceProtocol.messages.get('appendBatch')!;
  assert.equal(append.oneWay, false);
  // The documented example bytes of appendBatch([{headers:{k:"v"}, body:"hi"}]).
  const bytes = append.requestType.toBuffer({ events: [{ headers: { k: 'v' }, body: Buffer.from('hi') }] });
  assert.equal(bytes.toString('hex'), '0202026b02760004686900');
  const ack = sparkFlumeProtocol.messages.get('ack')!;
  assert.equal(ack.oneWay, false);
  assert.equal(ack.responseType.typeName, 'null');
  const get = sparkFlumeProtocol.messages.get('getEventBatch')!;
  assert.equal(get.requestType.toBuffer({ n: 1000 }).toString('hex'), 'd00f');
  assert.equal(
    get.responseType
      .toBuffer({
        errorMsg: '',
        sequenceNumber: 'aB3dE5gH1',
        events: [{ headers: {}, body: Buffer.from('x') }],
      })
      .toString('hex'),
    '00126142336445356748310200027800',
  );
});

test('an unparsable protocol is a SLUICE_FORMAT error', () => {
  assert.throws(() => protocolFromJson('{"protocol": 3}'), { code: 'SLUICE_FORMAT' });
  assert.throws(() => protocolFromJson('not json'), { code: 'SLUICE_FORMAT' });
});
