import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SluiceError } from '../core/errors.js';
import type { Call, Literal, SinkNode } from './ast.js';
import { MAX_NESTING, parseSink, parseSource, parseSpec } from './parser.js';
import { stripPositions } from './positions.js';
import { printSink } from './printer.js';

// Position-free builders so expected trees stay readable.
const str = (value: string) => ({ kind: 'string', value }) as Literal;
const int = (value: number) => ({ kind: 'int', value }) as Literal;
const flt = (value: number) => ({ kind: 'float', value }) as Literal;
const bool = (value: boolean) => ({ kind: 'bool', value }) as Literal;
function call(name: string, args?: Literal[], kwargs: Record<string, Literal> = {}): Call {
  return {
    name,
    args: args ?? [],
    kwargs: Object.entries(kwargs).map(([n, value]) => ({ name: n, value })),
    parens: args !== undefined || Object.keys(kwargs).length > 0,
  } as unknown as Call;
}
const sink = (c: Call) => ({ type: 'call', call: c }) as SinkNode;
const s = (name: string, args?: Literal[]) => sink(call(name, args));
const ref = (name: string) => ({ type: 'ref', name }) as SinkNode;
const fan = (...children: SinkNode[]) => ({ type: 'fanout', children }) as SinkNode;
const deco = (d: Call, child: SinkNode) => ({ type: 'decorated', decorator: d, child }) as SinkNode;
const fail = (primary: SinkNode, backup: SinkNode) => ({ type: 'failover', primary, backup }) as SinkNode;
const roll = (args: Literal[], child: SinkNode) =>
  ({ type: 'roll', call: call('roll', args), child }) as SinkNode;
const let_ = (name: string, value: SinkNode, body: SinkNode) =>
  ({ type: 'let', name, value, body }) as SinkNode;

function sinkOf(text: string): SinkNode {
  return stripPositions(parseSink(text));
}

/** Runs `fn`, which must throw a SluiceError, and returns it. */
function error(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SluiceError, `expected a SluiceError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

function syntax(text: string, line: number, column: number, message: string | RegExp, file = 'test.spec') {
  const e = error(() => parseSpec(text, file));
  assert.equal(e.code, 'SLUICE_SPEC_SYNTAX');
  assert.deepEqual(e.place, { file, line, column });
  if (typeof message === 'string') assert.equal(e.message, message);
  else assert.match(e.message, message);
  return e;
}

describe('spec parser: nodes', () => {
  test('one node with positions', () => {
    const spec = parseSpec('agent1 : tail("a.log") | console ;');
    assert.equal(spec.nodes.length, 1);
    const n = spec.nodes[0]!;
    assert.equal(n.name, 'agent1');
    assert.deepEqual(n.pos, { line: 1, column: 1, offset: 0 });
    assert.deepEqual(n.source.pos, { line: 1, column: 10, offset: 9 });
    assert.deepEqual(n.source.args[0]!.pos, { line: 1, column: 15, offset: 14 });
    assert.deepEqual(n.sink.pos, { line: 1, column: 26, offset: 25 });
    assert.deepEqual(stripPositions(n.source), call('tail', [str('a.log')]));
    assert.deepEqual(stripPositions(n.sink), s('console'));
  });

  test('several nodes; the final semicolon may be omitted', () => {
    const spec = parseSpec('a : x | y ;\nb : x() | y(1);\n\nc:z|w');
    assert.deepEqual(
      spec.nodes.map((n) => n.name),
      ['a', 'b', 'c'],
    );
    assert.equal(spec.nodes[1]!.source.parens, true);
    assert.equal(spec.nodes[0]!.source.parens, false);
    assert.deepEqual(spec.nodes[2]!.pos, { line: 4, column: 1, offset: 29 });
  });

  test('an empty text or only comments is an empty spec', () => {
    assert.deepEqual(parseSpec(''), { nodes: [] });
    assert.deepEqual(parseSpec('  // nothing\n# here\n/* or\nhere */ \n'), { nodes: [] });
  });

  test('node names with dashes, dots, digits and underscores', () => {
    const spec = parseSpec('host-1.example.com : null | console; _n2 : null | console');
    assert.equal(spec.nodes[0]!.name, 'host-1.example.com');
    assert.equal(spec.nodes[1]!.name, '_n2');
  });

  test('the user guide examples parse', () => {
    const text = `
node1 : tail("foo") | { ackedWriteAhead => { batch(100) => { gzip => {
lazyOpen => { stubbornAppend => logicalSink("bar") } } } } };
node2 : tail("foo") | let primary := { lazyOpen => {stubbornAppend => logicalSink("bar") } } in < primary ? { diskFailover => { insistentOpen => primary} } >;
agent1 : source | < logicalSink("collector1") ? logicalSink("collector2")
> ;
flumenode: source | { intervalSampler(10) => sink };
c: collectorSource | roll(1000) [ console, escapedCustomDfs("hdfs://namenode/flume/file-%{rolltag}") ]
`;
    const spec = parseSpec(text);
    assert.deepEqual(
      spec.nodes.map((n) => n.name),
      ['node1', 'node2', 'agent1', 'flumenode', 'c'],
    );
    assert.deepEqual(
      stripPositions(spec.nodes[1]!.sink),
      let_(
        'primary',
        deco(call('lazyOpen'), deco(call('stubbornAppend'), s('logicalSink', [str('bar')]))),
        fail(ref('primary'), deco(call('diskFailover'), deco(call('insistentOpen'), ref('primary')))),
      ),
    );
    assert.deepEqual(
      stripPositions(spec.nodes[4]!.sink),
      roll(
        [int(1000)],
        fan(s('console'), s('escapedCustomDfs', [str('hdfs://namenode/flume/file-%{rolltag}')])),
      ),
    );
  });
});

describe('spec parser: sinks', () => {
  test('simple sinks with and without parentheses', () => {
    assert.deepEqual(sinkOf('console'), s('console'));
    assert.deepEqual(sinkOf('console()'), s('console', []));
    assert.equal(parseSink('console').pos.column, 1);
  });

  test('fanout of one and many, nested', () => {
    assert.deepEqual(sinkOf('[ a ]'), fan(s('a')));
    assert.deepEqual(sinkOf('[a,b(1),[c,d]]'), fan(s('a'), s('b', [int(1)]), fan(s('c'), s('d'))));
    const f = parseSink('x\n  [ a, b ]'.slice(1));
    assert.deepEqual(f.pos, { line: 2, column: 3, offset: 3 });
  });

  test('decorators, nested and chained, are the same tree', () => {
    const nested = sinkOf('{ batch(100) => { gzip => rpcSink("h", 1) } }');
    const chained = sinkOf('{ batch(100) => gzip => rpcSink("h", 1) }');
    const expected = deco(call('batch', [int(100)]), deco(call('gzip'), s('rpcSink', [str('h'), int(1)])));
    assert.deepEqual(nested, expected);
    assert.deepEqual(chained, expected);
    const deep = sinkOf('{ a => b => c => d => { e => f } }');
    assert.deepEqual(
      deep,
      deco(call('a'), deco(call('b'), deco(call('c'), deco(call('d'), deco(call('e'), s('f')))))),
    );
  });

  test('a decorator may wrap any sink form', () => {
    assert.deepEqual(sinkOf('{ d => [ a, b ] }'), deco(call('d'), fan(s('a'), s('b'))));
    assert.deepEqual(sinkOf('{ d => < a ? b > }'), deco(call('d'), fail(s('a'), s('b'))));
    assert.deepEqual(sinkOf('{ d => roll(5) a }'), deco(call('d'), roll([int(5)], s('a'))));
    assert.deepEqual(sinkOf('{ d => let x := a in x }'), deco(call('d'), let_('x', s('a'), ref('x'))));
  });

  test('decorator position is the decorator name', () => {
    const d = parseSink('  { batch(3) => x }');
    assert.equal(d.type, 'decorated');
    assert.deepEqual(d.pos, { line: 1, column: 5, offset: 4 });
    if (d.type === 'decorated') assert.deepEqual(d.child.pos, { line: 1, column: 17, offset: 16 });
  });

  test('braces group a single sink', () => {
    assert.deepEqual(sinkOf('{ console }'), s('console'));
    assert.deepEqual(sinkOf('{ { [ a ] } }'), fan(s('a')));
    assert.deepEqual(sinkOf('{ roll(1) { a } }'), roll([int(1)], s('a')));
    assert.deepEqual(sinkOf('{ let x := a in x }'), let_('x', s('a'), ref('x')));
  });

  test('failover, and chains to the right', () => {
    assert.deepEqual(sinkOf('< a ? b >'), fail(s('a'), s('b')));
    assert.deepEqual(sinkOf('<a?b?c>'), fail(s('a'), fail(s('b'), s('c'))));
    assert.deepEqual(sinkOf('< a ? b ? c ? d >'), fail(s('a'), fail(s('b'), fail(s('c'), s('d')))));
    assert.deepEqual(sinkOf('< < a ? b > ? c >'), fail(fail(s('a'), s('b')), s('c')));
    assert.deepEqual(sinkOf('< a ? < b ? c > >'), sinkOf('< a ? b ? c >'));
  });

  test('roll with braces, without, and with any sink', () => {
    assert.deepEqual(sinkOf('roll(1000) { console }'), roll([int(1000)], s('console')));
    assert.deepEqual(sinkOf('roll(1000) console'), roll([int(1000)], s('console')));
    assert.deepEqual(sinkOf('roll(10) [a, b]'), roll([int(10)], fan(s('a'), s('b'))));
    assert.deepEqual(
      sinkOf('roll(15000) { collectorMagic => escapedCustomDfs("xxx", "yyy-%rolltag") }'),
      roll(
        [int(15000)],
        deco(call('collectorMagic'), s('escapedCustomDfs', [str('xxx'), str('yyy-%rolltag')])),
      ),
    );
    assert.deepEqual(sinkOf('roll(1, tag="x") a'), {
      type: 'roll',
      call: call('roll', [int(1)], { tag: str('x') }),
      child: s('a'),
    });
  });

  test('let binds a name in its body only, lexically', () => {
    assert.deepEqual(sinkOf('let x := a in [ x, x() ]'), let_('x', s('a'), fan(ref('x'), s('x', []))));
    // Not in scope in its own value.
    assert.deepEqual(sinkOf('let x := x in x'), let_('x', s('x'), ref('x')));
    // Not in scope outside the let.
    assert.deepEqual(sinkOf('[ let x := a in x, x ]'), fan(let_('x', s('a'), ref('x')), s('x')));
    // Nested lets and shadowing.
    assert.deepEqual(
      sinkOf('let x := a in let y := x in < y ? x >'),
      let_('x', s('a'), let_('y', ref('x'), fail(ref('y'), ref('x')))),
    );
    // A decorator with the bound name is still a decorator.
    assert.deepEqual(sinkOf('let x := a in { x => x }'), let_('x', s('a'), deco(call('x'), ref('x'))));
    // The scope reaches into nested forms.
    assert.deepEqual(
      sinkOf('let p := a in roll(1) { d => < p ? [ p, b ] > }'),
      let_('p', s('a'), roll([int(1)], deco(call('d'), fail(ref('p'), fan(ref('p'), s('b')))))),
    );
    const l = parseSink('let x := a in x');
    assert.equal(l.type, 'let');
    if (l.type === 'let') assert.deepEqual(l.body.pos, { line: 1, column: 15, offset: 14 });
  });

  test('let, in and roll are names outside sink position', () => {
    const spec = parseSpec('let : roll | x; in : let(1) | y');
    assert.deepEqual(
      spec.nodes.map((n) => [n.name, n.source.name]),
      [
        ['let', 'roll'],
        ['in', 'let'],
      ],
    );
  });
});

describe('spec parser: arguments', () => {
  const args = (text: string) => stripPositions(parseSource(`f(${text})`));

  test('literal kinds', () => {
    assert.deepEqual(
      args('"s", \'raw\', 0, 42, -7, 1.5, -0.25, 1e3, 2.5E-2, 0x1F, true, false'),
      call('f', [
        str('s'),
        str('raw'),
        int(0),
        int(42),
        int(-7),
        flt(1.5),
        flt(-0.25),
        flt(1000),
        flt(0.025),
        int(31),
        bool(true),
        bool(false),
      ]),
    );
  });

  test('-0 is the int 0', () => {
    const c = parseSource('f(-0)');
    assert.ok(Object.is(c.args[0]!.value, 0));
  });

  test('keyword arguments after positional ones', () => {
    const c = parseSource('tail("f", startFromEnd=true, n = 3)');
    assert.deepEqual(stripPositions(c), call('tail', [str('f')], { startFromEnd: bool(true), n: int(3) }));
    assert.deepEqual(c.kwargs[0]!.pos, { line: 1, column: 11, offset: 10 });
    assert.deepEqual(c.kwargs[0]!.value.pos, { line: 1, column: 24, offset: 23 });
    assert.deepEqual(stripPositions(parseSource('g(a=1)')), call('g', [], { a: int(1) }));
  });

  test('java escapes in double-quoted strings', () => {
    const v = (lit: string) => parseSource(`f(${lit})`).args[0]!.value;
    assert.equal(v('"a\\nb\\tc\\rd\\be\\ff"'), 'a\nb\tc\rd\be\ff');
    assert.equal(v('"q\\"q\\\'q\\\\q"'), 'q"q\'q\\q');
    assert.equal(v('"\\u0041\\u00e9\\uuu0042"'), 'AéB');
    assert.equal(v('"\\uD83D\\uDE00"'), '😀');
    assert.equal(v('"\\0\\7\\12\\101\\377\\400"'), '\0\x07\nA\u00ff\u00200');
    assert.equal(v('"tab\there"'), 'tab\there');
    assert.equal(v('"two\nlines"'), 'two\nlines');
    assert.equal(v('"%{host}-%Y"'), '%{host}-%Y');
    assert.equal(v('""'), '');
  });

  test('single-quoted strings are raw', () => {
    const v = (lit: string) => parseSource(`f(${lit})`).args[0]!.value;
    assert.equal(v("'C:\\logs\\n.txt'"), 'C:\\logs\\n.txt');
    assert.equal(v('\'say "hi"\''), 'say "hi"');
    assert.equal(v("''"), '');
  });

  test('comments of three kinds anywhere between tokens', () => {
    const spec = parseSpec(
      '# header\na /* inline */ : // to the end\n src("x" /*c*/, # hash\n 2) | { d => // x\n k } // end',
    );
    assert.deepEqual(stripPositions(spec.nodes[0]!.source), call('src', [str('x'), int(2)]));
    assert.deepEqual(stripPositions(spec.nodes[0]!.sink), deco(call('d'), s('k')));
    // Comment markers inside strings are text.
    assert.equal(parseSource('f("a // b # c /* d */")').args[0]!.value, 'a // b # c /* d */');
  });

  test('CRLF and CR line breaks count as one line each', () => {
    const spec = parseSpec('a : x | y;\r\nb : x | y;\rc : x | z');
    assert.deepEqual(
      spec.nodes.map((n) => [n.pos.line, n.pos.column]),
      [
        [1, 1],
        [2, 1],
        [3, 1],
      ],
    );
  });

  test('parseSource parses one call', () => {
    assert.deepEqual(stripPositions(parseSource('  tail("x")  ')), call('tail', [str('x')]));
    assert.deepEqual(stripPositions(parseSource('logicalSource')), call('logicalSource'));
  });
});

describe('spec parser: errors name what and where', () => {
  test('the arrow typo of the user guide', () => {
    const e = syntax(
      'n : tail("foo") | { batch(100) -> sink };',
      1,
      32,
      `expected '=>' after decorator "batch" but found '->'`,
    );
    assert.equal(e.detail, 'n : tail("foo") | { batch(100) -> sink };\n                               ^');
    syntax('n : x | {lazyOpen->sink}', 1, 18, `expected '=>' after decorator "lazyOpen" but found '->'`);
  });

  test('a missing semicolon between nodes', () => {
    syntax('a : x | y\nb : x | y', 2, 1, `expected ';' after the sink of node "a" but found identifier "b"`);
    syntax(
      'a : x | y(1) b : x | y',
      1,
      14,
      `expected ';' after the sink of node "a" but found identifier "b"`,
    );
  });

  test('node structure', () => {
    syntax('a x | y', 1, 3, `expected ':' after node name "a" but found identifier "x"`);
    syntax('a : | y', 1, 5, `expected a source for node "a" but found '|'`);
    syntax('a : x y', 1, 7, `expected '|' after the source of node "a" but found identifier "y"`);
    syntax('a : x |', 1, 8, 'expected a sink but found end of input');
    syntax('a : x | ;', 1, 9, `expected a sink but found ';'`);
    syntax('"a" : x | y', 1, 1, 'expected a node name but found string "a"');
    syntax('a : x | y;;', 1, 11, `expected a node name but found ';'`);
    syntax('a : "x" | y', 1, 5, 'expected a source for node "a" but found string "x"');
  });

  test('fanout errors', () => {
    syntax('a : x | [ ]', 1, 11, "empty fanout: expected a sink but found ']'");
    syntax('a : x | [ b, ]', 1, 14, "expected a sink but found ']'");
    syntax('a : x | [ b c ]', 1, 13, `expected ',' or ']' in fanout but found identifier "c"`);
    syntax('a : x | [ b,\n  c', 2, 4, "expected ',' or ']' in fanout but found end of input");
  });

  test('brace errors', () => {
    syntax('a : x | { }', 1, 11, "expected a sink but found '}'");
    syntax('a : x | { d => }', 1, 16, "expected a sink but found '}'");
    syntax(
      'a : x | { d => k',
      1,
      17,
      "expected '}' to close the '{' at line 1, column 9 but found end of input",
    );
    syntax(
      'a : x | { [a] b }',
      1,
      15,
      `expected '}' to close the '{' at line 1, column 9 but found identifier "b"`,
    );
    syntax('a : x | { d k }', 1, 13, `expected '=>' after decorator "d" but found identifier "k"`);
    syntax('a : x | { => k }', 1, 11, "expected a sink but found '=>'");
  });

  test('failover errors', () => {
    syntax('a : x | < b >', 1, 13, "expected '?' in failover but found '>'");
    syntax('a : x | < b ? c', 1, 16, "expected '?' or '>' in failover but found end of input");
    syntax('a : x | < b ? >', 1, 15, "expected a sink but found '>'");
    syntax('a : x | < b ? c ] ', 1, 17, "expected '?' or '>' in failover but found ']'");
  });

  test('roll errors', () => {
    syntax(
      'a : x | roll { k }',
      1,
      14,
      "expected '(' after 'roll' (roll needs its period: roll(millis) { sink }) but found '{'",
    );
    syntax('a : x | roll(1000)', 1, 19, 'expected a sink but found end of input');
    syntax('a : x | roll(1000) ;', 1, 20, "expected a sink but found ';'");
  });

  test('let errors', () => {
    syntax('a : x | let := b in c', 1, 13, "expected a name after 'let' but found ':='");
    syntax('a : x | let in := b in c', 1, 13, `expected a name after 'let' but found identifier "in"`);
    syntax('a : x | let p = b in c', 1, 15, `expected ':=' after "p" in let but found '='`);
    syntax(
      'a : x | let p := b c',
      1,
      20,
      `expected 'in' after the value of let "p" but found identifier "c"`,
    );
    syntax('a : x | let p := b in', 1, 22, 'expected a sink but found end of input');
    syntax('a : x | in', 1, 9, `expected a sink but found identifier "in"`);
  });

  test('argument errors', () => {
    syntax('a : x(1 | y', 1, 9, `expected ',' or ')' in the arguments of "x" but found '|'`);
    syntax('a : x(1,) | y', 1, 9, `expected an argument of "x" but found ')'`);
    syntax('a : x(,) | y', 1, 7, `expected an argument of "x" but found ','`);
    syntax(
      'a : x(foo.txt) | y',
      1,
      7,
      /^expected an argument of "x" but found identifier "foo.txt" \(strings need quotes/,
    );
    syntax('a : x(k=1, 2) | y', 1, 12, 'positional argument after keyword argument "k" in "x"');
    syntax('a : x(k=) | y', 1, 9, `expected a value for keyword argument "k" of "x" but found ')'`);
    syntax('a : x(k=1, k=2) | y', 1, 12, 'keyword argument "k" of "x" is given twice');
    syntax('a : x | y(1 2)', 1, 13, `expected ',' or ')' in the arguments of "y" but found number 2`);
  });

  test('lexical errors', () => {
    syntax('a : x("abc) | y', 1, 7, 'unterminated string: no closing "');
    syntax("a : x('abc) | y", 1, 7, "unterminated string: no closing '");
    syntax('a : x("ab\\', 1, 7, 'unterminated string: no closing "');
    syntax('a : x | y /* never\nclosed', 1, 11, 'unterminated comment: no closing */');
    syntax('a : x("a\\qb") | y', 1, 9, "invalid escape '\\q' in string");
    syntax('a : x("\\u12G4") | y', 1, 8, 'invalid unicode escape: \\u needs four hex digits');
    syntax('a : x("ok",\n   "\\x") | y', 2, 5, "invalid escape '\\x' in string");
    syntax('a : x | y @', 1, 11, "unexpected character '@' (U+0040)");
    syntax('a : x | y\n\n  $z', 3, 3, "unexpected character '$' (U+0024)");
    syntax('a : x | y \u0001', 1, 11, 'unexpected character U+0001');
    syntax('a : x | y(100ms)', 1, 11, 'invalid number "100ms"');
    syntax('a : x | y(1.2.3)', 1, 11, 'invalid number "1.2.3"');
    syntax('a : x | y(99999999999999999999)', 1, 11, /^integer 99999999999999999999 is out of range/);
    syntax('a : x | y(1e999)', 1, 11, 'number 1e999 is out of range');
    syntax('a : x | y - z', 1, 11, "unexpected character '-' (U+002D)");
  });

  test('the first error in the text wins, lexical or not', () => {
    syntax('a : x | [ b c @ ]', 1, 13, `expected ',' or ']' in fanout but found identifier "c"`);
  });

  test('positions count tabs as one column and the caret keeps the tabs', () => {
    const e = syntax('a : x |\t\t[ ]', 1, 12, "empty fanout: expected a sink but found ']'");
    assert.equal(e.detail, 'a : x |\t\t[ ]\n       \t\t  ^');
  });

  test('the caret line is under the right line of a multi-line text', () => {
    const e = syntax(
      'a : x | y;\nb : x | { d => k ;\nc : x | y',
      2,
      18,
      /^expected '}' to close the '\{' at line 2, column 9/,
    );
    assert.equal(e.detail, 'b : x | { d => k ;\n                 ^');
  });

  test('a very long line is shown as a window around the error', () => {
    const text = `a : x | [ ${'b, '.repeat(400)}@ ]`;
    const e = syntax(text, 1, 1211, "unexpected character '@' (U+0040)");
    const [line, caret] = e.detail!.split('\n');
    assert.ok(line!.length < 200, `shown line is ${line!.length} chars`);
    assert.equal(line![caret!.indexOf('^')], '@');
  });

  test('errors without a file have a line and column only', () => {
    const e = error(() => parseSink('[ ]'));
    assert.deepEqual(e.place, { line: 1, column: 3 });
    assert.equal(e.oneLine(), "line 1, column 3: empty fanout: expected a sink but found ']'");
    const f = error(() => parseSpec('a : b | [ ]', 'conf/x.flume'));
    assert.equal(f.oneLine(), "conf/x.flume:1:11: empty fanout: expected a sink but found ']'");
  });

  test('parseSink and parseSource refuse trailing text', () => {
    const e = error(() => parseSink('console ; x', 'cli'));
    assert.deepEqual(e.place, { file: 'cli', line: 1, column: 9 });
    assert.equal(e.message, "expected end of input after the sink but found ';'");
    const f = error(() => parseSource('tail("x") | console'));
    assert.equal(f.message, "expected end of input after the source but found '|'");
    const g = error(() => parseSource('[ a ]'));
    assert.equal(g.message, "expected a source but found '['");
    const h = error(() => parseSink(''));
    assert.deepEqual(
      [h.place?.line, h.place?.column, h.message],
      [1, 1, 'expected a sink but found end of input'],
    );
  });

  test('nesting is bounded and deep input fails cleanly', () => {
    const ok = `${'['.repeat(MAX_NESTING - 1)}a${']'.repeat(MAX_NESTING - 1)}`;
    assert.equal(parseSink(ok).type, 'fanout');
    for (const deep of [
      '['.repeat(100_000),
      '{ d => '.repeat(100_000),
      `< a ${'? b '.repeat(100_000)}>`,
      'let x := '.repeat(100_000),
      '{'.repeat(100_000),
      'roll(1) '.repeat(100_000),
      'roll(1) { '.repeat(100_000),
    ]) {
      const e = error(() => parseSink(deep));
      assert.equal(e.code, 'SLUICE_SPEC_SYNTAX');
      assert.match(e.message, /nested more than 400 levels deep/);
    }
  });

  test('a roll chain at the nesting limit prints to a text that parses back', () => {
    // Found by the fuzzer (spec, seed 926, input 705304): the printer's `roll(t) { s }` cost two levels
    // per roll where `roll(t) s` cost one, so a tree that parsed printed to a text that did not.
    const tree = parseSink(`${'roll(1) '.repeat(MAX_NESTING - 1)}a`);
    const printed = printSink(tree);
    assert.ok(printed.startsWith('roll(1) { roll(1) {'));
    assert.deepEqual(stripPositions(parseSink(printed)), stripPositions(tree));
  });
});
