import type { Event } from '../../core/event.js';
import { nowNanos } from '../../core/event.js';
import type { SyslogParser } from './parse.js';

/**
 * Splits a syslog TCP byte stream into messages, each framed one of two ways (RFC 6587), decided per
 * message so one connection may mix them:
 *   octet counting:  MSG-LEN SP MSG      MSG-LEN = NONZERO-DIGIT *DIGIT (at most 9 digits)
 *   non-transparent: MSG LF              (a CR before the LF is dropped too)
 * A message that starts with a nonzero digit followed by more digits and a space is octet-counted;
 * syslog messages start with "<", so nothing real is misread. Anything else runs to the next LF.
 *
 * Messages longer than `maxMessageSize` are cut to that size and marked with a parse error; the rest of
 * the message is skipped. Empty lines (keep-alives) are skipped. Events are appended to the caller's
 * batch, with bodies sliced from the received chunks (copied only when a message spans chunks).
 */

const START = 0;
const LINE = 1;
const OCTETS = 2;
const SKIP_LINE = 3;
const SKIP_OCTETS = 4;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
/** Nine digits keep every length below 2^31 and make a run of digits without a space plain text. */
const MAX_LEN_DIGITS = 9;

export class SyslogFramer {
  private state = START;
  /** Bytes of the current message received in earlier chunks. */
  private pieces: Buffer[] = [];
  private piecesLen = 0;
  /** Bytes still missing from the current octet-counted message. */
  private need = 0;
  /** Bytes to discard after the current octet-counted message (the part beyond the limit). */
  private skipAfter = 0;
  private skip = 0;
  private announced = 0;
  /** A length prefix cut by a chunk boundary, joined to the next chunk. */
  private carry: Buffer | null = null;
  private frameError: string | undefined;
  private now = 0;
  private nanos = 0;

  constructor(
    private readonly parser: SyslogParser,
    /** The sender, used as the host of messages that name none. */
    private readonly peer: string,
    private readonly maxMessageSize: number,
  ) {}

  /** Parses every message completed by `chunk` into `out`. */
  push(chunk: Buffer, out: Event[]): void {
    this.now = Date.now();
    this.nanos = nowNanos();
    if (this.carry !== null) {
      chunk = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    const n = chunk.length;
    const max = this.maxMessageSize;
    let p = 0;
    while (p < n) {
      switch (this.state) {
        case START: {
          const c = chunk[p]!;
          if (c >= 0x31 && c <= 0x39) {
            let q = p;
            let v = 0;
            while (q < n && q - p < MAX_LEN_DIGITS && chunk[q]! >= 0x30 && chunk[q]! <= 0x39) {
              v = v * 10 + chunk[q]! - 0x30;
              q++;
            }
            // Up to nine digits at the chunk's end: the space that makes them a length may come next.
            if (q === n && q - p <= MAX_LEN_DIGITS) {
              this.carry = chunk.subarray(p);
              return;
            }
            if (chunk[q] === SP) {
              p = q + 1;
              this.announced = v;
              if (v > max) {
                this.frameError = `octet-counted message of ${v} bytes is longer than the limit of ${max}; truncated`;
                this.need = max;
                this.skipAfter = v - max;
              } else {
                this.need = v;
                this.skipAfter = 0;
              }
              this.state = OCTETS;
              continue;
            }
          }
          this.state = LINE;
          continue;
        }
        case LINE: {
          const j = chunk.indexOf(LF, p);
          if (j < 0) {
            this.collect(chunk, p, n, out);
            return;
          }
          if (this.piecesLen === 0) {
            if (j - p > max) this.emit(chunk, p, p + max, out, this.tooLong());
            else this.emit(chunk, p, j, out, undefined);
          } else {
            const whole = this.join(chunk.subarray(p, j));
            if (whole.length > max) this.emit(whole, 0, max, out, this.tooLong());
            else this.emit(whole, 0, whole.length, out, undefined);
          }
          p = j + 1;
          this.state = START;
          continue;
        }
        case OCTETS: {
          const avail = n - p;
          if (this.piecesLen === 0 && avail >= this.need) {
            this.emit(chunk, p, p + this.need, out, this.frameError);
            p += this.need;
            this.endOctets();
            continue;
          }
          const take = Math.min(avail, this.need);
          this.pieces.push(chunk.subarray(p, p + take));
          this.piecesLen += take;
          this.need -= take;
          p += take;
          if (this.need === 0) {
            const whole = this.join(undefined);
            this.emit(whole, 0, whole.length, out, this.frameError);
            this.endOctets();
          }
          continue;
        }
        case SKIP_OCTETS: {
          const take = Math.min(n - p, this.skip);
          p += take;
          this.skip -= take;
          if (this.skip === 0) this.state = START;
          continue;
        }
        default: {
          const j = chunk.indexOf(LF, p);
          if (j < 0) return;
          p = j + 1;
          this.state = START;
        }
      }
    }
  }

  /** The connection closed: a last line without its LF is a whole message; a short octet count is not. */
  end(out: Event[]): void {
    this.now = Date.now();
    this.nanos = nowNanos();
    if (this.carry !== null) {
      this.emit(this.carry, 0, this.carry.length, out, undefined);
      this.carry = null;
    } else if (this.state === LINE && this.piecesLen > 0) {
      const whole = this.join(undefined);
      this.emit(whole, 0, whole.length, out, undefined);
    } else if (this.state === OCTETS && this.piecesLen > 0) {
      const whole = this.join(undefined);
      const error = `connection closed after ${whole.length} of ${this.announced} bytes of an octet-counted message`;
      this.emit(whole, 0, whole.length, out, error);
    }
    this.pieces = [];
    this.piecesLen = 0;
    this.state = START;
  }

  private collect(chunk: Buffer, p: number, n: number, out: Event[]): void {
    if (this.piecesLen + (n - p) <= this.maxMessageSize) {
      this.pieces.push(chunk.subarray(p, n));
      this.piecesLen += n - p;
      return;
    }
    const whole = this.join(chunk.subarray(p, n));
    this.emit(whole, 0, this.maxMessageSize, out, this.tooLong());
    this.state = SKIP_LINE;
  }

  private endOctets(): void {
    this.frameError = undefined;
    if (this.skipAfter > 0) {
      this.skip = this.skipAfter;
      this.skipAfter = 0;
      this.state = SKIP_OCTETS;
    } else this.state = START;
  }

  private join(last: Buffer | undefined): Buffer {
    if (last !== undefined) this.pieces.push(last);
    const whole = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
    this.pieces = [];
    this.piecesLen = 0;
    return whole;
  }

  private tooLong(): string {
    return `message longer than the limit of ${this.maxMessageSize} bytes; truncated`;
  }

  private emit(buf: Buffer, a: number, b: number, out: Event[], error: string | undefined): void {
    while (b > a && (buf[b - 1] === LF || buf[b - 1] === CR)) b--;
    if (b === a) return;
    out.push(this.parser.parse(buf, a, b, this.now, this.nanos, this.peer, error));
  }
}
