import { ByteWriter } from '../../core/byte-writer.js';
import { SluiceError } from '../../core/errors.js';
import type { Event } from '../../core/event.js';
import { AvroClient, type AvroClientOptions } from './client.js';
import {
  FlumeEventEncoder,
  type FlumeEventEncoderOptions,
  readFlumeEvent,
  readFlumeEvents,
} from './flume-event.js';
import { avroSourceProtocol, Status, type StatusValue } from './protocols.js';
import { type AnyHandler, handler, type PeerInfo } from './server.js';
import type { Reader } from './wire.js';

/**
 * Flume NG's AvroSourceProtocol on top of the generic server and client: `append(event)` and
 * `appendBatch(events)`, both answered with a Status.
 */
/**
 * Gets each received batch. `frameBytes` is the size of the request frame the events were decoded from:
 * their bodies are views of it, so what a queued batch keeps alive is the frame, headers included, not
 * the sum of its bodies.
 */
export type EventsReceiver = (
  events: Event[],
  peer: PeerInfo,
  frameBytes: number,
) => StatusValue | Promise<StatusValue>;

interface Received {
  events: Event[];
  frameBytes: number;
}

function writeStatus(w: ByteWriter, s: StatusValue): void {
  w.long(s);
}

function readStatus(r: Reader): StatusValue {
  const s = r.long();
  if (s !== Status.OK && s !== Status.FAILED && s !== Status.UNKNOWN) {
    throw new SluiceError('SLUICE_FORMAT', `Status index ${s} is not OK, FAILED or UNKNOWN`);
  }
  return s;
}

/** Server handlers for AvroSourceProtocol: both messages deliver a batch to `receive`. */
export function avroSourceHandlers(receive: EventsReceiver): Record<string, AnyHandler> {
  const handle = (req: Received, peer: PeerInfo) => receive(req.events, peer, req.frameBytes);
  return {
    append: handler<Received, StatusValue>({
      decode: (r, peer) => ({ events: [readFlumeEvent(r, peer.address)], frameBytes: r.buf.length }),
      handle,
      encode: writeStatus,
    }),
    appendBatch: handler<Received, StatusValue>({
      decode: (r, peer) => ({ events: readFlumeEvents(r, peer.address), frameBytes: r.buf.length }),
      handle,
      encode: writeStatus,
    }),
  };
}

export type FlumeClientOptions = Omit<AvroClientOptions, 'protocol'> & FlumeEventEncoderOptions;

/** A client of AvroSourceProtocol (what Flume NG's AvroSink and NettyAvroRpcClient speak). */
export class FlumeRpcClient {
  readonly client: AvroClient;
  private readonly encoder: FlumeEventEncoder;

  constructor(opts: FlumeClientOptions) {
    this.client = new AvroClient({ ...opts, protocol: avroSourceProtocol });
    this.encoder = new FlumeEventEncoder(opts);
  }

  /** Sends events[start, end) in one appendBatch and resolves with the Status the server answered. */
  appendBatch(events: readonly Event[], start = 0, end = events.length): Promise<StatusValue> {
    // Sized from the bodies so a batch of large events is written without regrowing (and copying).
    let size = 64;
    for (let i = start; i < end; i++) size += events[i]!.body.length + 112;
    const w = new ByteWriter(size);
    this.encoder.writeBatch(w, events, start, end);
    return this.client.call('appendBatch', w.finish(), readStatus);
  }

  append(event: Event): Promise<StatusValue> {
    const w = new ByteWriter(256);
    this.encoder.writeEvent(w, event);
    return this.client.call('append', w.finish(), readStatus);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

export function statusName(s: StatusValue): string {
  return s === Status.OK ? 'OK' : s === Status.FAILED ? 'FAILED' : 'UNKNOWN';
}
