import { readdirSync } from 'node:fs';
import { hostname, loadavg, totalmem } from 'node:os';

/** The figures of this process and its machine a status page shows beside the pipelines. */
export interface ProcessFigures {
  pid: number;
  host: string;
  /** Seconds since the process started. */
  uptimeSeconds: number;
  /** CPU seconds used since the start (user plus system). */
  cpuSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** File descriptors open now; absent where /proc is not there to count them. */
  openFiles?: number;
  machineMemoryBytes: number;
  /** The machine's 1-minute load average. */
  load1: number;
}

/** Counting /proc/self/fd is one readdir: cheap enough for a scrape or a page refresh each second. */
function openFiles(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

export function processFigures(): ProcessFigures {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const fds = openFiles();
  return {
    pid: process.pid,
    host: hostname(),
    uptimeSeconds: process.uptime(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    ...(fds !== undefined ? { openFiles: fds } : {}),
    machineMemoryBytes: totalmem(),
    load1: loadavg()[0] ?? 0,
  };
}
