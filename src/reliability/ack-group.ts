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

/** CRC-32 tables for eight bytes at a time (slice-by-8), table t at offset 256 * t. */
const CRC_TABLES = (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const p = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = t[p & 255]! ^ (p >>> 8);
    }
  }
  return t;
})();

/** Below this many bytes the JavaScript CRC beats zlib's, whose call costs more than a short body. */
const NATIVE_CRC_FROM = 256;

/**
 * The CRC-32 (zlib's) of one event body. Every event of an ack group costs one on the agent and one on
 * the collector, and bodies are mostly short: there a table-driven loop runs in about half the time of
 * the native call.
 */
export function bodyCrc(b: Uint8Array): number {
  const n = b.length;
  if (n >= NATIVE_CRC_FROM) return crc32(b);
  const T = CRC_TABLES;
  let c = -1;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = c ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    c =
      T[1792 + (a & 255)]! ^
      T[1536 + ((a >>> 8) & 255)]! ^
      T[1280 + ((a >>> 16) & 255)]! ^
      T[1024 + (a >>> 24)]! ^
      T[768 + b[i + 4]!]! ^
      T[512 + b[i + 5]!]! ^
      T[256 + b[i + 6]!]! ^
      T[b[i + 7]!]!;
  }
  for (; i < n; i++) c = T[(c ^ b[i]!) & 255]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** XORs the CRC-32 of every body of `batch` into `sum`. */
export function checksumOf(batch: Batch, sum = 0): number {
  for (let i = 0; i < batch.length; i++) sum = (sum ^ bodyCrc(batch[i]!.body)) >>> 0;
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
    if (e.attrCount === 0 && e.adoptAttrs([ACK_TYPE, MSG, ACK_TAG, tag])) {
      sum = (sum ^ bodyCrc(e.body)) >>> 0;
      continue;
    }
    if (!e.setAttr(ACK_TYPE, MSG)) {
      e.deleteAttr(ACK_TYPE);
      e.deleteAttr(ACK_TAG);
      e.setAttr(ACK_TYPE, MSG);
    }
    e.setAttr(ACK_TAG, tag);
    sum = (sum ^ bodyCrc(e.body)) >>> 0;
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
