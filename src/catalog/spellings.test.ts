import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testContext } from '../../test/mocks/sinks.js';
import { SluiceError } from '../core/errors.js';
import { builtinCatalog } from '../flow/builtins.js';
import { compileSource } from '../flow/compile.js';
import { parseSpec } from '../spec/parser.js';
import { keywordOf } from './spellings.js';

const catalog = builtinCatalog();

function sourceOf(call: string) {
  const node = parseSpec(`n : ${call} | null ;`, 'x.spec').nodes[0]!;
  return compileSource(node.source, { catalog, context: testContext(), file: 'x.spec' });
}

test('a property is spelled as a camelCase keyword', () => {
  assert.equal(keywordOf('max-connections'), 'maxConnections');
  assert.equal(keywordOf('hdfs.path'), 'hdfsPath');
  assert.equal(keywordOf('sink.pathManager.extension'), 'sinkPathManagerExtension');
  assert.equal(keywordOf('batchSize'), 'batchSize');
});

test('a source defined by NG properties runs from a spec with its properties as keywords', async () => {
  const source = sourceOf('seq(totalEvents=250, batchSize=100)')();
  await source.open();
  const sizes: number[] = [];
  for (let b = await source.next(); b !== null; b = await source.next()) sizes.push(b.length);
  await source.close();
  assert.deepEqual(sizes, [100, 100, 50]);
});

test('a bad value for a property-defined source is placed at the spec line and column and names the keyword', () => {
  const make = sourceOf('spooldir(spoolDir="/nonexistent", deletePolicy="sometimes")');
  assert.throws(make, (e: unknown) => {
    assert.ok(e instanceof SluiceError);
    assert.equal(e.code, 'SLUICE_SPEC_BAD_ARGUMENT');
    assert.match(e.message, /deletePolicy must be one of never, immediate, got "sometimes"/);
    assert.deepEqual(
      { file: e.place?.file, line: e.place?.line, column: e.place?.column, field: e.place?.field },
      { file: 'x.spec', line: 1, column: 5, field: 'deletePolicy' },
    );
    return true;
  });
  // A type error is found by the binder itself, at the argument.
  assert.throws(
    () => sourceOf('seq(totalEvents="many")'),
    /seq: argument totalEvents must be an int, got string "many"/,
  );
});

test('a component without a spec spelling is not a spec name; its namesake or reason is documented', () => {
  assert.equal(catalog.find('source', 'TAILDIR'), undefined);
  assert.equal(catalog.find('sink', 'org.apache.spark.streaming.flume.sink.SparkSink'), undefined);
  // In a spec, avro stays the OG avroSource; in an agent file it is the NG avro source.
  assert.equal(catalog.find('source', 'avro')?.name, 'avroSource');
  assert.equal(catalog.agentFind('source', 'avro')?.agent?.type, 'avro');
  assert.equal(catalog.agentFind('source', 'tail')?.def?.name, 'tail');
  // A spec name differing only in case from a spec namesake is not a second spelling.
  assert.equal(catalog.find('source', 'syslogtcp'), undefined);
  assert.equal(catalog.find('source', 'syslogTcp')?.name, 'syslogTcp');
});
