import type { BuildContext } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { formatIn } from '../formats/index.js';
import type { OutputFormat } from '../formats/types.js';

/**
 * The output format named by a sink argument, in the site's time zone; an unknown name is a
 * SLUICE_SPEC_BAD_ARGUMENT that names the sink as well as the argument.
 */
export function sinkFormat(component: string, field: string, name: string, ctx: BuildContext): OutputFormat {
  const timeZone = ctx.config.get('sluice.time.zone');
  try {
    return formatIn(ctx, name).create(timeZone ? { timeZone } : {});
  } catch (e) {
    if (!(e instanceof SluiceError)) throw e;
    throw new SluiceError(e.code, e.message, { place: { ...e.place, component, field }, cause: e });
  }
}
