import type { Call, KeywordArg, Literal, NodeSpec, Pos, SinkNode, Spec } from './ast.js';
import { describeToken, Lexer, type Token } from './lexer.js';
import { SourceText } from './source.js';

/**
 * A recursive-descent parser for the grammar in ast.ts. Errors are SluiceErrors with code
 * SLUICE_SPEC_SYNTAX, the file/line/column of the offending token, a message saying what was expected
 * and what was found, and the source line with a caret as `detail`.
 */

/** Deeper nesting than this is refused so hostile input cannot overflow the stack. */
export const MAX_NESTING = 400;

/** Words with a meaning in sink position; they cannot name a sink or decorator there. */
const RESERVED = new Set(['let', 'in', 'roll']);

/** Names bound by enclosing `let`s: a linked list, since scopes only grow and shrink at the head. */
interface Scope {
  name: string;
  outer: Scope | undefined;
}

function inScope(scope: Scope | undefined, name: string): boolean {
  for (let s = scope; s; s = s.outer) if (s.name === name) return true;
  return false;
}

class Parser {
  private readonly src: SourceText;
  private readonly lexer: Lexer;
  private readonly ahead: Token[] = [];
  private depth = 0;

  constructor(text: string, file: string | undefined) {
    this.src = new SourceText(text, file);
    this.lexer = new Lexer(this.src);
  }

  // ---- token plumbing

  private peek(k = 0): Token {
    while (this.ahead.length <= k) this.ahead.push(this.lexer.next());
    return this.ahead[k]!;
  }

  private take(): Token {
    const t = this.peek();
    this.ahead.shift();
    return t;
  }

  private isPunct(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.text === text;
  }

  private isWord(word: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && t.text === word;
  }

  private fail(expected: string, t: Token = this.peek()): never {
    throw this.src.error(`expected ${expected} but found ${describeToken(t)}`, t.start);
  }

  private expectPunct(text: string, context: string): Token {
    if (!this.isPunct(text)) this.fail(`'${text}' ${context}`);
    return this.take();
  }

  private pos(t: Token): Pos {
    return this.src.posAt(t.start);
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_NESTING) {
      throw this.src.error(`sinks nested more than ${MAX_NESTING} levels deep`, t.start);
    }
  }

  // ---- entry points

  spec(): Spec {
    const nodes: NodeSpec[] = [];
    while (this.peek().kind !== 'eof') {
      const node = this.node();
      nodes.push(node);
      if (this.isPunct(';')) this.take();
      else if (this.peek().kind !== 'eof') this.fail(`';' after the sink of node "${node.name}"`);
    }
    return { nodes };
  }

  sinkOnly(): SinkNode {
    const sink = this.sink(undefined);
    this.end('the sink');
    return sink;
  }

  sourceOnly(): Call {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail('a source');
    const call = this.call();
    this.end('the source');
    return call;
  }

  private end(what: string): void {
    if (this.peek().kind !== 'eof') this.fail(`end of input after ${what}`);
  }

  // ---- grammar

  private node(): NodeSpec {
    const nameTok = this.peek();
    if (nameTok.kind !== 'ident') this.fail('a node name');
    this.take();
    const name = nameTok.text;
    this.expectPunct(':', `after node name "${name}"`);
    if (this.peek().kind !== 'ident') this.fail(`a source for node "${name}"`);
    const source = this.call();
    this.expectPunct('|', `after the source of node "${name}"`);
    const sink = this.sink(undefined);
    return { name, source, sink, pos: this.pos(nameTok) };
  }

  private sink(scope: Scope | undefined): SinkNode {
    const t = this.peek();
    this.enter(t);
    try {
      if (t.kind === 'punct') {
        switch (t.text) {
          case '[':
            return this.fanout(scope);
          case '{':
            return this.braces(scope);
          case '<':
            return this.failover(scope);
        }
      } else if (t.kind === 'ident') {
        if (t.text === 'roll') return this.roll(scope);
        if (t.text === 'let') return this.let(scope);
        if (t.text !== 'in') return this.simple(this.call(), scope);
      }
      return this.fail('a sink');
    } finally {
      this.depth--;
    }
  }

  /** A bare identifier bound by an enclosing `let` is a reference; anything else is a call. */
  private simple(call: Call, scope: Scope | undefined): SinkNode {
    if (!call.parens && inScope(scope, call.name)) return { type: 'ref', name: call.name, pos: call.pos };
    return { type: 'call', call, pos: call.pos };
  }

  private fanout(scope: Scope | undefined): SinkNode {
    const open = this.take();
    if (this.isPunct(']')) {
      throw this.src.error("empty fanout: expected a sink but found ']'", this.peek().start);
    }
    const children: SinkNode[] = [this.sink(scope)];
    while (this.isPunct(',')) {
      this.take();
      children.push(this.sink(scope));
    }
    if (!this.isPunct(']')) this.fail("',' or ']' in fanout");
    this.take();
    return { type: 'fanout', children, pos: this.pos(open) };
  }

  /** `{ deco => sink }`, `{ a => b => sink }` or the grouping `{ sink }`. */
  private braces(scope: Scope | undefined): SinkNode {
    const open = this.take();
    const t = this.peek();
    let inner: SinkNode;
    if (t.kind === 'ident' && !RESERVED.has(t.text)) {
      const call = this.call();
      if (this.isPunct('=>')) inner = this.decorated(call, scope);
      else if (this.isPunct('}')) inner = this.simple(call, scope);
      else this.fail(`'=>' after decorator "${call.name}"`);
    } else {
      inner = this.sink(scope);
    }
    if (!this.isPunct('}')) {
      const at = this.pos(open);
      this.fail(`'}' to close the '{' at line ${at.line}, column ${at.column}`);
    }
    this.take();
    return inner;
  }

  /** After `{ deco` with '=>' next: the rest of a decorator chain up to (not including) the '}'. */
  private decorated(decorator: Call, scope: Scope | undefined): SinkNode {
    const arrow = this.take();
    this.enter(arrow);
    try {
      const t = this.peek();
      let child: SinkNode;
      if (t.kind === 'ident' && !RESERVED.has(t.text)) {
        const call = this.call();
        child = this.isPunct('=>') ? this.decorated(call, scope) : this.simple(call, scope);
      } else {
        child = this.sink(scope);
      }
      return { type: 'decorated', decorator, child, pos: decorator.pos };
    } finally {
      this.depth--;
    }
  }

  private failover(scope: Scope | undefined): SinkNode {
    const open = this.take();
    const primary = this.sink(scope);
    if (!this.isPunct('?')) this.fail("'?' in failover");
    const backup = this.failoverRest(scope);
    return { type: 'failover', primary, backup, pos: this.pos(open) };
  }

  /** After the primary, at a '?': `? b >` or `? b ? c >`, which chains to the right. */
  private failoverRest(scope: Scope | undefined): SinkNode {
    const q = this.take();
    this.enter(q);
    try {
      const backup = this.sink(scope);
      if (this.isPunct('>')) {
        this.take();
        return backup;
      }
      if (this.isPunct('?')) {
        const rest = this.failoverRest(scope);
        return { type: 'failover', primary: backup, backup: rest, pos: backup.pos };
      }
      return this.fail("'?' or '>' in failover");
    } finally {
      this.depth--;
    }
  }

  private roll(scope: Scope | undefined): SinkNode {
    const kw = this.peek();
    if (!this.isPunct('(', 1)) {
      this.take();
      this.fail("'(' after 'roll' (roll needs its period: roll(millis) { sink })");
    }
    const call = this.call();
    // The braces around a roll's sink are part of the roll, not a level of nesting of their own: the
    // printer writes `roll(t) s` as `roll(t) { s }`, and both must fit under MAX_NESTING alike.
    const child = this.isPunct('{') ? this.braces(scope) : this.sink(scope);
    return { type: 'roll', call, child, pos: this.pos(kw) };
  }

  private let(scope: Scope | undefined): SinkNode {
    const kw = this.take();
    const nameTok = this.peek();
    if (nameTok.kind !== 'ident' || RESERVED.has(nameTok.text)) this.fail("a name after 'let'");
    this.take();
    const name = nameTok.text;
    this.expectPunct(':=', `after "${name}" in let`);
    // The name is not in scope in its own value: `let x := x in ...` refers to a sink named x.
    const value = this.sink(scope);
    if (!this.isWord('in')) this.fail(`'in' after the value of let "${name}"`);
    this.take();
    const body = this.sink({ name, outer: scope });
    return { type: 'let', name, value, body, pos: this.pos(kw) };
  }

  /** `Id` or `Id(args)`; the current token is known to be an identifier. */
  private call(): Call {
    const nameTok = this.take();
    const name = nameTok.text;
    const pos = this.pos(nameTok);
    if (!this.isPunct('(')) return { name, args: [], kwargs: [], parens: false, pos };
    this.take();
    const args: Literal[] = [];
    const kwargs: KeywordArg[] = [];
    if (this.isPunct(')')) {
      this.take();
      return { name, args, kwargs, parens: true, pos };
    }
    for (;;) {
      const t = this.peek();
      if (t.kind === 'ident' && this.isPunct('=', 1)) {
        this.take();
        this.take();
        const value = this.literal(`a value for keyword argument "${t.text}" of "${name}"`);
        if (kwargs.some((k) => k.name === t.text)) {
          throw this.src.error(`keyword argument "${t.text}" of "${name}" is given twice`, t.start);
        }
        kwargs.push({ name: t.text, value, pos: this.pos(t) });
      } else {
        const value = this.literal(`an argument of "${name}"`);
        if (kwargs.length > 0) {
          throw this.src.error(
            `positional argument after keyword argument "${kwargs[kwargs.length - 1]!.name}" in "${name}"`,
            t.start,
          );
        }
        args.push(value);
      }
      if (this.isPunct(',')) {
        this.take();
        continue;
      }
      if (this.isPunct(')')) {
        this.take();
        return { name, args, kwargs, parens: true, pos };
      }
      this.fail(`',' or ')' in the arguments of "${name}"`);
    }
  }

  private literal(expected: string): Literal {
    const t = this.peek();
    const pos = this.pos(t);
    switch (t.kind) {
      case 'string':
        this.take();
        return { kind: 'string', value: t.text, pos };
      case 'int':
        this.take();
        return { kind: 'int', value: t.num, pos };
      case 'float':
        this.take();
        return { kind: 'float', value: t.num, pos };
      case 'ident':
        if (t.text === 'true' || t.text === 'false') {
          this.take();
          return { kind: 'bool', value: t.text === 'true', pos };
        }
        throw this.src.error(
          `expected ${expected} but found identifier "${t.text}" (strings need quotes: "${t.text}")`,
          t.start,
        );
      default:
        return this.fail(expected);
    }
  }
}

/** Parses a whole spec: any number of `node : source | sink ;` (the last `;` may be omitted). */
export function parseSpec(text: string, file?: string): Spec {
  return new Parser(text, file).spec();
}

/** Parses one sink expression, as `sluice dump` and the master's config commands take it. */
export function parseSink(text: string, file?: string): SinkNode {
  return new Parser(text, file).sinkOnly();
}

/** Parses one source call. */
export function parseSource(text: string, file?: string): Call {
  return new Parser(text, file).sourceOnly();
}
