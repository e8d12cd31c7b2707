import type { DecoratorDef } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import { decodeEvents, looksLikeEvents } from '../core/eventcodec.js';
import { DecoratorSink } from '../core/pipeline.js';
import { BATCH_ATTR, readU32 } from './markers.js';

/** Expands aggregate events made by batch back into their events; other events pass through. */
export class UnbatchSink extends DecoratorSink {
  append(batch: Batch): void | Promise<void> {
    let out: Event[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      if (!isAggregate(e)) {
        out?.push(e);
        continue;
      }
      // Copy the events before this aggregate only once one is found: plain batches pass untouched.
      out ??= batch.slice(0, i);
      let events: Event[];
      try {
        events = decodeEvents(e.body);
      } catch (err) {
        throw new SluiceError(
          'SLUICE_FORMAT',
          `unbatch: corrupt aggregate event: ${(err as Error).message}`,
          {
            place: { component: 'unbatch' },
            cause: err,
          },
        );
      }
      const declared = readU32(e.getAttr(BATCH_ATTR));
      if (declared !== undefined && declared !== events.length) {
        throw new SluiceError(
          'SLUICE_FORMAT',
          `unbatch: aggregate declares ${declared} events but holds ${events.length}`,
          { place: { component: 'unbatch' } },
        );
      }
      for (let j = 0; j < events.length; j++) out.push(events[j]!);
    }
    return this.child.append(out ?? batch);
  }
}

function isAggregate(e: Event): boolean {
  return e.attrCount > 0 && e.hasAttr(BATCH_ATTR) && looksLikeEvents(e.body);
}

export const unbatchDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'unbatch',
  docs: 'Splits aggregate events made by batch back into their original events; other events are forwarded as they are.',
  params: [],
  build: (_args, _ctx, child) => new UnbatchSink(child),
};
