import { SluiceError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { decodeEvents, encodedSize, writeEvents } from '../core/eventcodec.js';
import type { Piece } from './queue.js';

/**
 * The file channel writes one log record per committed transaction, so a crash keeps or loses a
 * transaction whole. Big-endian like the event codec:
 *
 *   txn   := version:u8(=1) takeCount:u32 take{takeCount} events?
 *   take  := pos:f64 first:u32 count:u32      events first..first+count-1 of the put record at pos
 *   events := an event batch (core/eventcodec.ts), present when the transaction put events
 *
 * An event's identity is (position of the record that put it, index in that record): positions never
 * repeat in a log, so takes need no sequence counter.
 */
export const TXN_RECORD = 1;
const VERSION = 1;
const TAKE_SIZE = 16;

export interface TakeRange {
  pos: number;
  first: number;
  count: number;
}

/** Turns the pieces a transaction took into ranges, merging neighbours from the same record. */
export function takeRanges(pieces: readonly Piece[]): TakeRange[] {
  const out: TakeRange[] = [];
  for (const p of pieces) {
    const first = p.first + p.head;
    const count = p.end - p.head;
    const last = out[out.length - 1];
    if (last && last.pos === p.pos && last.first + last.count === first) last.count += count;
    else out.push({ pos: p.pos, first, count });
  }
  return out;
}

export function encodeTxn(takes: readonly TakeRange[], puts: readonly Event[]): Buffer {
  const head = 1 + 4 + TAKE_SIZE * takes.length;
  const buf = Buffer.allocUnsafe(head + (puts.length > 0 ? encodedSize(puts as Event[]) : 0));
  buf[0] = VERSION;
  let o = buf.writeUInt32BE(takes.length, 1);
  for (const t of takes) {
    o = buf.writeDoubleBE(t.pos, o);
    o = buf.writeUInt32BE(t.first, o);
    o = buf.writeUInt32BE(t.count, o);
  }
  if (puts.length > 0) writeEvents(puts as Event[], buf, o);
  return buf;
}

export interface DecodedTxn {
  takes: TakeRange[];
  /** Views into the payload: they keep it alive. */
  events: Event[];
}

export function decodeTxn(payload: Buffer, position: number): DecodedTxn {
  if (payload.length < 5 || payload[0] !== VERSION) {
    throw new SluiceError(
      'SLUICE_STORAGE',
      `file channel record at log position ${position} has an unknown layout`,
    );
  }
  const n = payload.readUInt32BE(1);
  let o = 5;
  if (o + n * TAKE_SIZE > payload.length) {
    throw new SluiceError('SLUICE_STORAGE', `file channel record at log position ${position} is truncated`);
  }
  const takes: TakeRange[] = new Array(n);
  for (let i = 0; i < n; i++) {
    takes[i] = {
      pos: payload.readDoubleBE(o),
      first: payload.readUInt32BE(o + 8),
      count: payload.readUInt32BE(o + 12),
    };
    o += TAKE_SIZE;
  }
  const events = o < payload.length ? decodeEvents(payload, { offset: o }) : [];
  return { takes, events };
}
