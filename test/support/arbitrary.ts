import type { Call, KeywordArg, Literal, NodeSpec, Pos, SinkNode, Spec } from '../../src/spec/ast.js';

/**
 * Random spec trees from a seeded generator, for property tests here and in the flow compiler:
 * every tree is one the parser can produce, so print -> parse must give it back.
 */

export type Rng = () => number;

/** mulberry32: a tiny PRNG with a fixed seed so a failing case can be replayed. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

function intBelow(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

const NOWHERE: Pos = { line: 0, column: 0, offset: 0 };
const RESERVED = new Set(['let', 'in', 'roll']);
const FIRST = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_éλ';
const REST = `${FIRST}0123456789-.`;
const COMMON = ['console', 'tail', 'batch', 'gzip', 'x', 'primary', 'rpcSink', 'host-1.example', 'true'];

export function randomName(rng: Rng): string {
  if (rng() < 0.3) return pick(rng, COMMON);
  let name = pick(rng, [...FIRST]);
  const len = intBelow(rng, 8);
  for (let i = 0; i < len; i++) name += pick(rng, [...REST]);
  // A trailing '-' before '>' would be read as '->'; names ending in '-' are legal elsewhere but keep it simple.
  if (name.endsWith('-')) name += 'z';
  return RESERVED.has(name) ? `${name}_` : name;
}

const STRING_PIECES = [
  'a',
  'log',
  ' ',
  '"',
  "'",
  '\\',
  '\n',
  '\t',
  '\r',
  '\b',
  '\f',
  '\0',
  '\x07',
  '\x7f',
  '\u0085',
  'é',
  '日本',
  '😀',
  '\ud800',
  '\udfff',
  '\u2028',
  '%{host}',
  '/var/log/x.log',
  '//',
  '/*',
  '#',
  '*/',
  '\\u0041',
];

export function randomString(rng: Rng): string {
  let s = '';
  const n = intBelow(rng, 6);
  for (let i = 0; i < n; i++) s += pick(rng, STRING_PIECES);
  return s;
}

export function randomLiteral(rng: Rng): Literal {
  const r = rng();
  if (r < 0.4) return { kind: 'string', value: randomString(rng), pos: NOWHERE };
  if (r < 0.65) {
    const value = pick(rng, [0, 1, -1, 100, 35853, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]);
    return { kind: 'int', value: rng() < 0.5 ? value : intBelow(rng, 2_000_001) - 1_000_000, pos: NOWHERE };
  }
  if (r < 0.85) {
    const value = pick(rng, [0, -0, 0.5, -2.25, 1e21, 1.5e-7, 123456.789, 5e-324, 1.7976931348623157e308]);
    return {
      kind: 'float',
      value: rng() < 0.5 ? value : (rng() - 0.5) * 10 ** intBelow(rng, 30),
      pos: NOWHERE,
    };
  }
  return { kind: 'bool', value: rng() < 0.5, pos: NOWHERE };
}

export function randomCall(rng: Rng, name = randomName(rng)): Call {
  const args: Literal[] = [];
  const kwargs: KeywordArg[] = [];
  const parens = rng() < 0.6;
  if (parens) {
    const n = intBelow(rng, 4);
    for (let i = 0; i < n; i++) args.push(randomLiteral(rng));
    const k = rng() < 0.3 ? intBelow(rng, 3) : 0;
    const used = new Set<string>();
    for (let i = 0; i < k; i++) {
      const kwName = randomName(rng);
      if (used.has(kwName)) continue;
      used.add(kwName);
      kwargs.push({ name: kwName, value: randomLiteral(rng), pos: NOWHERE });
    }
  }
  return { name, args, kwargs, parens, pos: NOWHERE };
}

/** A random sink tree no deeper than `depth`; `scope` holds the let-bound names visible here. */
export function randomSink(rng: Rng, depth: number, scope: readonly string[] = []): SinkNode {
  const r = depth <= 0 ? 0 : rng();
  if (r < 0.35) {
    if (scope.length > 0 && rng() < 0.4) return { type: 'ref', name: pick(rng, scope), pos: NOWHERE };
    const call = randomCall(rng);
    // A bare name bound by a let reads back as a reference, so such a call keeps its parentheses.
    if (scope.includes(call.name)) call.parens = true;
    return { type: 'call', call, pos: NOWHERE };
  }
  const d = depth - 1;
  if (r < 0.5) {
    const n = 1 + intBelow(rng, 3);
    const children: SinkNode[] = [];
    for (let i = 0; i < n; i++) children.push(randomSink(rng, d, scope));
    return { type: 'fanout', children, pos: NOWHERE };
  }
  if (r < 0.7)
    return { type: 'decorated', decorator: randomCall(rng), child: randomSink(rng, d, scope), pos: NOWHERE };
  if (r < 0.8) {
    return {
      type: 'failover',
      primary: randomSink(rng, d, scope),
      backup: randomSink(rng, d, scope),
      pos: NOWHERE,
    };
  }
  if (r < 0.9) {
    const call = randomCall(rng, 'roll');
    call.parens = true;
    return { type: 'roll', call, child: randomSink(rng, d, scope), pos: NOWHERE };
  }
  const name = randomName(rng);
  return {
    type: 'let',
    name,
    value: randomSink(rng, d, scope),
    body: randomSink(rng, d, [...scope, name]),
    pos: NOWHERE,
  };
}

export function randomSpec(rng: Rng, maxNodes = 4, depth = 4): Spec {
  const nodes: NodeSpec[] = [];
  const n = intBelow(rng, maxNodes + 1);
  for (let i = 0; i < n; i++) {
    nodes.push({
      name: randomName(rng),
      source: randomCall(rng),
      sink: randomSink(rng, depth),
      pos: NOWHERE,
    });
  }
  return { nodes };
}
