import type { Batch } from './event.js';

/**
 * The two interfaces every data-plane component meets (Flume OG's EventSource / EventSink, moving
 * batches instead of single events).
 *
 * A source is pulled: `next()` returns the next batch, or null when a finite source is drained or the
 * source was closed. It may return synchronously when data is at hand (the hot path allocates no
 * promise), or a promise that resolves when data arrives. `close()` makes a pending `next()` resolve
 * null. One caller pulls at a time; a network source asked again while its last promise is pending
 * answers with that same promise, so a caller that gave up waiting strands no batch.
 *
 * A source that must know what became of a batch (to advance a saved position, mark a file done or
 * answer its sender) attaches an acknowledgement to it (`acked(batch, listener)` from core/ack.ts);
 * whoever pulls the source settles it: ok once the batch is safe (an agent: put into its channels and
 * committed; a logical node: accepted by the sink tree), failed otherwise. Pulling again says nothing
 * about the previous batch: several batches may be in flight. docs/acks.md has the whole contract.
 *
 * A sink is pushed: `append(batch)` returns nothing when it accepted the batch synchronously, or a
 * promise the caller must await before appending again (backpressure). A rejected append means the
 * batch was not (wholly) delivered. `close()` flushes everything buffered and releases resources.
 */
export interface EventSource {
  open(): Promise<void>;
  next(): Batch | null | Promise<Batch | null>;
  close(): Promise<void>;
}

/** What a sink did with the events it was given, for the drain and stop summaries. */
export interface SinkCounts {
  /** Events handed on (written, sent and answered OK). */
  delivered: number;
  /** Events given up on by design (a best-effort sink with no collector) and counted. */
  dropped: number;
  /** Events sent again after a failed attempt (to another collector, or the same one later). */
  retried: number;
}

/** What an end-to-end or write-ahead sink reports about its log (docs/reliability.md). */
export interface ReliabilityFigures {
  /** Ack groups in the log not yet acknowledged (the open one included). */
  groupsPending: number;
  groupsAcked: number;
  /** Groups sent again: not acknowledged in time, or found in the log at start. */
  groupsRetransmitted: number;
  /** Bytes of the write-ahead log's files on disk. */
  walBytes: number;
}

export interface EventSink {
  open(): Promise<void>;
  append(batch: Batch): void | Promise<void>;
  /** Pushes buffered events downstream without closing (a batch decorator's partial batch). */
  flush?(): Promise<void>;
  close(): Promise<void>;
  /** A sink that accepts batches it may still drop (best effort) says what became of them. */
  counts?(): SinkCounts;
  /** A sink keeping a write-ahead log reports its groups and bytes on disk. */
  reliability?(): ReliabilityFigures;
}

/**
 * Base for decorators: forwards the lifecycle to the child sink; subclasses override `append`.
 */
export abstract class DecoratorSink implements EventSink {
  constructor(protected readonly child: EventSink) {}
  open(): Promise<void> {
    return this.child.open();
  }
  abstract append(batch: Batch): void | Promise<void>;
  flush(): Promise<void> {
    return this.child.flush ? this.child.flush() : Promise.resolve();
  }
  close(): Promise<void> {
    return this.child.close();
  }
}
