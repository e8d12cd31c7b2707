import { gunzipSync } from 'node:zlib';
import type { DecoratorDef } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import { decodeEvent } from '../core/eventcodec.js';
import { DecoratorSink } from '../core/pipeline.js';
import { GZIP_ATTR, readU32 } from './markers.js';

/** Restores events compressed by gzip; events that are not gzip wrappers pass through. */
export class GunzipSink extends DecoratorSink {
  append(batch: Batch): void | Promise<void> {
    let out: Event[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      const size = gzipSize(e);
      if (size === undefined) {
        out?.push(e);
        continue;
      }
      out ??= batch.slice(0, i);
      out.push(unwrap(e, size));
    }
    return this.child.append(out ?? batch);
  }
}

/** The declared uncompressed size when `e` is a gzip wrapper (marker and gzip magic), else undefined. */
function gzipSize(e: Event): number | undefined {
  if (e.attrCount === 0 || e.body.length < 2 || e.body[0] !== 0x1f || e.body[1] !== 0x8b) return undefined;
  return readU32(e.getAttr(GZIP_ATTR));
}

function unwrap(e: Event, size: number): Event {
  try {
    // The declared size bounds the output: a forged wrapper cannot inflate into gigabytes.
    const raw = gunzipSync(e.body, { maxOutputLength: Math.max(size, 1) });
    if (raw.length !== size) throw new Error(`declares ${size} bytes but holds ${raw.length}`);
    return decodeEvent(raw);
  } catch (err) {
    throw new SluiceError('SLUICE_FORMAT', `gunzip: corrupt gzip event: ${(err as Error).message}`, {
      place: { component: 'gunzip' },
      cause: err,
    });
  }
}

export const gunzipDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'gunzip',
  docs: 'Restores events compressed by gzip; events that are not gzip events are forwarded as they are.',
  params: [],
  build: (_args, _ctx, child) => new GunzipSink(child),
};
