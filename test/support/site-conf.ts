import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `<dir>/conf/flume-site.xml` with `props` and returns the directory, for `--conf`. */
export function writeSiteConf(dir: string, props: Record<string, string>): string {
  const conf = join(dir, 'conf');
  mkdirSync(conf, { recursive: true });
  const body = Object.entries(props)
    .map(([k, v]) => `  <property><name>${k}</name><value>${v}</value></property>`)
    .join('\n');
  writeFileSync(
    join(conf, 'flume-site.xml'),
    `<?xml version="1.0"?>\n<configuration>\n${body}\n</configuration>\n`,
  );
  return conf;
}
