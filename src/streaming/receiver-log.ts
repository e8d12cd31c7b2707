import type { ReceivedBlock } from './receiver.js';

/**
 * The receiver write-ahead log as the engine sees it (the implementation on src/storage/wal/ lives in
 * src/streaming/inputs/receiver-wal.ts). With a log, a receiver's block is acked only once `append`
 * resolved: what a sender or a SparkSink was told is safe survives a SIGKILL, and `getOrCreate` hands
 * what the last checkpoint does not cover to the first batches after the restart.
 *
 * Times are the context's clock. `append` gets the time the engine appended at; `truncate(beforeTime)`
 * may drop every block appended before `beforeTime`, because every such block belongs to a batch a
 * checkpoint covers. Blocks appended later but already counted in a checkpoint are replayed again:
 * the log gives at-least-once, never loss.
 */
export interface ReceiverLog {
  append(blocks: readonly ReceivedBlock<unknown>[], time: number): Promise<void>;
  /** Blocks not yet truncated, oldest first. Their acks are gone: the records alone come back. */
  replay(): AsyncIterable<ReceivedBlock<unknown>>;
  truncate(beforeTime: number): Promise<void>;
  close(): Promise<void>;
}

/** What a context needs to open the log of one receiver input stream. */
export interface ReceiverLogTarget {
  /** The stream's id in the graph (stable across restarts of the same program). */
  readonly streamId: number;
  /** The receiver's name. */
  readonly name: string;
  /** A directory of its own under the checkpoint directory (`<checkpoint>/receivedData/<streamId>`). */
  readonly dir: string;
}

export type ReceiverLogFactory = (target: ReceiverLogTarget) => ReceiverLog | Promise<ReceiverLog>;
