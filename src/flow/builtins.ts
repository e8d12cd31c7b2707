import { Catalog } from '../catalog/registry.js';
import { DECORATORS } from '../decorators/index.js';
import { SINKS } from '../sinks/index.js';
import { SOURCES } from '../sources/index.js';

/**
 * The built-in catalog: the explicit lists of every source, sink and decorator. Tests clone and narrow
 * it with `with`/`without`; nothing registers itself by being imported.
 */
export function builtinCatalog(): Catalog {
  return new Catalog([...SOURCES, ...SINKS, ...DECORATORS]);
}
