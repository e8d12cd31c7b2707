// The path attacks of issue 13 on loopback, against the collector tier as a user deploys it: events
// whose host or attributes climb out of the output directory, a host with a NUL byte sent over Avro,
// and a syslog datagram naming a hostile host. Every file must land under <tmp>/data, every node stay
// ACTIVE, and the next ordinary event reach the disk.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, test } from 'node:test';
import { Event } from '../../src/core/event.js';
import { memoryLogger } from '../../src/core/logger.js';
import type { EventSink } from '../../src/core/pipeline.js';
import { freePort } from '../../src/core/ports.js';
import { Agent } from '../../src/flow/agent/agent.js';
import { builtinAgentCatalog } from '../../src/flow/agent/catalog.js';
import { builtinCatalog } from '../../src/flow/builtins.js';
import { compileSpec } from '../../src/flow/compile.js';
import type { CountedSink } from '../../src/flow/counted.js';
import { LogicalNode } from '../../src/flow/logical-node.js';
import { FlumeRpcClient } from '../../src/rpc/avro/flume-protocol.js';
import { Status } from '../../src/rpc/avro/protocols.js';
import { parseSpec } from '../../src/spec/parser.js';
import type { BucketedWriter } from '../../src/storage/bucketed-writer.js';
import { testContext } from '../mocks/sinks.js';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

/** Names the attacks would have created outside <tmp>/data before confinement. */
const ESCAPED_NAMES = ['escape1', 'escape4', 'probe', 'sysesc'];

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((p) => {
      // A temporary file listed a moment ago may have been renamed since (its roll completed).
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
}

/** No file outside data under tmp, and none of the escaped names beside tmp or at the root. */
function assertConfined(tmp: string, data: string): void {
  const outside = walk(tmp).filter((p) => relative(data, p).startsWith('..'));
  assert.deepEqual(outside, [], 'files outside the output directory');
  for (const dir of [dirname(tmp), '/']) {
    const leaked = readdirSync(dir).filter((n) => ESCAPED_NAMES.some((x) => n.startsWith(x)));
    assert.deepEqual(leaked, [], `escaped names in ${dir}`);
  }
}

// 30 s: three nodes, their files and the test share a loaded machine; only a hang should time out.
async function until(what: string, f: () => boolean, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !f(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Completed files (not hidden temporaries) under dir whose bytes contain `text`. */
const delivered = (dir: string, text: string) =>
  walk(dir).some((p) => !p.endsWith('.tmp') && readFileSync(p, 'utf8').includes(text));

function startNode(spec: string): { node: LogicalNode; sink: () => BucketedWriter } {
  const [compiled] = compileSpec(parseSpec(spec, '<test>'), {
    catalog: builtinCatalog(),
    context: testContext({ nodeName: 'n' }),
  });
  let sink: EventSink | undefined;
  const node = new LogicalNode(
    { ...compiled!, makeSink: () => (sink = compiled!.makeSink()) },
    memoryLogger(),
  );
  void node.start();
  cleanup.push(() => node.stop());
  // The compiled tree wraps each catalog sink in a counter for the node's summaries.
  return { node, sink: () => ((sink as CountedSink).inner ?? sink) as BucketedWriter };
}

function sender(port: number): FlumeRpcClient {
  const c = new FlumeRpcClient({ host: '127.0.0.1', port, requestTimeoutMs: 5000 });
  cleanup.push(() => c.close());
  return c;
}

/** Avro sources answer only once listening; the client retries the connection until then. */
async function send(c: FlumeRpcClient, events: Event[]): Promise<void> {
  for (const end = Date.now() + 30_000; ; ) {
    try {
      assert.equal(await c.appendBatch(events), Status.OK);
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test('collectorSource and syslogUdp into collectorSink: hostile hosts and attributes stay under data/', {
  timeout: 180_000,
}, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-confine-'));
  cleanup.push(() => rmSync(tmp, { recursive: true, force: true }));
  const data = join(tmp, 'data');
  const [hostPort, appPort, udpPort] = [await freePort(), await freePort(), await freePort()];
  const hosts = startNode(
    `hosts : collectorSource(${hostPort}, bind="127.0.0.1") | collectorSink("file://${data}/%{host}/", "%{host}-", 100) ;`,
  );
  const apps = startNode(
    `apps : collectorSource(${appPort}, bind="127.0.0.1") | collectorSink("file://${data}/apps/%{app}/", "%{app}-", 100) ;`,
  );
  const sys = startNode(
    `sys : syslogUdp(${udpPort}, bind="127.0.0.1") | collectorSink("file://${data}/%{host}/", "%{host}-", 100) ;`,
  );

  const hostClient = sender(hostPort);
  await send(hostClient, [
    Event.of('attack escape1', { host: '../../escape1' }),
    Event.of('attack nul', { host: 'a\u0000b' }),
    Event.of('attack long', { host: 'L'.repeat(300) }),
  ]);
  const appClient = sender(appPort);
  await send(appClient, [Event.of('attack escape4', { host: 'h', attrs: { app: 'x/../../../../escape4' } })]);
  await until('syslogUdp to listen', () => sys.node.state === 'ACTIVE');
  const udp = createSocket('udp4');
  cleanup.push(() => {
    udp.close();
  });
  const datagram = (host: string, msg: string) =>
    new Promise<void>((resolve, reject) =>
      udp.send(`<13>Nov 30 08:00:00 ${host} app: ${msg}`, udpPort, '127.0.0.1', (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  await datagram('../../../probe/evidence/sysesc', 'attack sysesc');

  // The attacks land, confined, in completed files.
  await until('the attacks on disk', () =>
    ['attack escape1', 'attack nul', 'attack long', 'attack escape4', 'attack sysesc'].every((t) =>
      delivered(data, t),
    ),
  );
  const dirs = readdirSync(data).sort();
  assert.ok(dirs.includes('%2E.%2F..%2Fescape1'), dirs.join(' '));
  assert.ok(dirs.includes('a%00b'), dirs.join(' '));
  assert.ok(
    dirs.some((d) => /^L{91}~[0-9a-f]{8}$/.test(d)),
    dirs.join(' '),
  );
  assert.ok(dirs.includes('%2E.%2F..%2F..%2Fprobe%2Fevidence%2Fsysesc'), dirs.join(' '));
  assert.deepEqual(readdirSync(join(data, 'apps')), ['x%2F..%2F..%2F..%2F..%2Fescape4']);

  // Every node is alive: the next ordinary event of each reaches the disk.
  await send(hostClient, [Event.of('normal after attacks', { host: 'web1' })]);
  await send(appClient, [Event.of('normal app event', { host: 'web1', attrs: { app: 'nginx' } })]);
  await datagram('okhost', 'normal syslog event');
  await until('the normal events on disk', () =>
    ['normal after attacks', 'normal app event', 'normal syslog event'].every((t) => delivered(data, t)),
  );
  assert.deepEqual([hosts.node.state, apps.node.state, sys.node.state], ['ACTIVE', 'ACTIVE', 'ACTIVE']);
  assert.equal(hosts.sink().stats.pathsConfined, 3);
  assert.equal(apps.sink().stats.pathsConfined, 1);
  assert.equal(sys.sink().stats.pathsConfined, 1);
  assertConfined(tmp, data);
});

test('NG hdfs sink with hdfs.path=file:///<tmp>/%{host}: NUL and .. hosts confined, no "opened twice", next event written', {
  timeout: 180_000,
}, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-confine-hdfs-'));
  cleanup.push(() => rmSync(tmp, { recursive: true, force: true }));
  const data = join(tmp, 'data');
  const port = await freePort();
  const ctx = testContext({ nodeName: 'a1' });
  const agent = Agent.fromText(
    [
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sinks = k1',
      'a1.sources.r1.type = avro',
      'a1.sources.r1.bind = 127.0.0.1',
      `a1.sources.r1.port = ${port}`,
      'a1.sources.r1.channels = c1',
      'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = hdfs',
      'a1.sinks.k1.channel = c1',
      `a1.sinks.k1.hdfs.path = file://${data}/%{host}`,
      'a1.sinks.k1.hdfs.filePrefix = %{host}-',
      'a1.sinks.k1.hdfs.fileType = DataStream',
      'a1.sinks.k1.hdfs.rollCount = 1',
    ].join('\n'),
    'a1.conf',
    'a1',
    builtinAgentCatalog(),
    ctx,
  );
  await agent.start();
  cleanup.push(() => agent.stop());
  const c = sender(port);
  await send(c, [
    Event.of('hdfs nul', { host: 'a\u0000b' }),
    Event.of('hdfs escape1', { host: '../../escape1' }),
    Event.of('hdfs probe', { host: '../../../probe/evidence/sysesc' }),
  ]);
  await send(c, [Event.of('hdfs normal', { host: 'web1' })]);
  await until('every event on disk', () =>
    ['hdfs nul', 'hdfs escape1', 'hdfs probe', 'hdfs normal'].every((t) => delivered(data, t)),
  );
  assert.ok(existsSync(join(data, 'web1')));
  assert.ok(existsSync(join(data, 'a%00b')));
  const report = agent.totals();
  assert.deepEqual(report.sinks, [{ name: 'k1', delivered: 4, dropped: 0, retried: 0, failures: 0 }]);
  assert.equal(report.sources[0]!.state, 'ACTIVE');
  assert.deepEqual(
    ctx.logger.lines.filter((l) => /opened twice|null bytes/.test(l)),
    [],
  );
  assertConfined(tmp, data);
});
