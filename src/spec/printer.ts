import type { Call, Literal, NodeSpec, SinkNode, Spec } from './ast.js';

/**
 * Canonical text of a spec tree: parsing the output gives back the same tree (positions aside).
 * Decorator chains print flat (`{ a => b => sink }`), failover chains print flat (`< a ? b ? c >`),
 * and a roll's child is always braced (`roll(1000) { sink }`), the spelling the user guide uses.
 *
 * One tree cannot be printed faithfully: a parenthesis-less call inside the body of a `let` binding
 * the same name, which reads back as a reference. The parser never builds such a tree.
 */

export function printSpec(spec: Spec): string {
  return spec.nodes.map(printNode).join('\n');
}

export function printNode(node: NodeSpec): string {
  return `${node.name} : ${printCall(node.source)} | ${printSink(node.sink)};`;
}

export function printSink(node: SinkNode): string {
  switch (node.type) {
    case 'call':
      return printCall(node.call);
    case 'ref':
      return node.name;
    case 'fanout':
      return `[ ${node.children.map(printSink).join(', ')} ]`;
    case 'decorated': {
      let text = `{ ${printCall(node.decorator)}`;
      let child = node.child;
      while (child.type === 'decorated') {
        text += ` => ${printCall(child.decorator)}`;
        child = child.child;
      }
      return `${text} => ${printSink(child)} }`;
    }
    case 'failover': {
      let text = `< ${printSink(node.primary)}`;
      let backup = node.backup;
      while (backup.type === 'failover') {
        text += ` ? ${printSink(backup.primary)}`;
        backup = backup.backup;
      }
      return `${text} ? ${printSink(backup)} >`;
    }
    case 'roll': {
      const child = node.child.type === 'decorated' ? printSink(node.child) : `{ ${printSink(node.child)} }`;
      return `${printCall({ ...node.call, parens: true })} ${child}`;
    }
    case 'let':
      return `let ${node.name} := ${printSink(node.value)} in ${printSink(node.body)}`;
  }
}

export function printCall(call: Call): string {
  if (!call.parens && call.args.length === 0 && call.kwargs.length === 0) return call.name;
  const parts = call.args.map(printLiteral);
  for (const kw of call.kwargs) parts.push(`${kw.name}=${printLiteral(kw.value)}`);
  return `${call.name}(${parts.join(', ')})`;
}

export function printLiteral(lit: Literal): string {
  switch (lit.kind) {
    case 'string':
      return quoteJava(lit.value);
    case 'int':
      return String(lit.value);
    case 'float':
      return printFloat(lit.value);
    case 'bool':
      return lit.value ? 'true' : 'false';
  }
}

/** A float always shows a '.' or an exponent so it reads back as a float, not an int. */
function printFloat(v: number): string {
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  return /[.eE]/.test(s) || !Number.isFinite(v) ? s : `${s}.0`;
}

/**
 * A double-quoted string with Java escapes. Control characters, lone surrogates and line separators
 * are written as \uXXXX so the text survives any editor and encoding; other characters stay as they are.
 */
export function quoteJava(s: string): string {
  let out = '"';
  let chunk = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 34) esc = '\\"';
    else if (c === 92) esc = '\\\\';
    else if (c === 10) esc = '\\n';
    else if (c === 9) esc = '\\t';
    else if (c === 13) esc = '\\r';
    else if (c === 8) esc = '\\b';
    else if (c === 12) esc = '\\f';
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0x2028 || c === 0x2029 || c === 0xfeff)
      esc = uEscape(c);
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else esc = uEscape(c);
    } else if (c >= 0xdc00 && c <= 0xdfff) esc = uEscape(c);
    if (esc !== undefined) {
      out += s.slice(chunk, i) + esc;
      chunk = i + 1;
    }
  }
  return `${out}${s.slice(chunk)}"`;
}

function uEscape(c: number): string {
  return `\\u${c.toString(16).padStart(4, '0')}`;
}
