import { gzipSync } from 'node:zlib';
import type { DecoratorDef } from '../catalog/types.js';
import type { Batch, Event } from '../core/event.js';
import { encodeEvents } from '../core/eventcodec.js';
import { DecoratorSink } from '../core/pipeline.js';
import { GZIP_ATTR, u32, wrapperEvent } from './markers.js';

/**
 * Serializes each event whole (body and metadata) and gzips it into a marked wrapper event. The
 * wrapper keeps the original's timestamp, priority and host so routing and bucketing downstream
 * still work before gunzip. Meant to follow batch: one compression per aggregate.
 */
export class GzipSink extends DecoratorSink {
  append(batch: Batch): void | Promise<void> {
    const out: Event[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      const raw = encodeEvents([e]);
      const w = wrapperEvent(gzipSync(raw), e);
      w.setAttr(GZIP_ATTR, u32(raw.length));
      out[i] = w;
    }
    return this.child.append(out);
  }
}

export const gzipDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'gzip',
  docs: 'Serializes each event (body and metadata) and gzips it into one event; useful after batch. Undo with gunzip.',
  params: [],
  build: (_args, _ctx, child) => new GzipSink(child),
};
