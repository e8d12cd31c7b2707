import { ByteWriter } from '../../core/byte-writer.js';
import { SluiceError } from '../../core/errors.js';
import type { Reader } from './wire.js';

/**
 * The call envelope inside a frame, after the handshake when there is one (Java's Requestor/Responder):
 *
 *   request  := meta:map<bytes> name:string params:record-of-request-fields
 *   response := meta:map<bytes> isError:boolean (value | error:union{string, declared errors...})
 *
 * Java sends empty metadata (a single 00) and so do we. An empty name is a handshake ping: the answer
 * carries only the handshake response.
 */
const requestHeads = new Map<string, Buffer>();

/** meta + name, cached per message name (a request's constant prefix). */
export function requestHead(name: string): Buffer {
  let head = requestHeads.get(name);
  if (head === undefined) {
    const w = new ByteWriter(name.length + 8);
    w.long(0);
    w.string(name);
    head = Buffer.from(w.finish());
    requestHeads.set(name, head);
  }
  return head;
}

/** Empty metadata, no error: the prefix of every successful response. */
export const OK_HEAD: Buffer = Buffer.from([0x00, 0x00]);

/** A system error response body: branch 0 of every message's error union is a string. */
export function systemErrorBody(message: string): Buffer {
  const w = new ByteWriter(message.length + 8);
  w.long(0);
  w.boolean(true);
  w.long(0);
  w.string(message);
  return Buffer.from(w.finish());
}

export function readRequestHead(r: Reader): string {
  r.map();
  return r.string();
}

/** Reads meta and the error flag; a remote error becomes a SluiceError naming the peer. */
export function readResponseHead(r: Reader, peer: string, message: string): void {
  r.map();
  if (!r.boolean()) return;
  const branch = r.long();
  const text = branch === 0 ? r.string() : `a declared error (union branch ${branch})`;
  throw new SluiceError('SLUICE_RPC', `${peer} answered ${message} with an error: ${text}`, {
    retriable: true,
  });
}
