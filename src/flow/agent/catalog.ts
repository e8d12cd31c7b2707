import type { Catalog } from '../../catalog/registry.js';
import { builtinCatalog } from '../builtins.js';

/** The built-in agent catalog: the same one catalog the spec front end uses. */
export function builtinAgentCatalog(): Catalog {
  return builtinCatalog();
}
