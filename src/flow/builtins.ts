import { Catalog } from '../catalog/registry.js';
import { CHANNELS } from '../channels/index.js';
import { DECORATORS } from '../decorators/index.js';
import { INTERCEPTORS } from '../interceptors/index.js';
import { SINKS } from '../sinks/index.js';
import { NG_SINKS } from '../sinks/ng.js';
import { SOURCES } from '../sources/index.js';
import { NG_SOURCES } from '../sources/ng.js';

/**
 * The built-in catalog: the explicit lists of every source, sink, decorator, channel and interceptor,
 * for both front ends. Tests clone and narrow it with `with`/`without`; nothing registers itself by
 * being imported; plugins are added by catalog/plugins.ts.
 */
export function builtinCatalog(): Catalog {
  return new Catalog([
    ...SOURCES,
    ...SINKS,
    ...DECORATORS,
    ...NG_SOURCES,
    ...NG_SINKS,
    ...CHANNELS,
    ...INTERCEPTORS,
  ]);
}
