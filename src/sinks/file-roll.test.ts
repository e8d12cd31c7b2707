import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { testContext } from '../../test/mocks/sinks.js';
import { tempDir } from '../../test/support/tmp.js';
import { ComponentProperties } from '../catalog/properties.js';
import { Event } from '../core/event.js';
import { type FileRollSink, fileRollSink } from './file-roll.js';

const ctx = () => testContext({ nodeName: 'a1' });

function make(props: Record<string, string>): FileRollSink {
  return fileRollSink.create(
    new ComponentProperties('sink k1', fileRollSink.properties, props),
    ctx(),
  ) as FileRollSink;
}

const ev = (body: string, attrs: Record<string, string> = {}) => Event.of(body, { attrs });

test('TEXT writes body and newline per event, one file named <prefix><start>-1.<ext>, synced at close', async () => {
  const dir = join(tempDir('roll'), 'out');
  const before = Date.now();
  const sink = make({
    'sink.directory': dir,
    'sink.rollInterval': '0',
    'sink.pathManager.prefix': 'ev-',
    'sink.pathManager.extension': 'txt',
  });
  await sink.open();
  assert.deepEqual(readdirSync(dir), [], 'no file before the first batch');
  await sink.append([ev('a'), ev('bb')]);
  await sink.append([ev('ccc')]);
  await sink.close();
  const files = readdirSync(dir);
  assert.equal(files.length, 1);
  const m = /^ev-(\d+)-1\.txt$/.exec(files[0]!);
  assert.ok(m, files[0]);
  assert.ok(Number(m[1]) >= before && Number(m[1]) <= Date.now());
  assert.equal(readFileSync(join(dir, files[0]!), 'utf8'), 'a\nbb\nccc\n');
});

test('rolls to a new numbered file every rollInterval; nothing is lost across rolls', async () => {
  const dir = tempDir('roll');
  const sink = make({ 'sink.directory': dir, 'sink.rollInterval': '1' });
  await sink.open();
  let n = 0;
  // A bounded wait for the condition: a loaded machine fires the roll timer late.
  const deadline = Date.now() + 30_000;
  while (sink.files.length < 3 && Date.now() < deadline) {
    await sink.append([ev(String(n++)), ev(String(n++))]);
    await new Promise((r) => setTimeout(r, 100));
  }
  await sink.close();
  const files = readdirSync(dir).sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
  assert.ok(files.length >= 3, `expected 3 files, got ${files.join(', ')}`);
  assert.deepEqual(
    files.map((f) => f.split('-')[1]),
    files.map((_, i) => String(i + 1)),
  );
  const all = files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
  assert.deepEqual(
    all,
    Array.from({ length: n }, (_, i) => String(i)),
  );
});

test('an idle sink closes its file at the roll and opens no empty one', async () => {
  const dir = tempDir('roll');
  const sink = make({ 'sink.directory': dir, 'sink.rollInterval': '1' });
  await sink.open();
  await sink.append([ev('only')]);
  assert.ok(sink.currentFile);
  const deadline = Date.now() + 30_000;
  while (sink.currentFile !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(sink.currentFile, undefined, 'closed by the roll timer');
  await new Promise((r) => setTimeout(r, 1200));
  await sink.close();
  assert.equal(readdirSync(dir).length, 1);
});

test('HEADER_AND_TEXT and Sluice formats as serializers; an unknown serializer names the key', async () => {
  const dir = tempDir('roll');
  const h = make({
    'sink.directory': join(dir, 'h'),
    'sink.rollInterval': '0',
    'sink.serializer': 'HEADER_AND_TEXT',
  });
  await h.open();
  await h.append([ev('body', { k: 'v', x: 'y' })]);
  await h.close();
  assert.equal(readFileSync(join(dir, 'h', h.files[0]!), 'utf8'), '{k=v, x=y} body\n');

  const j = make({
    'sink.directory': join(dir, 'j'),
    'sink.rollInterval': '0',
    'sink.serializer': 'avrojson',
  });
  await j.open();
  await j.append([ev('one'), ev('two')]);
  await j.close();
  const text = readFileSync(join(dir, 'j', j.files[0]!), 'utf8');
  assert.ok(text.includes('one') && text.includes('two'), text);

  assert.throws(
    () => make({ 'sink.directory': dir, 'sink.serializer': 'avro_evnt' }),
    (e: unknown) => e instanceof Error && /sink k1: unknown output format "avro_evnt"/.test(e.message),
  );
  assert.throws(() => make({}), /sink k1: sink.directory is required/);
});

test('escapes in sink.directory or the prefix are refused, naming the key (file_roll writes paths literally)', () => {
  assert.throws(
    () => make({ 'sink.directory': '/tmp/x/%{host}' }),
    /does not expand escapes.*in sink.directory/,
  );
  assert.throws(
    () => make({ 'sink.directory': '/tmp/x', 'sink.pathManager.prefix': '%Y-' }),
    /sink.pathManager.prefix.*hdfs sink/,
  );
});
