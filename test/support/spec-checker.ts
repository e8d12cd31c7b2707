import { SiteConfig } from '../../src/core/config.js';
import type { Logger } from '../../src/core/logger.js';
import { builtinCatalog } from '../../src/flow/builtins.js';
import { compileSpec } from '../../src/flow/compile.js';
import type { SpecChecker } from '../../src/master/master.js';

/** The check `sluice master` runs on every spec (names and arguments against the built-in catalog). */
export function builtinSpecChecker(logger: Logger): SpecChecker {
  const catalog = builtinCatalog();
  return (spec, file) =>
    void compileSpec(spec, {
      catalog,
      context: { config: SiteConfig.defaults(), nodeName: 'master', allowExec: true, logger },
      file,
    });
}
