import type { DecoratorDef } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { Escaper } from '../core/escapes.js';
import { compileEscapes } from '../core/escapes.js';
import type { Batch } from '../core/event.js';
import { limits } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';

/** Replaces each body with the pattern expanded for that event (%{host}, %{attr}, %Y ...). */
export class FormatSink extends DecoratorSink {
  constructor(
    child: EventSink,
    private readonly escaper: Escaper,
  ) {
    super(child);
  }

  append(batch: Batch): void | Promise<void> {
    const max = limits.maxBodySize;
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      const body = Buffer.from(this.escaper(e), 'utf8');
      // Assigned in place (no copy of the attribute map); the body limit still holds.
      e.body = body.length > max ? body.subarray(0, max) : body;
    }
    return this.child.append(batch);
  }
}

export const formatDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'format',
  docs:
    'Replaces the body of every event with the pattern expanded for that event (escapes such as ' +
    '%{host}, %{attr}, %{body}, %Y-%m-%d). Checksums rely on bodies, so use it on reporting or ' +
    'best-effort flows only.',
  params: [{ name: 'pattern', type: 'string', docs: 'The new body, with escape sequences.' }],
  build: (args, ctx, child) => {
    const pattern = args.string('pattern');
    const timeZone = ctx.config.get('sluice.time.zone');
    try {
      return new FormatSink(child, compileEscapes(pattern, timeZone ? { timeZone } : {}));
    } catch (e) {
      if (!(e instanceof SluiceError)) throw e;
      throw new SluiceError(e.code, e.message, {
        place: { ...e.place, component: args.component, field: 'pattern' },
        cause: e,
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
      });
    }
  },
};
