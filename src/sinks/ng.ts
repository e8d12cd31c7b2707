import type { NgSinkDef } from '../catalog/ng.js';
import { ngAvroSink } from './avro-ng.js';
import { fileRollSink } from './file-roll.js';
import { hdfsSink } from './hdfs.js';
import { loggerSink } from './logger.js';
import { sparkSink } from './spark.js';

/** Sinks known by their Flume NG type names; OG sinks are reachable by name as well (`type = text`). */
export const NG_SINKS: NgSinkDef[] = [loggerSink, fileRollSink, hdfsSink, ngAvroSink, sparkSink];
