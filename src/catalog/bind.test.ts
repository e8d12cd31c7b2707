import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SiteConfig } from '../core/config.js';
import { SluiceError } from '../core/errors.js';
import type { EventSink } from '../core/pipeline.js';
import { parseSource } from '../spec/parser.js';
import { bindArgs, bindProperties, resolveCall, signature } from './bind.js';
import { Catalog } from './registry.js';
import type { ParamSpec, SinkDef } from './types.js';

const p = (name: string, type: ParamSpec['type'], extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name,
  type,
  docs: `the ${name}`,
  ...extra,
});
function def(name: string, params: ParamSpec[]): SinkDef {
  return { kind: 'sink', name, docs: '', params, build: () => ({}) as EventSink };
}

const tail = def('tail', [p('filename', 'string'), p('startFromEnd', 'bool', { default: false })]);
const batch = def('batch', [p('n', 'int'), p('maxLatency', 'int', { optional: true })]);
const multitail = def('multitail', [p('files', 'string', { variadic: true })]);
const exec = def('exec', [p('cmd', 'string'), p('args', 'string', { optional: true, variadic: true })]);
const sample = def('sample', [p('rate', 'float', { default: 0.5 })]);
const agent = def('agentSink', [
  p('host', 'string', { configDefault: 'flume.collector.event.host' }),
  p('port', 'int', { configDefault: 'flume.collector.port' }),
]);
const none = def('console', []);

function bind(d: SinkDef, text: string, config?: SiteConfig) {
  return bindArgs(d, parseSource(text), 'x.spec', config);
}

function bad(d: SinkDef, text: string, line: number, column: number, message: string): SluiceError {
  try {
    bindArgs(d, parseSource(text, 'x.spec'), 'x.spec');
  } catch (e) {
    assert.ok(e instanceof SluiceError, String(e));
    assert.equal(e.code, 'SLUICE_SPEC_BAD_ARGUMENT');
    assert.equal(e.message, message);
    assert.deepEqual(e.place, { file: 'x.spec', line, column });
    assert.equal(e.detail, signature(d));
    return e;
  }
  assert.fail(`expected ${text} to be refused`);
}

describe('argument binding', () => {
  test('positional arguments and defaults', () => {
    const a = bind(tail, 'tail("a.log")');
    assert.equal(a.string('filename'), 'a.log');
    assert.equal(a.bool('startFromEnd'), false);
    assert.equal(a.component, 'tail');
    const b = bind(tail, 'tail("a.log", true)');
    assert.equal(b.bool('startFromEnd'), true);
  });

  test('keyword arguments after positional ones, and alone', () => {
    const a = bind(tail, 'tail("f", startFromEnd=true)');
    assert.equal(a.bool('startFromEnd'), true);
    const b = bind(tail, 'tail(startFromEnd=true, filename="g")');
    assert.equal(b.string('filename'), 'g');
    const c = bind(batch, 'batch(10, maxLatency=5)');
    assert.deepEqual([c.int('n'), c.optInt('maxLatency')], [10, 5]);
  });

  test('an optional parameter without default stays absent', () => {
    const a = bind(batch, 'batch(10)');
    assert.equal(a.has('maxLatency'), false);
    assert.equal(a.optInt('maxLatency'), undefined);
  });

  test('int where float is declared; float default', () => {
    assert.equal(bind(sample, 'sample(2)').float('rate'), 2);
    assert.equal(bind(sample, 'sample(0.25)').float('rate'), 0.25);
    assert.equal(bind(sample, 'sample').float('rate'), 0.5);
  });

  test('variadic last parameter', () => {
    assert.deepEqual(bind(multitail, 'multitail("a", "b", "c")').rest('files'), ['a', 'b', 'c']);
    assert.deepEqual(bind(multitail, 'multitail("a")').rest('files'), ['a']);
    assert.deepEqual(bind(multitail, 'multitail(files="k")').rest('files'), ['k']);
    const e = bind(exec, 'exec("ls")');
    assert.deepEqual([e.string('cmd'), e.rest('args')], ['ls', []]);
    assert.deepEqual(bind(exec, 'exec("ls", "-l", "/")').rest('args'), ['-l', '/']);
  });

  test('site-config defaults, from the given config or the documented defaults', () => {
    const a = bind(agent, 'agentSink');
    assert.deepEqual([a.string('host'), a.int('port')], ['localhost', 35853]);
    const cfg = SiteConfig.defaults().with({
      'flume.collector.event.host': 'c1',
      'flume.collector.port': '4000',
    });
    const b = bind(agent, 'agentSink', cfg);
    assert.deepEqual([b.string('host'), b.int('port')], ['c1', 4000]);
    const c = bind(agent, 'agentSink("c2", 12)', cfg);
    assert.deepEqual([c.string('host'), c.int('port')], ['c2', 12]);
  });

  test('no arguments with or without parentheses', () => {
    assert.equal(bind(none, 'console').has('x'), false);
    assert.equal(bind(none, 'console()').component, 'console');
  });
});

describe('argument binding errors', () => {
  test('wrong types name the argument, its parameter and the value', () => {
    bad(batch, 'batch("x")', 1, 7, 'batch: argument 1 (n) must be an int, got string "x"');
    bad(batch, 'batch(1.5)', 1, 7, 'batch: argument 1 (n) must be an int, got float 1.5');
    bad(batch, 'batch(10, true)', 1, 11, 'batch: argument 2 (maxLatency) must be an int, got bool true');
    bad(tail, 'tail(5)', 1, 6, 'tail: argument 1 (filename) must be a string, got int 5');
    bad(tail, 'tail("f", "yes")', 1, 11, 'tail: argument 2 (startFromEnd) must be a bool, got string "yes"');
    bad(sample, 'sample("0.1")', 1, 8, 'sample: argument 1 (rate) must be a float, got string "0.1"');
    bad(multitail, 'multitail("a", 2)', 1, 16, 'multitail: argument 2 (files) must be a string, got int 2');
    bad(
      tail,
      'tail("f",\n  startFromEnd = 1)',
      2,
      18,
      'tail: argument startFromEnd must be a bool, got int 1',
    );
    bad(
      tail,
      'tail("a\\nb\\"c", "x")',
      1,
      17,
      'tail: argument 2 (startFromEnd) must be a bool, got string "x"',
    );
    bad(
      batch,
      `batch("${'y'.repeat(100)}")`,
      1,
      7,
      `batch: argument 1 (n) must be an int, got string "${'y'.repeat(37)}..."`,
    );
  });

  test('argument counts', () => {
    bad(tail, 'tail("a", true, 3)', 1, 17, 'tail expects 1 to 2 arguments, got 3');
    bad(tail, 'tail', 1, 1, 'tail expects 1 to 2 arguments, got 0');
    bad(tail, '  tail()', 1, 3, 'tail expects 1 to 2 arguments, got 0');
    bad(none, 'console(1)', 1, 9, 'console expects no arguments, got 1');
    bad(multitail, 'multitail()', 1, 1, 'multitail expects at least 1 argument, got 0');
    bad(def('pair', [p('a', 'int'), p('b', 'int')]), 'pair(1)', 1, 1, 'pair expects 2 arguments, got 1');
    bad(def('one', [p('a', 'int')]), 'one(1, 2)', 1, 8, 'one expects 1 argument, got 2');
    bad(def('one', [p('a', 'int')]), 'one(1, a=2)', 1, 8, 'one: argument a is given twice');
  });

  test('keyword mistakes', () => {
    bad(
      tail,
      'tail("f", startFromEnb=true)',
      1,
      11,
      'tail has no parameter "startFromEnb"; did you mean "startFromEnd"?',
    );
    bad(tail, 'tail("f", zzz=true)', 1, 11, 'tail has no parameter "zzz"');
    bad(tail, 'tail("f", filename="g")', 1, 11, 'tail: argument filename is given twice');
    bad(tail, 'tail(startFromEnd=true)', 1, 1, 'tail: missing argument 1 (filename)');
    bad(multitail, 'multitail("a", files="b")', 1, 16, 'multitail: argument files is given twice');
  });

  test('the detail is the signature', () => {
    const e = bad(tail, 'tail(1)', 1, 6, 'tail: argument 1 (filename) must be a string, got int 1');
    assert.equal(e.detail, 'tail(filename: string[, startFromEnd: bool = false])');
    assert.equal(e.oneLine(), 'x.spec:1:6: tail: argument 1 (filename) must be a string, got int 1');
  });

  test('without a file the place has a line and column only', () => {
    try {
      bindArgs(batch, parseSource('batch("x")'));
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof SluiceError);
      assert.deepEqual(e.place, { line: 1, column: 7 });
    }
  });
});

describe('signature', () => {
  test('renders required, optional, defaults, config defaults and variadics', () => {
    assert.equal(signature(tail), 'tail(filename: string[, startFromEnd: bool = false])');
    assert.equal(signature(batch), 'batch(n: int[, maxLatency: int])');
    assert.equal(signature(multitail), 'multitail(files: string...)');
    assert.equal(signature(exec), 'exec(cmd: string[, args: string...])');
    assert.equal(signature(sample), 'sample([rate: float = 0.5])');
    assert.equal(
      signature(agent),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: signatures show config defaults as Hadoop's ${property}
      'agentSink([host: string = ${flume.collector.event.host}[, port: int = ${flume.collector.port}]])',
    );
    assert.equal(signature(none), 'console()');
    assert.equal(
      signature(def('text', [p('file', 'string'), p('format', 'string', { default: 'raw "x"\n' })])),
      'text(file: string[, format: string = "raw \\"x\\"\\n"])',
    );
  });
});

describe('resolveCall', () => {
  const catalog = new Catalog([tail, batch]);

  test('looks up and binds in one step', () => {
    const { def: d, args } = resolveCall(catalog, 'sink', parseSource('batch(3)'));
    assert.equal(d, batch);
    assert.equal(args.int('n'), 3);
  });

  test('unknown names come from the catalog with the call position and file', () => {
    try {
      resolveCall(catalog, 'sink', parseSource('\n btch(3)'), { file: 'f.spec' });
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof SluiceError);
      assert.equal(e.code, 'SLUICE_SPEC_UNKNOWN_COMPONENT');
      assert.equal(e.message, 'unknown sink "btch"; did you mean "batch"?');
      assert.deepEqual(e.place, { file: 'f.spec', line: 2, column: 2 });
    }
  });
});

test('bindProperties reads a schema from agent-file keys: NG names first, then the argument name', () => {
  const def = {
    name: 'demo',
    params: [
      { name: 'path', type: 'string', docs: '' },
      { name: 'level', type: 'int', default: 6, property: 'compression-level', docs: '' },
      { name: 'on', type: 'bool', optional: true, docs: '' },
    ] as ParamSpec[],
  };
  const input = (values: Record<string, string>) => ({
    prefix: 'a1.sinks.k1.',
    optString: (k: string) => values[k],
    keys: () => Object.keys(values),
    error: (k: string, m: string) => new SluiceError('SLUICE_AGENT_CONFIG', m, { place: { field: k } }),
  });
  const warnings: string[] = [];
  const args = bindProperties(
    def,
    input({ path: '/x', 'compression-level': '3', pth: 'y', channel: 'c1' }),
    undefined,
    (m) => warnings.push(m),
  );
  assert.deepEqual([args.string('path'), args.int('level'), args.optBool('on')], ['/x', 3, undefined]);
  assert.deepEqual(warnings, ['a1.sinks.k1.pth: demo has no property "pth" (ignored); did you mean "path"?']);
  assert.equal(bindProperties(def, input({ path: '/x', level: '4' })).int('level'), 4);
  assert.throws(
    () => bindProperties(def, input({ path: '/x', on: 'yes' })),
    /^SluiceError: a1\.sinks\.k1\.on must be true or false, got "yes"$/,
  );
  assert.throws(() => bindProperties(def, input({})), /demo needs a1\.sinks\.k1\.path/);
});
