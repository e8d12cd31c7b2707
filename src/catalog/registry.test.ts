import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SluiceError } from '../core/errors.js';
import type { EventSink, EventSource } from '../core/pipeline.js';
import { closest, didYouMean, editDistance } from '../core/suggest.js';
import { parseSink } from '../spec/parser.js';
import type { FormatDef } from './format.js';
import { Catalog } from './registry.js';
import type { ComponentDef, DecoratorDef, ParamSpec, SinkDef, SourceDef } from './types.js';

const nullSink: EventSink = { append() {}, async open() {}, async close() {} } as unknown as EventSink;
const nullSource = {} as EventSource;

function sink(name: string, extra: Partial<SinkDef> = {}): SinkDef {
  return { kind: 'sink', name, docs: `${name} sink`, params: [], build: () => nullSink, ...extra };
}
function source(name: string, params: ParamSpec[] = []): SourceDef {
  return { kind: 'source', name, docs: `${name} source`, params, build: () => nullSource };
}
function decorator(name: string): DecoratorDef {
  return { kind: 'decorator', name, docs: `${name} decorator`, params: [], build: (_a, _c, child) => child };
}

const base = new Catalog([
  sink('console', { aliases: ['stdout'] }),
  sink('null'),
  sink('rpcSink'),
  sink('collectorSink'),
  sink('text'),
  source('console'),
  source('tail'),
  source('rpcSource'),
  decorator('batch'),
  decorator('gzip'),
]);

function unknown(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SluiceError);
    assert.equal(e.code, 'SLUICE_SPEC_UNKNOWN_COMPONENT');
    return e;
  }
  assert.fail('expected an error');
}

describe('catalog', () => {
  test('lookup by kind, name and alias', () => {
    assert.equal(base.lookup('sink', 'console').docs, 'console sink');
    assert.equal(base.lookup('source', 'console').docs, 'console source');
    assert.equal(base.lookup('sink', 'stdout').name, 'console');
    assert.equal(base.lookup('decorator', 'gzip').kind, 'decorator');
    assert.equal(base.find('sink', 'gzip'), undefined);
    assert.equal(base.has('source', 'tail'), true);
    assert.equal(base.has('sink', 'tail'), false);
  });

  test('names are case-sensitive unless asked otherwise', () => {
    assert.equal(base.find('sink', 'Console'), undefined);
    assert.equal(base.find('sink', 'CONSOLE', { ignoreCase: true })?.name, 'console');
    assert.equal(base.lookup('sink', 'RPCSINK', undefined, { ignoreCase: true }).name, 'rpcSink');
    const e = unknown(() => base.lookup('sink', 'Console'));
    assert.equal(e.message, 'unknown sink "Console"; did you mean "console"?');
  });

  test('unknown names suggest the closest of that kind, at the place of the call', () => {
    const call = parseSink('\n  consle("x")');
    assert.equal(call.type, 'call');
    const e = unknown(() => base.lookup('sink', 'consle', call.pos, { file: 'a.spec' }));
    assert.equal(e.message, 'unknown sink "consle"; did you mean "console"?');
    assert.deepEqual(e.place, { file: 'a.spec', line: 2, column: 3 });
    assert.equal(e.detail, undefined);
    assert.equal(e.oneLine(), 'a.spec:2:3: unknown sink "consle"; did you mean "console"?');
  });

  test('a place with a file is used as given', () => {
    const e = unknown(() => base.lookup('source', 'tial', { file: 'b.spec', line: 4, column: 9 }));
    assert.equal(e.message, 'unknown source "tial"; did you mean "tail"?');
    assert.deepEqual(e.place, { file: 'b.spec', line: 4, column: 9 });
  });

  test('several close names are all offered, best first', () => {
    const e = unknown(() => base.lookup('sink', 'rpcSnk'));
    assert.equal(e.message, 'unknown sink "rpcSnk"; did you mean "rpcSink"?');
    const wide = base.with(sink('rpcSinks'), sink('rpcSink2'));
    const f = unknown(() => wide.lookup('sink', 'rpcSnk'));
    assert.equal(f.message, 'unknown sink "rpcSnk"; did you mean "rpcSink", "rpcSink2" or "rpcSinks"?');
    // Suggestions only come from the kind asked for.
    const g = unknown(() => base.lookup('source', 'rpcSink'));
    assert.equal(g.message, 'unknown source "rpcSink"; "rpcSink" is a sink');
  });

  test('a name of another kind says so', () => {
    const e = unknown(() => base.lookup('sink', 'batch'));
    assert.equal(e.message, 'unknown sink "batch"; "batch" is a decorator: write { batch => sink }');
    const f = unknown(() => base.lookup('sink', 'tail'));
    assert.equal(f.message, 'unknown sink "tail"; "tail" is a source');
    const g = unknown(() => base.lookup('decorator', 'console'));
    assert.equal(g.message, 'unknown decorator "console"; "console" is a source and a sink');
  });

  test('with nothing close, the known names are listed', () => {
    const e = unknown(() => base.lookup('decorator', 'zzzzzz', { line: 1, column: 1 }));
    assert.equal(e.message, 'unknown decorator "zzzzzz"');
    assert.equal(e.detail, 'known decorators: batch, gzip');
    const empty = new Catalog([]);
    assert.equal(unknown(() => empty.lookup('sink', 'x')).detail, 'the catalog has no sinks');
  });

  test('list is sorted and per kind', () => {
    assert.deepEqual(
      base.list('sink').map((d) => d.name),
      ['collectorSink', 'console', 'null', 'rpcSink', 'text'],
    );
    assert.deepEqual(
      base.list('source').map((d) => d.name),
      ['console', 'rpcSource', 'tail'],
    );
    assert.equal(base.list().length, 10);
    assert.equal(base.size, 10);
  });

  test('with and without return new catalogs and leave the original alone', () => {
    const replaced = base.with(sink('console', { docs: 'replacement' }), decorator('sample'));
    assert.equal(replaced.lookup('sink', 'console').docs, 'replacement');
    assert.equal(replaced.lookup('source', 'console').docs, 'console source');
    assert.equal(
      replaced.find('sink', 'stdout'),
      undefined,
      'the replaced definition takes its aliases along',
    );
    assert.equal(replaced.lookup('decorator', 'sample').name, 'sample');
    assert.equal(base.lookup('sink', 'console').docs, 'console sink');
    assert.equal(base.find('decorator', 'sample'), undefined);

    const narrow = base.without('console', 'gzip');
    assert.equal(narrow.find('sink', 'console'), undefined);
    assert.equal(narrow.find('source', 'console'), undefined);
    assert.equal(narrow.find('decorator', 'gzip'), undefined);
    assert.equal(narrow.size, 7);
    const one = base.without({ kind: 'source', name: 'console' });
    assert.equal(one.find('source', 'console'), undefined);
    assert.equal(one.find('sink', 'console')?.name, 'console');
    assert.equal(base.size, 10);
  });

  test('clashing names and aliases are catalog bugs', () => {
    const clash = (defs: ComponentDef[]) => {
      try {
        new Catalog(defs);
      } catch (e) {
        assert.ok(e instanceof SluiceError);
        assert.equal(e.code, 'SLUICE_INTERNAL');
        return e.message;
      }
      assert.fail('expected a clash');
    };
    assert.equal(clash([sink('a'), sink('a')]), 'catalog: sink name "a" is used by both "a" and "a"');
    assert.equal(
      clash([sink('a'), sink('b', { aliases: ['a'] })]),
      'catalog: sink name "a" is used by both "a" and "b"',
    );
    // The same name in two kinds is fine.
    assert.equal(new Catalog([sink('a'), source('a')]).size, 2);
  });

  test('parameter schemas are checked when the catalog is made', () => {
    const bad = (params: ParamSpec[], expected: RegExp) => {
      assert.throws(
        () => new Catalog([source('s', params)]),
        (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_INTERNAL' && expected.test(e.message),
      );
    };
    const p = (name: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({
      name,
      type: 'int',
      docs: '',
      ...extra,
    });
    bad([p('a', { optional: true }), p('b')], /required parameter "b" follows an optional one/);
    bad([p('a', { default: 1 }), p('b')], /required parameter "b" follows an optional one/);
    bad([p('a', { variadic: true }), p('b')], /variadic parameter "a" is not the last/);
    bad([p('a'), p('a')], /parameter "a" is declared twice/);
    bad([p('a', { default: 'x' })], /default of "a" is not a int/);
    bad([p('a', { default: 1.5 })], /default of "a" is not a int/);
    bad([p('a', { type: 'bool', default: 0 })], /default of "a" is not a bool/);
    bad(
      [p('a', { optional: true }), p('b', { variadic: true })],
      /required variadic "b" follows an optional one/,
    );
    assert.throws(() => new Catalog([sink('has space')]), /not an identifier/);
    // Valid shapes.
    new Catalog([
      source('s', [
        p('a'),
        p('b', { type: 'float', default: 1 }),
        p('c', { optional: true, variadic: true }),
      ]),
    ]);
  });
});

describe('suggestions', () => {
  test('closest names by edit distance, case-insensitive, within a third of the length', () => {
    assert.deepEqual(closest('consle', ['console', 'collectorSink', 'null']), ['console']);
    assert.deepEqual(closest('cnosole', ['console']), ['console']);
    assert.deepEqual(closest('TEXT', ['text', 'test', 'next']), ['text', 'next', 'test']);
    assert.deepEqual(closest('abcdef', ['uvwxyz']), []);
    assert.deepEqual(closest('x', ['y', 'xy', 'abc']), ['xy', 'y']);
    assert.deepEqual(closest('a', []), []);
    assert.equal(didYouMean('strt', ['start', 'stop']), '; did you mean "start"?');
    assert.equal(didYouMean('qqqq', ['start']), '');
  });
});

describe('edit distance', () => {
  test('insertions, deletions, substitutions and adjacent swaps', () => {
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('abc', ''), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('tial', 'tail'), 1);
    assert.equal(editDistance('ab', 'ba'), 1);
    assert.equal(editDistance('ca', 'abc'), 3);
    assert.equal(editDistance('consle', 'console'), 1);
  });
});

describe('output formats', () => {
  const format = (name: string, aliases?: string[]): FormatDef => ({
    kind: 'format',
    name,
    ...(aliases ? { aliases } : {}),
    docs: `${name} format`,
    extension: '',
    create: () => ({
      name,
      header: () => Buffer.alloc(0),
      encode: () => Buffer.alloc(0),
      footer: () => Buffer.alloc(0),
    }),
  });
  const withFormats = base.with(format('raw', ['TEXT']), format('avrojson'));

  test('a spec names a format exactly, an agent file without case; aliases too', () => {
    assert.equal(withFormats.format('raw').name, 'raw');
    assert.equal(withFormats.format('TEXT').name, 'raw');
    assert.equal(withFormats.format('text', { ignoreCase: true }).name, 'raw');
    assert.throws(() => withFormats.format('text'), /unknown output format "text" \(did you mean "TEXT"\?\)/);
    assert.deepEqual(
      withFormats.formats().map((f) => f.name),
      ['raw', 'avrojson'],
    );
  });

  test('two formats may not share a name, whatever its case; without() removes one', () => {
    assert.throws(
      () => withFormats.with(format('Text')),
      /format name "Text" is used by both "raw" and "Text"/,
    );
    const narrowed = withFormats.without({ kind: 'format', name: 'avrojson' });
    assert.deepEqual(
      narrowed.formats().map((f) => f.name),
      ['raw'],
    );
  });
});
