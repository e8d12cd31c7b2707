import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { withPlugins } from '../catalog/plugins.js';
import type { Catalog } from '../catalog/registry.js';
import type { BuildContext } from '../catalog/types.js';
import { SiteConfig } from '../core/config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { builtinCatalog } from '../flow/builtins.js';

export interface Env {
  config: SiteConfig;
  catalog: Catalog;
  logger: Logger;
  context: BuildContext;
}

/**
 * What every command shares: the site configuration (from --conf DIR, $SLUICE_CONF_DIR, or ./conf when
 * it exists, else the built-in defaults), the catalog (built-ins and the plugins of flume.plugin.classes)
 * and a logger.
 */
export async function loadEnv(opts: {
  confDir?: string;
  allowExec?: boolean;
  nodeName?: string;
}): Promise<Env> {
  const dir = opts.confDir ?? process.env.SLUICE_CONF_DIR ?? (existsSync('conf') ? 'conf' : undefined);
  const config = dir !== undefined ? SiteConfig.load(resolve(dir)) : SiteConfig.defaults();
  const logger = createLogger();
  for (const w of config.warnings) logger.warn(w);
  const catalog = await withPlugins(builtinCatalog(), config);
  return {
    config,
    catalog,
    logger,
    context: {
      config,
      nodeName: opts.nodeName ?? 'sluice',
      allowExec: opts.allowExec ?? false,
      logger,
      formats: catalog,
    },
  };
}
