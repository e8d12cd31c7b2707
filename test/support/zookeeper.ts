/**
 * A real ZooKeeper for the tests: Debian's `zookeeper` package (3.8) run with the JRE, as one standalone
 * server or a three-server ensemble, on free loopback ports with its data in a temporary directory.
 * `stop()` kills every server and removes the directories; it also runs when the test ends (given its
 * context) and when the test process exits, so nothing is left behind.
 *
 *   test('...', { skip: peerSkip('zookeeper') }, async (t) => {
 *     const zk = await startZooKeeper(t, 3);
 *     ... zk.connectString ('127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3') ...
 *   });
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../src/core/ports.js';
import { peer } from './peers.js';
import { tempDir } from './tmp.js';
import { accepts, waitFor } from './wait.js';

export interface ZooKeeperServer {
  id: number;
  clientPort: number;
  dir: string;
  process: ChildProcess | undefined;
}

export interface ZooKeeperEnsemble {
  servers: ZooKeeperServer[];
  /** `127.0.0.1:port,...`: what a client (or flume.master.zk.servers) is given. */
  connectString: string;
  /** SIGKILLs one server (it stays down until `restart`). */
  kill(id: number): Promise<void>;
  stop(): Promise<void>;
  /** The server's log so far, for a failure message. */
  log(id: number): string;
}

const running = new Set<ChildProcess>();
let hooked = false;

function classpath(): string {
  // zookeeper.jar's manifest names its dependencies; a logging binding is added so the server logs
  // to its stderr (a file in its directory) instead of warning that it has none.
  return [peer('zookeeper'), '/usr/share/java/slf4j-simple.jar'].join(':');
}

function launch(s: ZooKeeperServer): void {
  const out = createWriteStream(join(s.dir, 'server.log'));
  const child = spawn(
    'java',
    [
      '-Xmx128m',
      '-Dzookeeper.admin.enableServer=false',
      '-Dzookeeper.jmx.log4j.disable=true',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      classpath(),
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      join(s.dir, 'zoo.cfg'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  running.add(child);
  child.once('exit', () => running.delete(child));
  s.process = child;
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
}

async function killed(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
}

/** ZooKeeper's four-letter `srvr`: the server's mode once it serves (standalone, leader, follower). */
async function servingMode(port: number): Promise<string | undefined> {
  if (!(await accepts(port))) return undefined;
  return new Promise((resolve) => {
    let text = '';
    const c = connect(port, '127.0.0.1', () => c.end('srvr'));
    c.setTimeout(2_000, () => c.destroy());
    c.on('data', (d) => {
      text += d.toString();
    });
    c.on('close', () => resolve(/^Mode: (\w+)/m.exec(text)?.[1]));
    c.on('error', () => resolve(undefined));
  });
}

/**
 * Starts `count` servers (1: standalone; 3: an ensemble) and resolves once every one serves (an
 * ensemble has elected its leader), within `timeoutMs`.
 */
export async function startZooKeeper(
  t: { after(fn: () => Promise<void> | void): void } | undefined,
  count = 1,
  timeoutMs = 60_000,
): Promise<ZooKeeperEnsemble> {
  const root = tempDir('zookeeper');
  const servers: ZooKeeperServer[] = [];
  const quorum: string[] = [];
  for (let id = 1; id <= count; id++) {
    const dir = join(root, `server${id}`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    servers.push({ id, clientPort: await freePort(), dir, process: undefined });
    if (count > 1) quorum.push(`server.${id}=127.0.0.1:${await freePort()}:${await freePort()}`);
  }
  for (const s of servers) {
    const cfg = [
      'tickTime=500',
      'initLimit=20',
      'syncLimit=10',
      `dataDir=${join(s.dir, 'data')}`,
      `clientPort=${s.clientPort}`,
      'clientPortAddress=127.0.0.1',
      '4lw.commands.whitelist=srvr,ruok',
      'maxSessionTimeout=60000',
      ...quorum,
    ];
    writeFileSync(join(s.dir, 'zoo.cfg'), `${cfg.join('\n')}\n`);
    if (count > 1) writeFileSync(join(s.dir, 'data', 'myid'), `${s.id}\n`);
  }
  const ensemble: ZooKeeperEnsemble = {
    servers,
    connectString: servers.map((s) => `127.0.0.1:${s.clientPort}`).join(','),
    kill: async (id) => killed(servers[id - 1]?.process),
    stop: async () => {
      await Promise.all(servers.map((s) => killed(s.process)));
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    },
    log: (id) => {
      try {
        return readFileSync(join(servers[id - 1]!.dir, 'server.log'), 'utf8');
      } catch {
        return '';
      }
    },
  };
  t?.after(() => ensemble.stop());
  for (const s of servers) launch(s);
  try {
    await waitFor(
      async () => (await Promise.all(servers.map((s) => servingMode(s.clientPort)))).every((m) => m),
      () => `ZooKeeper (${count} server(s)) to serve; server 1 logged:\n${ensemble.log(1).slice(-2000)}`,
      timeoutMs,
      200,
    );
  } catch (e) {
    await ensemble.stop();
    throw e;
  }
  return ensemble;
}
