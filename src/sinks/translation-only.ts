import type { ParamSpec, SinkDef } from '../catalog/types.js';
import { type ErrorCode, SluiceError } from '../core/errors.js';

/**
 * A sink that never runs as itself: something rewrites it first (the spec compiler's reliability
 * translations, the master's logical-node translations). Its definition gives the catalog the name,
 * arguments and docs; reaching `build` means the rewrite could not happen there, and `why` says what to
 * do instead.
 */
export function translationOnlySink(
  name: string,
  docs: string,
  params: ParamSpec[],
  code: ErrorCode,
  why: string,
): SinkDef {
  return {
    kind: 'sink',
    name,
    docs,
    params,
    build: (args) => {
      throw new SluiceError(code, `${name} ${why}`, { place: { component: args.component } });
    },
  };
}
