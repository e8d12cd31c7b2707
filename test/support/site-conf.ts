import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/core/ports.js';

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

/**
 * A master test's site: free heartbeat and admin ports, a 200 ms heartbeat and the embedded store in
 * `<dir>/store`, plus `extra` properties; returns the `--conf` directory and the ports.
 */
export async function writeMasterSite(
  dir: string,
  extra: Record<string, string> = {},
): Promise<{ conf: string; hbPort: number; adminPort: number }> {
  const hbPort = await freePort();
  const adminPort = await freePort();
  const conf = writeSiteConf(dir, {
    'flume.config.heartbeat.period': '200',
    'flume.master.heartbeat.port': String(hbPort),
    'flume.master.admin.port': String(adminPort),
    'flume.master.zk.logdir': join(dir, 'store'),
    ...extra,
  });
  return { conf, hbPort, adminPort };
}
