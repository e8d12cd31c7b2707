import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import avro from 'avsc';
import { peer, peerSkip } from '../../test/support/peers.js';
import { attrsOf, sampleEvents, TS } from '../../test/support/sample-events.js';
import { Event } from '../core/event.js';
import { PRIORITY_NAMES } from '../core/priority.js';
import { EVENT_SCHEMA } from './avro-event.js';
import { avrodataFormat } from './avrodata.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-avrodata-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What a reader should see for each event, in a form both readers below print. */
function expected(events: Event[]) {
  return events.map((e) => ({
    timestamp: e.timestamp,
    priority: PRIORITY_NAMES[e.priority],
    body: e.body.toString('hex'),
    nanos: e.nanos,
    host: e.host,
    fields: attrsOf(e),
  }));
}

function writeFile(name: string, parts: Buffer[]): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

function manyEvents(n: number): Event[] {
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      Event.of(`event ${i} ${'x'.repeat(i % 50)}`, {
        timestamp: TS + i,
        nanos: i,
        host: `h${i % 3}`,
        attrs: i % 2 ? { i: String(i) } : {},
      }),
    );
  }
  return out;
}

async function readWithAvsc(
  path: string,
): Promise<{ schemaName: string | undefined; codec: string; records: unknown[] }> {
  return new Promise((resolve, reject) => {
    const records: unknown[] = [];
    let schemaName: string | undefined;
    let codec = '';
    avro
      .createFileDecoder(path)
      .on('metadata', (type: avro.Type, c: string) => {
        schemaName = type.name;
        codec = c;
      })
      .on(
        'data',
        (r: {
          timestamp: number;
          priority: string;
          body: Buffer;
          nanos: number;
          host: string;
          fields: Record<string, Buffer>;
        }) =>
          records.push({
            timestamp: r.timestamp,
            priority: r.priority,
            body: r.body.toString('hex'),
            nanos: r.nanos,
            host: r.host,
            fields: Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, v.toString('hex')])),
          }),
      )
      .on('error', reject)
      .on('end', () => resolve({ schemaName, codec, records }));
  });
}

test('avrodata: a container file of several blocks reads back with avsc, every field intact', async () => {
  const f = avrodataFormat.create();
  const a = sampleEvents();
  const b = manyEvents(500);
  const path = writeFile('blocks.avro', [f.header(), f.encode(a), f.encode([]), f.encode(b), f.footer()]);
  const got = await readWithAvsc(path);
  assert.equal(got.schemaName, 'com.cloudera.flume.handlers.avro.AvroFlumeOGEvent');
  assert.equal(got.codec, 'null');
  assert.deepEqual(got.records, expected([...a, ...b]));
});

test('avrodata: the first encode carries the header when none was asked for', async () => {
  const f = avrodataFormat.create();
  const a = sampleEvents();
  const first = f.encode(a.slice(0, 2));
  assert.deepEqual(first.subarray(0, 4), Buffer.from('Obj\x01', 'latin1'));
  const path = writeFile('noheader.avro', [first, f.encode(a.slice(2))]);
  assert.deepEqual((await readWithAvsc(path)).records, expected(a));
});

test('avrodata: blocks have the documented layout (count, size, records, sync)', () => {
  const f = avrodataFormat.create();
  const header = f.header();
  const sync = header.subarray(header.length - 16);
  const block = f.encode([Event.of('ab', { timestamp: 1, nanos: 2, host: 'h', priority: 3 })]);
  // count 1 -> 02; size; record: ts 1 -> 02, INFO(3) -> 06, body "ab" -> 04 61 62, nanos 2 -> 04,
  // host "h" -> 02 68, empty map -> 00.
  const record = Buffer.from([0x02, 0x06, 0x04, 0x61, 0x62, 0x04, 0x02, 0x68, 0x00]);
  assert.deepEqual(block, Buffer.concat([Buffer.from([0x02, record.length * 2]), record, sync]));
  const type = avro.Type.forSchema(EVENT_SCHEMA as unknown as avro.Schema);
  assert.deepEqual(
    type.fromBuffer(record),
    type.clone({ timestamp: 1, priority: 'INFO', body: Buffer.from('ab'), nanos: 2, host: 'h', fields: {} }),
  );
});

const PY_READER = `
import json, sys
from avro.datafile import DataFileReader
from avro.io import DatumReader
with DataFileReader(open(sys.argv[1], 'rb'), DatumReader()) as r:
    print(json.loads(r.get_meta('avro.schema').decode())['name'])
    for rec in r:
        print(json.dumps({'timestamp': rec['timestamp'], 'priority': rec['priority'], 'body': rec['body'].hex(),
                          'nanos': rec['nanos'], 'host': rec['host'],
                          'fields': {k: v.hex() for k, v in rec['fields'].items()}}))
`;

test('avrodata: Apache Avro for Python reads the file', { skip: peerSkip('python3-avro') }, () => {
  const py = peer('python3-avro');
  const f = avrodataFormat.create();
  const a = sampleEvents();
  const b = manyEvents(200);
  const path = writeFile('python.avro', [f.header(), f.encode(a), f.encode(b)]);
  const r = spawnSync(py, ['-c', PY_READER, path], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const [name, ...lines] = r.stdout.trim().split('\n');
  assert.equal(name, 'AvroFlumeOGEvent');
  assert.deepEqual(
    lines.map((l) => JSON.parse(l)),
    expected([...a, ...b]),
  );
});
