import { crc32 } from 'node:zlib';
import { type Batch, Event, localHost } from '../core/event.js';

/**
 * Flume OG's end-to-end ack groups, as attributes on ordinary events (protocols.md section 6), so a
 * group crosses any Avro hop and a Flume NG collector simply ignores the extra headers:
 *
 *   AckType     = "beg" | "msg" | "end"
 *   AckTag      = the group's tag, unique per agent (`<host>-<node>-<log id>-<n>`)
 *   AckChecksum = 8-byte big-endian long, on "beg" (the seed, 0) and "end" (the final value)
 *
 * A "beg" event has an empty body; the checksum is the XOR of the CRC-32 of every "msg" body, so it
 * does not depend on how the group was cut into batches (a resent group may be cut differently).
 */
export const ACK_TYPE = 'AckType';
export const ACK_TAG = 'AckTag';
export const ACK_CHECKSUM = 'AckChecksum';

export const BEG = Buffer.from('beg');
export const MSG = Buffer.from('msg');
export const END = Buffer.from('end');

export function encodeChecksum(sum: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(sum >>> 0, 4);
  return b;
}

/** The checksum an 8-byte AckChecksum value carries (only its low 32 bits are ever set). */
export function decodeChecksum(b: Buffer | undefined): number | undefined {
  if (b === undefined || b.length !== 8) return undefined;
  return b.readUInt32BE(4);
}

/** XORs the CRC-32 of every body of `batch` into `sum`. */
export function checksumOf(batch: Batch, sum = 0): number {
  for (let i = 0; i < batch.length; i++) sum = (sum ^ crc32(batch[i]!.body)) >>> 0;
  return sum;
}

function marker(type: Buffer, tag: Buffer, sum: number): Event {
  const e = new Event(Buffer.alloc(0));
  e.setAttr(ACK_TYPE, type);
  e.setAttr(ACK_TAG, tag);
  e.setAttr(ACK_CHECKSUM, encodeChecksum(sum));
  return e;
}

export function beginMarker(tag: Buffer): Event {
  return marker(BEG, tag, 0);
}

export function endMarker(tag: Buffer, sum: number): Event {
  return marker(END, tag, sum);
}

/**
 * Tags every event of `batch` as a "msg" of the group and returns the group's running checksum. An
 * event that already carries ack attributes (it crossed an earlier end-to-end hop whose collector did
 * not strip them) gets this group's values instead.
 */
export function tagMessages(batch: Batch, tag: Buffer, sum: number): number {
  for (let i = 0; i < batch.length; i++) {
    const e = batch[i]!;
    if (!e.setAttr(ACK_TYPE, MSG)) {
      e.deleteAttr(ACK_TYPE);
      e.deleteAttr(ACK_TAG);
      e.setAttr(ACK_TYPE, MSG);
    }
    e.setAttr(ACK_TAG, tag);
    sum = (sum ^ crc32(e.body)) >>> 0;
  }
  return sum;
}

let sequence = 0;

/**
 * A tag unique per agent and over restarts: host, node, the time the group began (ms) and a per-process
 * sequence. It is written in the log with the group, so a resent group keeps its tag.
 */
export function newGroupTag(node: string, now = Date.now()): string {
  return `${localHost()}-${node}-${now}-${++sequence}`;
}
