// Regenerates conf/flume-conf.xml from PROPERTIES (src/core/config.ts); a test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { renderDefaultsXml } from '../src/core/config.js';

writeFileSync(new URL('../conf/flume-conf.xml', import.meta.url), renderDefaultsXml());
console.log('wrote conf/flume-conf.xml');
