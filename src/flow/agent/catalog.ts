import { CHANNELS } from '../../channels/index.js';
import { INTERCEPTORS } from '../../interceptors/index.js';
import { NG_SINKS } from '../../sinks/ng.js';
import { NG_SOURCES } from '../../sources/ng.js';
import { builtinCatalog } from '../builtins.js';
import type { AgentCatalog } from './agent.js';

/** The built-in agent catalog: NG types plus the OG catalog. */
export function builtinAgentCatalog(): AgentCatalog {
  return {
    sources: NG_SOURCES,
    sinks: NG_SINKS,
    channels: CHANNELS,
    interceptors: INTERCEPTORS,
    og: builtinCatalog(),
  };
}
