import type { Ack } from '../core/ack.js';

/**
 * The contract between the streaming engine and its inputs, after Spark's Receiver: a receiver runs
 * while the StreamingContext runs and hands what it received to the engine in blocks. The engine cuts
 * the blocks it holds into micro-batches at each batch time.
 *
 * Reliability rides on the acknowledgement primitive of core/ack.ts (docs/acks.md): a receiver that
 * must know when a block is safe (the push receiver answering its sender, the poller acking a SparkSink
 * transaction) passes an Ack with the block; the engine settles it ok once the block is stored (in
 * memory, and in the receiver write-ahead log when the context has one), failed when it could not be.
 */
export interface ReceivedBlock<T> {
  readonly records: readonly T[];
  /** Bytes the block holds in memory, for the engine's bound on unprocessed data. */
  readonly bytes: number;
  readonly ack?: Ack;
}

export interface ReceiverSink<T> {
  /**
   * Hands a block to the engine. Returns nothing when the block was taken at once, or a promise that
   * resolves when the engine has room again: a receiver must not call `store` before it resolves
   * (this is backpressure: the push receiver stops reading its sockets, the poller stops polling).
   */
  store(block: ReceivedBlock<T>): void | Promise<void>;
  /** A fault the receiver cannot recover from; the context reports it and stops the receiver. */
  reportError(error: Error): void;
}

export interface Receiver<T> {
  /** Shown in reports and errors, e.g. `flume-push 127.0.0.1:41414`. */
  readonly name: string;
  /** Starts receiving; resolves once it listens or is connected (rejects when it cannot start). */
  start(sink: ReceiverSink<T>): Promise<void>;
  /** Stops receiving; blocks not yet acked are failed so senders resend them. */
  stop(): Promise<void>;
}
