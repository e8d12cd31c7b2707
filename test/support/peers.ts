/**
 * Real programs the tests talk to (an independent Avro implementation, syslog daemons, openssl, a JVM,
 * strace) and the one rule for when one is missing: under CI (`CI=true`, as `.ci/run` sets it) the run
 * fails with the Debian package to install, because a check that silently skips proves nothing; on a
 * developer's machine the tests that need it skip with the same message.
 *
 *   test('reads what Python wrote', { skip: peerSkip('python3-avro') }, () => { ... pythonAvro() ... });
 *
 * Every peer `.ci/run` installs is listed here; docs/testing.md has the table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

export type PeerName =
  | 'python3-avro'
  | 'rsyslogd'
  | 'logger'
  | 'openssl'
  | 'java'
  | 'avrocat'
  | 'strace'
  | 'zookeeper'
  | 'chromium';

interface PeerDef {
  /** The Debian package that provides it. */
  pkg: string;
  /** The program to run, or undefined when it is missing (or cannot do what the tests need). */
  find(): string | undefined;
}

// 60 s: a JVM or Chromium starting on a loaded CI machine can take tens of seconds, and a probe cut
// short would call the peer missing, which fails the run under CI.
const PROBE_TIMEOUT_MS = 60_000;

const ok = (cmd: string, args: string[]): boolean =>
  spawnSync(cmd, args, { stdio: 'ignore', timeout: PROBE_TIMEOUT_MS }).status === 0;

/** A command on PATH (or an absolute path that exists), resolved to its path. */
function which(cmd: string, extra: string[] = []): string | undefined {
  for (const p of extra) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const found = r.status === 0 ? r.stdout.trim() : '';
  return found === '' ? undefined : found;
}

const PEERS: Record<PeerName, PeerDef> = {
  // Debian's python3-avro installs for the system interpreter; a python3 earlier on PATH (pyenv, a
  // venv) usually lacks it, so the system one is tried first.
  'python3-avro': {
    pkg: 'python3-avro',
    find: () =>
      ['/usr/bin/python3', 'python3'].find((py) => ok(py, ['-c', 'import avro.ipc, avro.io, avro.datafile'])),
  },
  rsyslogd: {
    pkg: 'rsyslog',
    find: () => which('rsyslogd', ['/usr/sbin/rsyslogd', '/sbin/rsyslogd', '/usr/local/sbin/rsyslogd']),
  },
  logger: { pkg: 'bsdutils', find: () => (ok('logger', ['--help']) ? which('logger') : undefined) },
  openssl: { pkg: 'openssl', find: () => (ok('openssl', ['version']) ? which('openssl') : undefined) },
  // `java File.java` (the source launcher) needs the jdk.compiler module, which Debian's JRE image
  // carries: no JDK, javac or Hadoop jars.
  java: {
    pkg: 'default-jre-headless',
    find: () =>
      /^jdk\.compiler@/m.test(
        spawnSync('java', ['--list-modules'], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS }).stdout ?? '',
      )
        ? which('java')
        : undefined,
  },
  avrocat: { pkg: 'avro-bin', find: () => which('avrocat') },
  // Debian's ZooKeeper server (3.8): its jars, run with the JRE; the path found is the server's jar.
  zookeeper: {
    pkg: 'zookeeper',
    find: () =>
      existsSync('/usr/share/java/zookeeper.jar') && which('java') !== undefined
        ? '/usr/share/java/zookeeper.jar'
        : undefined,
  },
  // strace must also be allowed to trace (ptrace may be forbidden in a container).
  strace: {
    pkg: 'strace',
    find: () => (ok('strace', ['-f', '-o', '/dev/null', 'true']) ? which('strace') : undefined),
  },
  // Debian's own build, driven by playwright-core: the browser tests of the status pages.
  chromium: {
    pkg: 'chromium',
    find: () => {
      const path = which('chromium', ['/usr/bin/chromium']);
      return path && ok(path, ['--headless', '--no-sandbox', '--version']) ? path : undefined;
    },
  },
};

/** The Debian packages of every peer (what `.ci/run` installs). */
export const PEER_PACKAGES: readonly string[] = [...new Set(Object.values(PEERS).map((p) => p.pkg))];

const found = new Map<PeerName, string | undefined>();

/** Peers to treat as missing (comma-separated names), to try the missing-peer path on a full machine. */
const hidden = new Set((process.env.SLUICE_TEST_HIDE_PEERS ?? '').split(',').filter((n) => n !== ''));

/** The path of the peer's program, or undefined when it is missing. Looked up once per process. */
export function peerPath(name: PeerName): string | undefined {
  if (!found.has(name)) found.set(name, hidden.has(name) ? undefined : PEERS[name].find());
  return found.get(name);
}

/** True when the run must not skip: CI=true (or any value but false/0/empty). */
export function inCI(): boolean {
  const v = (process.env.CI ?? '').toLowerCase();
  return v !== '' && v !== 'false' && v !== '0';
}

/** What to install, in the words of the failure or skip message. */
export function missingMessage(name: PeerName): string {
  return `${name} is missing: install it with apt-get install -y ${PEERS[name].pkg}`;
}

const reported = new Set<PeerName>();

/**
 * The `skip` option for a test or suite that needs these peers: false when all are present. When one
 * is missing the dependent tests skip with the package to install, and under CI one extra test per
 * missing peer fails with that message, so the run cannot pass by skipping.
 */
export function peerSkip(...names: PeerName[]): false | string {
  const missing = names.filter((n) => peerPath(n) === undefined);
  if (missing.length === 0) return false;
  if (inCI()) {
    for (const n of missing) {
      if (reported.has(n)) continue;
      reported.add(n);
      test(`peer ${n} is installed (required under CI)`, () => {
        throw new Error(missingMessage(n));
      });
    }
  }
  return missing.map(missingMessage).join('; ');
}

/** The peer's path, for a test body whose `skip` came from peerSkip (throws if it is missing). */
export function peer(name: PeerName): string {
  const p = peerPath(name);
  if (p === undefined) throw new Error(missingMessage(name));
  return p;
}
