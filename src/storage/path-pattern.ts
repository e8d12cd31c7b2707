import { type Place, SluiceError } from '../core/errors.js';
import { compileEscapes, type Escaper } from '../core/escapes.js';
import type { Event } from '../core/event.js';
import { type FsUri, parseFsUri } from './fs/resolve.js';

/**
 * Where the files of an escaped output go: a directory pattern and a file pattern (`file:///data/%{host}`
 * and `%{host}-`), evaluated per event with event values confined (core/escapes.ts `confineValue`), and
 * checked once per new bucket against the fixed directory, the part written before the first escape
 * (`/data`). The check is defence in depth: with confined values only a template's own `..` after an
 * escape could reach it.
 */

/** Separates the escaped directory from the escaped file name in a bucket key (never in a path). */
const SEP = '\u0000';
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
const AUTHORITY = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

export interface PathLocation {
  /** Directory URI or path of the file (`hdfs://nn/flume/web1`, `/data/web1`). */
  parent: string;
  /** Escaped file name (may be empty: the writer then names the file by its tag). */
  base: string;
}

export class PathPattern {
  private readonly dirEsc: Escaper;
  private readonly fileEsc: Escaper;
  /** True when either pattern has escapes: keys then differ per event. */
  readonly escaped: boolean;
  /** The fixed directory every escaped path must stay under. */
  readonly root: FsUri;
  /** The fixed directory as written, for messages. */
  readonly rootText: string;
  /** Events whose path had a value rewritten by the confinement rule. */
  confined = 0;

  constructor(dir: string, file: string, opts: { timeZone?: string; place?: Place } = {}) {
    const place = opts.place;
    const bad = (what: string) => new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', what, place ? { place } : {});
    for (const p of [dir, file]) {
      if (/[\x00-\x1f\x7f]/.test(p))
        throw bad(`"${JSON.stringify(p).slice(1, -1)}" contains a control character`);
    }
    const esc = { confine: true, ...(opts.timeZone !== undefined ? { timeZone: opts.timeZone } : {}) };
    let dirPattern = dir === '' ? '.' : dir;
    const fileEsc = compileEscapes(file, esc);
    let dirEsc = compileEscapes(dirPattern, esc);
    let prefix = dirEsc.hasEscapes ? dirEsc.fixedPrefix : `${dirEsc.fixedPrefix}/${fileEsc.fixedPrefix}`;
    if (!prefix.includes('/')) {
      // `%{x}/logs` is relative to the working directory; written `./` first, no value can make it
      // absolute or give it a scheme.
      if (SCHEME.test(prefix)) throw bad(`"${dir}": escapes must come after the directory of a URI`);
      dirPattern = `./${dirPattern}`;
      dirEsc = compileEscapes(dirPattern, esc);
      prefix = `./${prefix}`;
    }
    const authority = AUTHORITY.exec(prefix);
    if (authority && prefix.indexOf('/', authority[0].length) < 0)
      throw bad(`"${dir}": the host of a URI cannot use escapes`);
    this.rootText = prefix.slice(0, prefix.lastIndexOf('/')) || '/';
    this.root = parseFsUri(this.rootText, place);
    this.dirEsc = dirEsc;
    this.fileEsc = fileEsc;
    this.escaped = dirEsc.hasEscapes || fileEsc.hasEscapes;
  }

  /** The bucket key of an event: escaped directory and file name. */
  key(e: Event): string {
    if (!this.escaped) return this.dirEsc(e) + SEP + this.fileEsc(e);
    const before = this.dirEsc.confined + this.fileEsc.confined;
    const key = this.dirEsc(e) + SEP + this.fileEsc(e);
    if (this.dirEsc.confined + this.fileEsc.confined !== before) this.confined++;
    return key;
  }

  /** `key` as a path, for messages. */
  static display(key: string): string {
    return key.replace(SEP, '/');
  }

  /**
   * Splits a key into the file's directory and name; a SLUICE_PATH_ESCAPE error when an escaped path
   * would leave the fixed directory.
   */
  locate(key: string, place?: Place): PathLocation {
    const sep = key.indexOf(SEP);
    const full = `${key.slice(0, sep)}/${key.slice(sep + 1)}`;
    const slash = full.lastIndexOf('/');
    const parent = full.slice(0, slash) || '/';
    const base = full.slice(slash + 1);
    if (!this.escaped) return { parent, base };
    const refuse = (cause?: unknown) =>
      new SluiceError(
        'SLUICE_PATH_ESCAPE',
        `${JSON.stringify(full)} is not under ${this.rootText}; the batch is refused`,
        { ...(place ? { place } : {}), ...(cause !== undefined ? { cause } : {}) },
      );
    if (full.includes(SEP) || base === '.' || base === '..') throw refuse();
    let u: FsUri;
    try {
      u = parseFsUri(parent, place);
    } catch (e) {
      throw refuse(e);
    }
    const r = this.root;
    const under = u.path === r.path || u.path.startsWith(r.path.endsWith('/') ? r.path : `${r.path}/`);
    if (
      !under ||
      u.scheme !== r.scheme ||
      u.host !== r.host ||
      u.port !== r.port ||
      u.user !== r.user ||
      u.secure !== r.secure
    )
      throw refuse();
    return { parent, base };
  }
}

/**
 * `hdfs://nn/a/%Y/file-%{host}` -> dir `hdfs://nn/a/%Y`, file `file-%{host}`: the last `/` outside an
 * attribute name (`%{a/b}` names the attribute `a/b`). Slash -1 when there is none.
 */
export function lastPathSlash(pattern: string): number {
  let last = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '%') {
      if (pattern[i + 1] === '{') {
        const close = pattern.indexOf('}', i + 2);
        if (close < 0) break;
        i = close;
      } else i++;
    } else if (c === '/') last = i;
  }
  return last;
}
