import type { Event } from '../../core/event.js';
import { nowNanos } from '../../core/event.js';
import type { SyslogParser } from './parse.js';

/**
 * Splits a syslog TCP byte stream into messages, each framed one of two ways (RFC 6587), decided per
 * message so one connection may mix them:
 *   octet counting:  MSG-LEN SP MSG      MSG-LEN = NONZERO-DIGIT *DIGIT (at most 9 digits), MSG = "<" ...
 *   non-transparent: MSG LF              (a CR before the LF is dropped too)
 * A message that starts with a nonzero digit, more digits, a space and "<" (every syslog message starts
 * with its PRI) is octet-counted; anything else runs to the next LF, so a text line such as
 * "2024 was a good year" is not misread as a count.
 *
 * A count above `maxMessageSize` cannot be trusted: a sender that wrote `999999999 ` by mistake would
 * otherwise make the framer swallow everything that follows. The framer resynchronises instead: it skips
 * to the next LF and reports the skipped bytes (`FramingLoss.resynced`). A line longer than the limit is
 * cut to it, marked with a parse error, and the rest skipped up to its LF (`FramingLoss.cut`). Either way
 * a connection holds at most `maxMessageSize` bytes of a pending message. Empty lines (keep-alives) are
 * skipped. Events are appended to the caller's batch, with bodies sliced from the received chunks
 * (copied only when a message spans chunks).
 */

/** Where the framer tells its source about bytes it could not deliver (counted and logged there). */
export interface FramingLoss {
  /** A line longer than the limit was cut: `dropped` bytes after the first `kept` were skipped. */
  cut(peer: string, kept: number, dropped: number): void;
  /** An octet count above the limit: `skipped` bytes, the count included, were skipped up to the LF. */
  resynced(peer: string, announced: number, skipped: number): void;
}

const START = 0;
const LINE = 1;
const OCTETS = 2;
/** Skipping the rest of a cut line. */
const SKIP_LINE = 3;
/** Skipping after an implausible octet count, up to the next LF. */
const RESYNC = 4;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const LT = 0x3c;
/** Nine digits keep every length below 2^31 and make a run of digits without a space plain text. */
const MAX_LEN_DIGITS = 9;

export class SyslogFramer {
  private state = START;
  /** Bytes of the current message received in earlier chunks. */
  private pieces: Buffer[] = [];
  private piecesLen = 0;
  /** Bytes still missing from the current octet-counted message. */
  private need = 0;
  private announced = 0;
  /** Bytes skipped so far in SKIP_LINE or RESYNC. */
  private skipped = 0;
  /** A length prefix (digits, maybe its space) cut by a chunk boundary, joined to the next chunk. */
  private carry: Buffer | null = null;
  private now = 0;
  private nanos = 0;

  constructor(
    private readonly parser: SyslogParser,
    /** The sender, used as the host of messages that name none. */
    private readonly peer: string,
    private readonly maxMessageSize: number,
    private readonly loss?: FramingLoss,
  ) {}

  /** A message is half-received (or being skipped): the connection owes the rest of it. */
  get pending(): boolean {
    return this.state !== START || this.carry !== null;
  }

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
            // Undecided until the byte after the space is seen.
            if (q === n || (q + 1 === n && chunk[q] === SP)) {
              this.carry = chunk.subarray(p);
              return;
            }
            if (chunk[q] === SP && chunk[q + 1] === LT) {
              this.announced = v;
              if (v > max) {
                this.skipped = q + 1 - p;
                p = q + 1;
                this.state = RESYNC;
                continue;
              }
              p = q + 1;
              this.need = v;
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
            if (j - p > max) this.cutLine(chunk, p, j, j + 1, out);
            else this.emit(chunk, p, j, out, undefined);
          } else {
            const whole = this.join(chunk.subarray(p, j));
            if (whole.length > max) this.cutLine(whole, 0, whole.length, whole.length, out);
            else this.emit(whole, 0, whole.length, out, undefined);
          }
          p = j + 1;
          if (this.state === LINE) this.state = START;
          continue;
        }
        case OCTETS: {
          const avail = n - p;
          if (this.piecesLen === 0 && avail >= this.need) {
            this.emit(chunk, p, p + this.need, out, undefined);
            p += this.need;
            this.state = START;
            continue;
          }
          const take = Math.min(avail, this.need);
          this.pieces.push(chunk.subarray(p, p + take));
          this.piecesLen += take;
          this.need -= take;
          p += take;
          if (this.need === 0) {
            const whole = this.join(undefined);
            this.emit(whole, 0, whole.length, out, undefined);
            this.state = START;
          }
          continue;
        }
        default: {
          // SKIP_LINE or RESYNC: drop bytes up to and including the next LF.
          const j = chunk.indexOf(LF, p);
          if (j < 0) {
            this.skipped += n - p;
            return;
          }
          // A resync reports every byte it threw away; a cut line, the bytes of the message itself.
          this.skipped += this.state === RESYNC ? j + 1 - p : j - p;
          p = j + 1;
          this.endSkip();
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
    } else if (this.state === SKIP_LINE || this.state === RESYNC) this.endSkip();
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
    this.cutLine(whole, 0, whole.length, -1, out);
  }

  /**
   * Emits the first maxMessageSize bytes of the line in buf[a, b); `lf` is the offset after its LF, or
   * -1 when the LF has not come yet (the rest is then skipped in SKIP_LINE).
   */
  private cutLine(buf: Buffer, a: number, b: number, lf: number, out: Event[]): void {
    const max = this.maxMessageSize;
    this.emit(buf, a, a + max, out, `message longer than the limit of ${max} bytes; truncated`);
    this.skipped = b - a - max;
    if (lf >= 0) this.loss?.cut(this.peer, max, this.skipped);
    else this.state = SKIP_LINE;
  }

  private endSkip(): void {
    if (this.state === RESYNC) this.loss?.resynced(this.peer, this.announced, this.skipped);
    else this.loss?.cut(this.peer, this.maxMessageSize, this.skipped);
    this.skipped = 0;
    this.state = START;
  }

  private join(last: Buffer | undefined): Buffer {
    if (last !== undefined) this.pieces.push(last);
    const whole = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
    this.pieces = [];
    this.piecesLen = 0;
    return whole;
  }

  private emit(buf: Buffer, a: number, b: number, out: Event[], error: string | undefined): void {
    while (b > a && (buf[b - 1] === LF || buf[b - 1] === CR)) b--;
    if (b === a) return;
    out.push(this.parser.parse(buf, a, b, this.now, this.nanos, this.peer, error));
  }
}
