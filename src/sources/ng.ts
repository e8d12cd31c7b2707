import type { NgSourceDef } from '../catalog/ng.js';
import { netcatSource } from './netcat.js';
import { seqSource } from './seq.js';

/**
 * Sources known by their Flume NG type names in agent files. Every OG source of `SOURCES` is reachable
 * too, configured by its parameter names (`type = tail`, `filename = /var/log/app.log`).
 */
export const NG_SOURCES: NgSourceDef[] = [netcatSource, seqSource];
