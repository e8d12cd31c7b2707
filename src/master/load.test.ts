import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { specHostRunner } from '../cli/node-master.js';
import { SiteConfig } from '../core/config.js';
import { memoryLogger } from '../core/logger.js';
import { builtinCatalog } from '../flow/builtins.js';
import { SpecHost } from '../node/spec-host.js';
import { Master } from './master.js';
import { NodeAgent } from './node-agent.js';
import { MasterServer } from './server.js';
import { FileStore } from './store.js';

const NODES = 24;

interface RawReply {
  status: number;
  retry: string | undefined;
  body: unknown;
}

const head = (length: number) =>
  `POST /heartbeat HTTP/1.1\r\nhost: m\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\nconnection: close\r\n\r\n`;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** The whole reply on a connection the server closes after it. */
function reply(s: Socket): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    s.on('error', reject);
    s.on('close', () => {
      const [h = '', rest = ''] = text.split('\r\n\r\n');
      resolve({
        status: Number(h.split(' ')[1]),
        retry: /^retry-after: (.*)$/im.exec(h)?.[1]?.trim(),
        body: JSON.parse(rest),
      });
    });
  });
}

async function post(port: number, physical: string): Promise<RawReply> {
  const body = JSON.stringify({ physical, host: 'h', periodMs: 1000, nodes: [] });
  const s = await open(port);
  const r = reply(s);
  s.write(head(body.length) + body);
  return r;
}

test('a master over its heartbeat limit answers 503 with Retry-After, and every node still becomes ACTIVE', async (t) => {
  const dir = tempDir('master-load', t);
  const logger = memoryLogger();
  // The durable store: a node's first heartbeat writes a file, so heartbeats overlap as under load.
  const master = new Master({ store: new FileStore(join(dir, 'store')), logger });
  const server = await MasterServer.start(master, {
    bind: '127.0.0.1',
    heartbeatPort: 0,
    adminPort: 0,
    maxHeartbeats: 1,
    retryAfterMs: 40,
    logger,
  });
  t.after(() => server.close());

  // A peer that sent its headers but not yet its body holds the one place: every other heartbeat is
  // told when to come back, until that one is answered.
  const body = JSON.stringify({ physical: 'slow', host: 'h', periodMs: 1000, nodes: [] });
  const holdThePlace = async () => {
    const s = await open(server.heartbeat.port);
    s.write(head(body.length));
    return s;
  };
  let slow = await holdThePlace();
  let refused: RawReply | undefined;
  await waitFor(async () => {
    // A probe parsed before the slow one's headers takes the place and the slow one is refused (on a
    // loaded machine the probe's save can take seconds): the slow one then holds the place again.
    if (slow.closed || slow.destroyed) slow = await holdThePlace();
    const r = await post(server.heartbeat.port, 'probe');
    if (r.status === 503) refused = r;
    return refused !== undefined;
  }, 'a heartbeat refused while the slow one is in hand');
  assert.equal(refused!.retry, '1', 'HTTP Retry-After in whole seconds');
  assert.deepEqual(refused!.body, { error: 'the master is busy', retryAfterMs: 40 });

  const input = join(dir, 'in.log');
  writeFileSync(input, '');
  const agents: NodeAgent[] = [];
  for (let i = 0; i < NODES; i++) {
    const host = new SpecHost({
      catalog: builtinCatalog(),
      context: { config: SiteConfig.defaults(), nodeName: `n${i}`, allowExec: false, logger },
      logger,
    });
    const agent = new NodeAgent({
      physical: `n${i}`,
      host: 'localhost',
      masters: [{ host: '127.0.0.1', port: server.heartbeat.port }],
      periodMs: 50,
      logger,
      runner: specHostRunner(host, SiteConfig.defaults()),
    });
    agents.push(agent);
  }
  t.after(() => Promise.all(agents.map((a) => a.stop())));
  for (const a of agents) a.start();
  await waitFor(
    () =>
      logger.lines.filter((l) => /is busy: come back in 40 ms; heartbeats wait as told/.test(l)).length ===
      NODES,
    'every node told to come back',
  );
  const slowReply = reply(slow);
  slow.write(body);
  assert.equal((await slowReply).status, 200, 'the heartbeat in hand is answered');
  const names = agents.map((_, i) => `n${i}`);
  const states = () => names.map((n) => master.nodeStatus().find((s) => s.name === n)?.state);
  await waitFor(
    () => states().every((s) => s === 'HELLO'),
    () => `all HELLO: ${states()}`,
    30_000,
  );
  for (const n of names) await master.submit('config', [n, `tail("${input}")`, 'null']);
  await waitFor(
    () => states().every((s) => s === 'ACTIVE'),
    () => `all ACTIVE: ${states()}`,
    60_000,
  );

  const lines = logger.lines.join('\n');
  assert.match(
    lines,
    /master heartbeat port: 1 requests in hand \(the limit\); telling peers to come back in 40 ms/,
  );
  assert.match(lines, /the master answered a heartbeat again after being busy/);
  assert.doesNotMatch(lines, /heartbeats to the master .* failing/, 'a busy master is not an outage');
});
