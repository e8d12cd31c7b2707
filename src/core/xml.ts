import { SluiceError } from './errors.js';

/**
 * A small XML reader for Hadoop-style configuration files: elements, attributes, text, entities,
 * CDATA, comments, processing instructions and a DOCTYPE without an internal subset. No namespaces, no
 * DTD validation. Every node keeps its line and column so the configuration layer can point at the
 * property that is wrong; a malformed document gives a SluiceError SLUICE_CONFIG naming file, line
 * and column.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's character data (text and CDATA of direct children, concatenated). */
  text: string;
  line: number;
  column: number;
}

const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function parseXml(source: string, file: string): XmlElement {
  return new XmlReader(source, file).document();
}

class XmlReader {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly file: string,
  ) {
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  document(): XmlElement {
    let root: XmlElement | undefined;
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.src.length) break;
      if (this.startsWith('<?')) this.skipUntil('?>', 'processing instruction');
      else if (this.startsWith('<!--')) this.skipComment();
      else if (this.startsWith('<!DOCTYPE')) this.skipDoctype();
      else if (this.src[this.pos] === '<' && root === undefined) root = this.element();
      else if (this.src[this.pos] === '<')
        throw this.error('a second root element; a document has exactly one');
      else throw this.error('text outside the root element');
    }
    if (root === undefined) throw this.error('no root element (is the file empty?)');
    return root;
  }

  private element(): XmlElement {
    const { line, column } = this.where(this.pos);
    this.pos++; // '<'
    const name = this.name('an element name');
    const attrs: Record<string, string> = {};
    for (;;) {
      const spaced = this.skipSpace();
      const c = this.src[this.pos];
      if (c === undefined) throw this.error(`unterminated start tag <${name}>`);
      if (c === '>') {
        this.pos++;
        break;
      }
      if (c === '/' && this.src[this.pos + 1] === '>') {
        this.pos += 2;
        return { name, attrs, children: [], text: '', line, column };
      }
      if (!spaced) throw this.error(`expected whitespace, ">" or "/>" in <${name}>`);
      const attrAt = this.pos;
      const attr = this.name('an attribute name');
      this.skipSpace();
      if (this.src[this.pos] !== '=') throw this.error(`expected "=" after attribute ${attr}`);
      this.pos++;
      this.skipSpace();
      const q = this.src[this.pos];
      if (q !== '"' && q !== "'") throw this.error(`attribute ${attr} needs a quoted value`);
      const end = this.src.indexOf(q, this.pos + 1);
      if (end < 0) throw this.error(`unterminated value of attribute ${attr}`);
      const raw = this.src.slice(this.pos + 1, end);
      if (raw.includes('<')) throw this.error(`"<" in the value of attribute ${attr}`);
      if (Object.hasOwn(attrs, attr)) throw this.error(`duplicate attribute ${attr}`, attrAt);
      attrs[attr] = this.decode(raw, this.pos + 1);
      this.pos = end + 1;
    }

    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      const lt = this.src.indexOf('<', this.pos);
      if (lt < 0) {
        this.pos = this.src.length;
        throw this.error(
          `unexpected end of file: <${name}> opened at line ${line}, column ${column} is not closed`,
        );
      }
      if (lt > this.pos) text += this.decode(this.src.slice(this.pos, lt), this.pos);
      this.pos = lt;
      if (this.startsWith('</')) {
        this.pos += 2;
        const close = this.name('a closing tag name');
        if (close !== name) {
          throw this.error(
            `</${close}> does not match <${name}> opened at line ${line}, column ${column}`,
            lt,
          );
        }
        this.skipSpace();
        if (this.src[this.pos] !== '>') throw this.error(`expected ">" to end </${close}>`);
        this.pos++;
        return { name, attrs, children, text, line, column };
      }
      if (this.startsWith('<!--')) this.skipComment();
      else if (this.startsWith('<![CDATA[')) {
        const end = this.src.indexOf(']]>', this.pos + 9);
        if (end < 0) throw this.error('unterminated CDATA section');
        text += this.src.slice(this.pos + 9, end);
        this.pos = end + 3;
      } else if (this.startsWith('<?')) this.skipUntil('?>', 'processing instruction');
      else children.push(this.element());
    }
  }

  /** Replaces entity and character references in text that starts at `base`. */
  private decode(raw: string, base: number): string {
    if (!raw.includes('&')) return raw;
    return raw.replace(/&([^;&\s]*);?/g, (m, ref: string, off: number) => {
      if (!m.endsWith(';'))
        throw this.error(`"&" must start an entity such as &amp; (found "${m}")`, base + off);
      if (ref.startsWith('#')) {
        const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
        const digits = ref[1] === 'x' ? /^#x[0-9A-Fa-f]+$/ : /^#[0-9]+$/;
        if (!digits.test(ref) || code > 0x10ffff)
          throw this.error(`bad character reference ${m}`, base + off);
        return String.fromCodePoint(code);
      }
      const v = ENTITIES[ref];
      if (v === undefined) throw this.error(`unknown entity ${m}`, base + off);
      return v;
    });
  }

  private name(what: string): string {
    const start = this.pos;
    if (!NAME_START.test(this.src[this.pos] ?? '')) throw this.error(`expected ${what}`);
    this.pos++;
    while (this.pos < this.src.length && NAME_CHAR.test(this.src[this.pos]!)) this.pos++;
    return this.src.slice(start, this.pos);
  }

  private skipSpace(): boolean {
    const start = this.pos;
    while (this.pos < this.src.length) {
      const c = this.src.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
    return this.pos > start;
  }

  private skipComment(): void {
    const end = this.src.indexOf('-->', this.pos + 4);
    if (end < 0) throw this.error('unterminated comment "<!--"');
    this.pos = end + 3;
  }

  private skipDoctype(): void {
    const end = this.src.indexOf('>', this.pos);
    if (end < 0) throw this.error('unterminated <!DOCTYPE');
    if (this.src.slice(this.pos, end).includes('['))
      throw this.error('a DOCTYPE with an internal subset is not supported');
    this.pos = end + 1;
  }

  private skipUntil(end: string, what: string): void {
    const i = this.src.indexOf(end, this.pos + 2);
    if (i < 0) throw this.error(`unterminated ${what}`);
    this.pos = i + end.length;
  }

  private startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  private lineStarts: number[] | undefined;

  private where(pos: number): { line: number; column: number } {
    if (this.lineStarts === undefined) {
      this.lineStarts = [0];
      for (let i = this.src.indexOf('\n'); i >= 0; i = this.src.indexOf('\n', i + 1))
        this.lineStarts.push(i + 1);
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: pos - starts[lo]! + 1 };
  }

  private error(message: string, at: number = this.pos): SluiceError {
    const { line, column } = this.where(at);
    return new SluiceError('SLUICE_CONFIG', `malformed XML: ${message}`, {
      place: { file: this.file, line, column },
    });
  }
}
