import type { ReceivedBlock, ReceiverSink } from '../../src/streaming/receiver.js';

/**
 * The engine's side of a streaming receiver, for receiver tests before (and apart from) the engine:
 * it keeps what it is given and settles each block's ack as the test says. `room` set to a promise
 * makes `store` hand it back (the engine is full) until the test resolves it.
 */
export class CollectingReceiverSink<T> implements ReceiverSink<T> {
  readonly records: T[] = [];
  readonly blocks: ReceivedBlock<T>[] = [];
  readonly errors: Error[] = [];
  /** `ok`: ack each block at once; `fail`: fail it; `hold`: keep it unsettled in `held`. */
  mode: 'ok' | 'fail' | 'hold' = 'ok';
  readonly held: ReceivedBlock<T>[] = [];
  room: Promise<void> | undefined;
  stores = 0;

  store(block: ReceivedBlock<T>): void | Promise<void> {
    this.stores++;
    this.blocks.push(block);
    if (this.mode === 'ok') {
      for (const r of block.records) this.records.push(r);
      block.ack?.ok();
    } else if (this.mode === 'fail') {
      block.ack?.fail(new Error('the test sink refused the block'));
    } else {
      this.held.push(block);
    }
    return this.room;
  }

  /** Acks every held block ok and keeps its records. */
  release(): void {
    for (const b of this.held.splice(0)) {
      for (const r of b.records) this.records.push(r);
      b.ack?.ok();
    }
  }

  reportError(error: Error): void {
    this.errors.push(error);
  }
}

/** A promise with its resolve function, for `room`. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}
