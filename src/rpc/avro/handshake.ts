import { timingSafeEqual } from 'node:crypto';
import avro from 'avsc';
import { SluiceError } from '../../core/errors.js';
import { type AvroProtocol, md5, protocolFromJson } from './protocols.js';
import type { Reader } from './wire.js';

/**
 * Avro IPC handshake (schemas from Avro's share/schemas, namespace org.apache.avro.ipc). It happens once
 * per TCP connection, on its first request(s): after a non-NONE answer neither side sends a handshake again
 * on that connection (one more would be read as a message and corrupt the stream).
 *
 * Server rule (Java's Responder): the client is known when its hash is cached or it sent its protocol;
 * BOTH when the client is known and named our hash, CLIENT when known but it named another hash (we send
 * ours), NONE when unknown (we send ours and the client repeats the request with its protocol).
 */
const MD5 = { type: 'fixed', name: 'MD5', size: 16 } as const;

export const handshakeRequestType = avro.Type.forSchema({
  type: 'record',
  name: 'HandshakeRequest',
  namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'clientHash', type: MD5 },
    { name: 'clientProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: 'MD5' },
    { name: 'meta', type: ['null', { type: 'map', values: 'bytes' }] },
  ],
});

export const handshakeResponseType = avro.Type.forSchema({
  type: 'record',
  name: 'HandshakeResponse',
  namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'match', type: { type: 'enum', name: 'HandshakeMatch', symbols: ['BOTH', 'CLIENT', 'NONE'] } },
    { name: 'serverProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: ['null', MD5] },
    { name: 'meta', type: ['null', { type: 'map', values: 'bytes' }] },
  ],
});

export type HandshakeMatch = 'BOTH' | 'CLIENT' | 'NONE';
type Meta = Record<string, Buffer> | null;

export interface HandshakeRequest {
  clientHash: Buffer;
  clientProtocol: string | null;
  serverHash: Buffer;
  meta: Meta;
}

export interface HandshakeResponse {
  match: HandshakeMatch;
  serverProtocol: string | null;
  serverHash: Buffer | null;
  meta: Meta;
}

/** The handshake meta key carrying Sluice's shared secret (a Sluice extension; Java ignores it). */
export const TOKEN_META = 'sluice.token';

/**
 * The handshake records are read by hand, not by avsc: avsc trusts a map's block count, so a few bytes
 * announcing 2^60 entries kept it looping past the end of the buffer, freezing the server before any token
 * check. Reader bounds every count by the bytes left.
 */
function read<T>(decode: (r: Reader) => T, r: Reader, what: string): T {
  try {
    return decode(r);
  } catch (e) {
    throw new SluiceError('SLUICE_FORMAT', `bad ${what}: ${(e as Error).message}`, { cause: e });
  }
}

function branch(r: Reader, n: number): number {
  const b = r.long();
  if (b < 0 || b >= n) throw new SluiceError('SLUICE_FORMAT', `union branch ${b} out of range`);
  return b;
}

function readMeta(r: Reader): Meta {
  if (branch(r, 2) === 0) return null;
  // No prototype: a peer's key "__proto__" stays a key.
  const meta: Record<string, Buffer> = Object.create(null);
  for (const [k, v] of r.map()) meta[k] = Buffer.from(v);
  return meta;
}

const MATCHES: readonly HandshakeMatch[] = ['BOTH', 'CLIENT', 'NONE'];

function readRequest(r: Reader): HandshakeRequest {
  const clientHash = Buffer.from(r.fixed(16));
  const clientProtocol = branch(r, 2) === 1 ? r.string() : null;
  const serverHash = Buffer.from(r.fixed(16));
  return { clientHash, clientProtocol, serverHash, meta: readMeta(r) };
}

function readResponse(r: Reader): HandshakeResponse {
  const match = MATCHES[branch(r, 3)]!;
  const serverProtocol = branch(r, 2) === 1 ? r.string() : null;
  const serverHash = branch(r, 2) === 1 ? Buffer.from(r.fixed(16)) : null;
  return { match, serverProtocol, serverHash, meta: readMeta(r) };
}

export type ServerOutcome =
  | { status: 'connected'; response: Buffer; clientProtocol: AvroProtocol; serverProtocol: AvroProtocol }
  | { status: 'retry'; response: Buffer }
  | { status: 'refused'; response: Buffer; reason: string };

const MAX_CACHED_PROTOCOLS = 64;

/**
 * Server side, shared by all connections of a server (it holds the cache of client protocols).
 *
 * `extensions` are further protocols the server speaks on the same port (Sluice's collector protocol:
 * AvroSourceProtocol plus checkAck). A client naming one of them as the server hash is answered BOTH
 * and gets that protocol's messages; every other client (Flume NG, Spark) sees only `protocol`.
 */
export class HandshakeResponder {
  private readonly known = new Map<string, AvroProtocol>();
  private readonly token: Buffer | undefined;
  private readonly extensions: readonly AvroProtocol[];

  constructor(
    readonly protocol: AvroProtocol,
    opts: { token?: string | undefined; extensions?: readonly AvroProtocol[] | undefined } = {},
  ) {
    this.known.set(protocol.hash.toString('hex'), protocol);
    this.extensions = opts.extensions ?? [];
    for (const p of this.extensions) this.known.set(p.hash.toString('hex'), p);
    this.token = opts.token ? Buffer.from(opts.token, 'utf8') : undefined;
  }

  private isOurs(key: string): boolean {
    if (key === this.protocol.hash.toString('hex')) return true;
    return this.extensions.some((p) => p.hash.toString('hex') === key);
  }

  /**
   * Judges the handshake at the head of a first frame from a prefix of it (FrameDecoder's gate), before
   * the rest of a large first request is buffered: the request must decode, and carry the token when
   * one is required. Whether the client's protocol is known is `respond`'s business.
   */
  gate(prefix: Buffer): true | string | undefined {
    let res: { value: unknown; offset: number };
    try {
      res = handshakeRequestType.decode(prefix, 0);
    } catch (e) {
      return `bad handshake request: ${(e as Error).message}`;
    }
    if (res.offset < 0) return undefined;
    return this.checkToken(res.value as HandshakeRequest) ?? true;
  }

  private checkToken(req: HandshakeRequest): string | undefined {
    if (this.token === undefined) return undefined;
    const given = req.meta?.[TOKEN_META];
    if (given === undefined) return `no ${TOKEN_META} given`;
    if (given.length !== this.token.length || !timingSafeEqual(given, this.token)) {
      return `wrong ${TOKEN_META}`;
    }
    return undefined;
  }

  respond(r: Reader): ServerOutcome {
    const req = read(readRequest, r, 'handshake request');
    const clientKey = req.clientHash.toString('hex');
    let client = this.known.get(clientKey);
    if (client === undefined && req.clientProtocol !== null) {
      client = protocolFromJson(req.clientProtocol);
      // Clients choose what they send: bound the cache so a stream of made-up protocols costs nothing.
      if (this.known.size >= MAX_CACHED_PROTOCOLS) {
        for (const k of this.known.keys()) {
          if (!this.isOurs(k)) {
            this.known.delete(k);
            break;
          }
        }
      }
      this.known.set(clientKey, client);
    }
    const extension = this.extensions.find((p) => req.serverHash.equals(p.hash));
    const server = extension ?? this.protocol;
    const match: HandshakeMatch =
      client === undefined ? 'NONE' : req.serverHash.equals(server.hash) ? 'BOTH' : 'CLIENT';
    const response = handshakeResponseType.toBuffer({
      match,
      serverProtocol: match === 'BOTH' ? null : this.protocol.json,
      serverHash: match === 'BOTH' ? null : this.protocol.hash,
      meta: null,
    } satisfies HandshakeResponse);
    if (client === undefined) return { status: 'retry', response };
    const refused = this.checkToken(req);
    if (refused !== undefined) return { status: 'refused', response, reason: refused };
    return { status: 'connected', response, clientProtocol: client, serverProtocol: server };
  }
}

/** Client side. The server hash it learns survives reconnects, so the next connection answers BOTH. */
export class HandshakeRequestor {
  private serverHash: Buffer;
  /** The server's protocol JSON once it told us (its answer was CLIENT or NONE). */
  serverProtocol: string | undefined;
  private readonly meta: Meta;

  constructor(
    readonly protocol: AvroProtocol,
    opts: { token?: string | undefined } = {},
  ) {
    this.serverHash = protocol.hash;
    this.meta = opts.token ? { [TOKEN_META]: Buffer.from(opts.token, 'utf8') } : {};
  }

  /** The first request carries no protocol (Java's habit); a NONE answer asks for it. */
  request(withProtocol: boolean): Buffer {
    return handshakeRequestType.toBuffer({
      clientHash: this.protocol.hash,
      clientProtocol: withProtocol ? this.protocol.json : null,
      serverHash: this.serverHash,
      meta: this.meta,
    } satisfies HandshakeRequest);
  }

  /**
   * Reads the handshake response: 'connected' when the response body follows, 'retry' when the server
   * needs our protocol (nothing else follows; resend the same request with `request(true)`).
   */
  onResponse(r: Reader, sentProtocol: boolean): 'connected' | 'retry' {
    const res = read(readResponse, r, 'handshake response');
    if (res.serverHash !== null && res.serverProtocol !== null) {
      // Java's server sends the MD5 of the very protocol text it sends. A server that does not is
      // confused or not what it claims: refuse it rather than present its hash on the next connection.
      if (!md5(res.serverProtocol).equals(res.serverHash)) {
        throw new SluiceError(
          'SLUICE_RPC',
          `server handshake refused: serverHash ${res.serverHash.toString('hex')} is not the MD5 of the serverProtocol it sent`,
        );
      }
      this.serverHash = res.serverHash;
      this.serverProtocol = res.serverProtocol;
    }
    if (res.match === 'NONE') {
      if (sentProtocol) {
        throw new SluiceError('SLUICE_RPC', `server does not accept protocol ${this.protocol.name}`);
      }
      return 'retry';
    }
    return 'connected';
  }
}
