import type { SourceDef } from '../catalog/types.js';
/** The built-in local sources, listed explicitly (no registration by import side effect). */
import { avroSource, collectorSource, rpcSource } from './avro.js';
import { consoleSource } from './console.js';
import { execPeriodicSource, execSource, execStreamSource } from './exec.js';
import { logicalSource } from './logical.js';
import { nullSource } from './null.js';
import { reportSource } from './report.js';
import { seqfileSource } from './seqfile.js';
import { asciisynthSource, nonlsynthSource, synthSource } from './synth.js';
import { syslogTcp1Source, syslogTcpSource, syslogUdpSource } from './syslog.js';
import { multitailSource, tailSource } from './tail.js';
import { tailDirSource } from './tailDir.js';
import { textSource } from './text.js';

export const SOURCES: SourceDef[] = [
  nullSource,
  consoleSource,
  textSource,
  tailSource,
  multitailSource,
  tailDirSource,
  synthSource,
  nonlsynthSource,
  asciisynthSource,
  execSource,
  execStreamSource,
  execPeriodicSource,
  seqfileSource,
  syslogUdpSource,
  syslogTcpSource,
  syslogTcp1Source,
  rpcSource,
  avroSource,
  collectorSource,
  logicalSource,
  reportSource,
];

export {
  asciisynthSource,
  consoleSource,
  execPeriodicSource,
  execSource,
  execStreamSource,
  multitailSource,
  nonlsynthSource,
  nullSource,
  reportSource,
  synthSource,
  tailDirSource,
  tailSource,
  textSource,
};
