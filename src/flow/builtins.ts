import { Catalog } from '../catalog/registry.js';
import { CHANNELS } from '../channels/index.js';
import { DECORATORS } from '../decorators/index.js';
import { FORMATS } from '../formats/index.js';
import { INTERCEPTORS } from '../interceptors/index.js';
import { SINKS } from '../sinks/index.js';
import { NG_SINKS } from '../sinks/ng.js';
import { SOURCES } from '../sources/index.js';
import { NG_SOURCES } from '../sources/ng.js';
import { PROCESSORS } from './agent/processors.js';
import { SELECTORS } from './agent/selectors.js';

/**
 * The built-in catalog: the explicit lists of every source, sink, decorator, output format, channel,
 * interceptor, channel selector and sink processor, for both front ends. Tests clone and narrow it with `with`/`without`; nothing registers itself by
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
    ...SELECTORS,
    ...PROCESSORS,
    ...FORMATS,
  ]);
}
