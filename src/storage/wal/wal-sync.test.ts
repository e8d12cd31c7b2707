// The durability promise of fsync `always`, checked from outside the process: the writer runs under
// strace and every acknowledged append must be preceded by an fdatasync (or fsync) of the segment it
// was written to. A SIGKILL test cannot see a missing sync (the page cache survives a killed process);
// only a power loss would, so the system calls are the oracle.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { peer, peerSkip } from '../../../test/support/peers.js';
import { tempDir } from '../../../test/support/tmp.js';

const repo = join(import.meta.dirname, '..', '..', '..');
const writer = join(repo, 'test', 'fixtures', 'wal-writer.ts');

interface Audit {
  acks: number;
  syncs: number;
  writes: number;
  /** Acks written while the segment held bytes not yet synced. */
  unsynced: string[];
}

/**
 * Replays a trace of the whole process, following the segment's and the acks file's fds (strace pads
 * a short thread id with spaces: `7285  write(...)`, so the id is followed by any run of spaces). Lines are `<tid> <call>(<fd>, ...) = r`,
 * or split in two (`<unfinished ...>` then `<... call resumed>`) when threads interleave: a write
 * counts from its start, a sync only once it returned 0.
 */
function audit(trace: string, segment: string, acksFile: string): Audit {
  const fds = new Map<string, 'segment' | 'acks'>();
  const open = new Map<string, { call: string; fd: string; path?: string }>();
  const dirty = new Set<string>();
  const out: Audit = { acks: 0, syncs: 0, writes: 0, unsynced: [] };
  const done = (call: string, fd: string, path: string | undefined, result: string) => {
    if (call === 'openat' && path !== undefined) {
      if (path === segment) fds.set(result, 'segment');
      if (path === acksFile) fds.set(result, 'acks');
    } else if ((call === 'fdatasync' || call === 'fsync') && result === '0' && fds.get(fd) === 'segment') {
      out.syncs++;
      dirty.delete(fd);
    } else if (call === 'close') fds.delete(fd);
  };
  const started = (call: string, fd: string, text: string) => {
    if (!/^(write|writev|pwrite64|pwritev2?)$/.test(call)) return;
    if (fds.get(fd) === 'segment') {
      out.writes++;
      dirty.add(fd);
    } else if (fds.get(fd) === 'acks' && text.includes('"ACK ')) {
      out.acks++;
      if (dirty.size > 0) out.unsynced.push(text);
    }
  };
  for (const line of trace.split('\n')) {
    const resumed = /^(\d+)\s+<\.\.\. (\w+) resumed>.*= (-?\d+)/.exec(line);
    if (resumed) {
      const [, tid, call, result] = resumed;
      const o = open.get(tid!);
      open.delete(tid!);
      if (o && o.call === call) done(call, o.fd, o.path, result!);
      continue;
    }
    const m = /^(\d+)\s+(\w+)\((?:AT_FDCWD, "([^"]*)"|(\d+))/.exec(line);
    if (!m) continue;
    const [, tid, call, path, fdArg] = m;
    const fd = fdArg ?? '';
    started(call!, fd, line);
    if (line.includes('<unfinished ...>')) open.set(tid!, { call: call!, fd, ...(path ? { path } : {}) });
    else {
      const r = /= (-?\d+)/.exec(line.slice(line.lastIndexOf(')')));
      if (r) done(call!, fd, path, r[1]!);
    }
  }
  return out;
}

test('fsync always: every acknowledged append follows an fdatasync of its segment (strace oracle)', {
  skip: peerSkip('strace'),
  timeout: 120_000,
}, () => {
  const dir = tempDir('wal-sync');
  const logDir = join(dir, 'log');
  const segment = join(logDir, 'log-0000000000000000.wal');
  const acksFile = join(dir, 'acks');
  const traceFile = join(dir, 'trace');
  const sequential = 20;
  const concurrent = 50;
  const r = spawnSync(
    peer('strace'),
    [
      '-f',
      '-qq',
      '-s',
      '32',
      '-e',
      'signal=none',
      '-e',
      'trace=openat,close,fdatasync,fsync,write,writev,pwrite64,pwritev,pwritev2',
      '-o',
      traceFile,
      process.execPath,
      '--import',
      'tsx',
      writer,
      logDir,
      acksFile,
      String(sequential),
      String(concurrent),
    ],
    { cwd: repo, encoding: 'utf8', timeout: 100_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const a = audit(readFileSync(traceFile, 'utf8'), segment, acksFile);
  assert.equal(a.acks, sequential + concurrent, 'every append acknowledged once');
  assert.ok(a.writes >= sequential + 1, `${a.writes} writes to the segment`);
  // One sync per sequential append at least; the burst shares group commits.
  assert.ok(a.syncs >= sequential + 1, `${a.syncs} syncs of the segment`);
  assert.deepEqual(a.unsynced, [], 'acknowledged before the segment was synced');
});

test('the trace audit catches an acknowledgement with unsynced bytes', () => {
  const seg = '/d/log-0000000000000000.wal';
  const head = `7 openat(AT_FDCWD, "${seg}", O_RDWR|O_CREAT, 0666) = 20\n8 openat(AT_FDCWD, "/d/acks", O_WRONLY) = 21\n`;
  const synced = `${head}9 pwritev(20, [...], 2, 20) = 118\n10 fdatasync(20 <unfinished ...>\n9 write(3, "x", 1) = 1\n10 <... fdatasync resumed>) = 0\n7 write(21, "ACK 1\\n", 6) = 6\n`;
  assert.deepEqual(audit(synced, seg, '/d/acks'), { acks: 1, syncs: 1, writes: 1, unsynced: [] });
  // strace pads thread ids shorter than its column: the same trace with padded ids reads the same.
  assert.deepEqual(audit(synced.replace(/^(\d+) /gm, '$1   '), seg, '/d/acks'), {
    acks: 1,
    syncs: 1,
    writes: 1,
    unsynced: [],
  });
  const early = `${head}9 pwritev(20, [...], 2, 20) = 118\n10 fdatasync(20 <unfinished ...>\n7 write(21, "ACK 1\\n", 6) = 6\n10 <... fdatasync resumed>) = 0\n`;
  assert.equal(audit(early, seg, '/d/acks').unsynced.length, 1, 'a sync still running does not count');
  const other = `${head}9 pwritev(20, [...], 2, 20) = 118\n10 fdatasync(22) = 0\n7 write(21, "ACK 1\\n", 6) = 6\n`;
  assert.equal(audit(other, seg, '/d/acks').unsynced.length, 1, 'a sync of another file does not count');
});
