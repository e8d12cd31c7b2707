import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { createFormat, FORMATS, findFormat } from './index.js';

test('FORMATS lists every format once, each with docs', () => {
  const names = FORMATS.map((f) => f.name);
  assert.deepEqual(names, [
    'raw',
    'debug',
    'syslog',
    'log4j',
    'avrojson',
    'avrodata',
    'seqfile',
    'header_and_text',
  ]);
  for (const f of FORMATS) {
    assert.ok(f.docs.length > 20, f.name);
    assert.equal(f.create().name, f.name);
  }
});

test('createFormat: by name, `default` is the debug format, each call is a new instance', () => {
  assert.equal(createFormat('default').name, 'debug');
  assert.equal(findFormat('default'), findFormat('debug'));
  assert.notEqual(createFormat('avrodata'), createFormat('avrodata'));
});

test("Flume NG's serializer names are formats: TEXT is raw, HEADER_AND_TEXT prints the headers as Java does", () => {
  assert.equal(findFormat('TEXT'), findFormat('raw'));
  const f = createFormat('HEADER_AND_TEXT');
  const e = Event.of(Buffer.from('hello'));
  e.setAttr('k', 'v');
  assert.equal(f.encode([e, Event.of(Buffer.from('bye'))]).toString(), '{k=v} hello\n{} bye\n');
});

test('an unknown format suggests the closest name', () => {
  for (const [name, hint] of [
    ['avrojsn', 'avrojson'],
    ['Syslog4', 'syslog'],
    ['defualt', 'default'],
  ] as const) {
    assert.throws(
      () => createFormat(name),
      (e: unknown) =>
        isSluiceError(e) && e.message.includes(`unknown output format "${name}" (did you mean "${hint}"?)`),
    );
  }
  assert.throws(
    () => createFormat('parquet'),
    (e: unknown) => isSluiceError(e) && !e.message.includes('did you mean'),
  );
});
