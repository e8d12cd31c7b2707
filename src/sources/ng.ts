import type { NgSourceDef } from '../catalog/ng.js';
import { ngAvroSource } from './avro-ng.js';
import { execNgSource } from './exec-ng.js';
import { netcatSource } from './netcat.js';
import { seqSource } from './seq.js';
import { spoolDirSource } from './spooldir.js';
import { multiportSyslogTcpNgSource, syslogTcpNgSource, syslogUdpNgSource } from './syslog.js';
import { taildirSource } from './taildir-ng.js';

/**
 * Sources known by their Flume NG type names in agent files. Every OG source of `SOURCES` is reachable
 * too, configured by its parameter names (`type = tail`, `filename = /var/log/app.log`).
 */
export const NG_SOURCES: NgSourceDef[] = [
  netcatSource,
  ngAvroSource,
  seqSource,
  spoolDirSource,
  taildirSource,
  execNgSource,
  syslogTcpNgSource,
  syslogUdpNgSource,
  multiportSyslogTcpNgSource,
];
