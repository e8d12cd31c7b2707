// Both directions between the two front ends over Avro RPC, in one process: an OG logical node's
// rpcSink feeding an agent's NG avro source, and an agent's NG avro sink feeding an OG collectorSource
// node; plain, with deflate, and with TLS (a throwaway self-signed certificate).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { memoryLogger } from '../../src/core/logger.js';
import { freePort } from '../../src/core/ports.js';
import { Agent } from '../../src/flow/agent/agent.js';
import { builtinAgentCatalog } from '../../src/flow/agent/catalog.js';
import { builtinCatalog } from '../../src/flow/builtins.js';
import { compileSpec } from '../../src/flow/compile.js';
import { LogicalNode } from '../../src/flow/logical-node.js';
import { parseSpec } from '../../src/spec/parser.js';
import { selfSigned } from '../fixtures/tls.js';
import { testContext } from '../mocks/sinks.js';
import { peerSkip } from '../support/peers.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const cert = selfSigned();
const ctx = () => testContext({ nodeName: 'n' });

function ogNode(spec: string): LogicalNode {
  const [compiled] = compileSpec(parseSpec(spec, '<test>'), { catalog: builtinCatalog(), context: ctx() });
  return new LogicalNode(compiled!, memoryLogger());
}

function linesIn(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter((l) => l !== '');
}

type Mode = 'plain' | 'deflate' | 'tls';
const modes: Mode[] = ['plain', 'deflate', 'tls'];

for (const mode of modes) {
  test(`OG rpcSink -> agent NG avro source -> memory -> file_roll (${mode}): every line once`, {
    skip: mode === 'tls' && peerSkip('openssl'),
    // Above the 30 s of each wait inside: a loaded machine must fail on a wait, with its message.
    timeout: 120_000,
  }, async (t) => {
    const dir = tempDir('ng-avro');
    const input = path.join(dir, 'in.txt');
    const total = 2000;
    fs.writeFileSync(input, Array.from({ length: total }, (_, i) => `line ${i}\n`).join(''));
    const out = path.join(dir, 'out');
    let bundle = '';
    if (cert) {
      bundle = path.join(cert.dir, 'bundle.pem');
      fs.writeFileSync(bundle, Buffer.concat([cert.key, cert.cert]));
    }
    const port = await freePort();
    const agent = Agent.fromText(
      [
        'a1.sources = r1',
        'a1.channels = c1',
        'a1.sinks = k1',
        'a1.sources.r1.type = avro',
        'a1.sources.r1.bind = 127.0.0.1',
        `a1.sources.r1.port = ${port}`,
        'a1.sources.r1.channels = c1',
        'a1.sources.r1.ipFilter = true',
        'a1.sources.r1.ipFilterRules = allow:ip:127.*,allow:name:localhost,deny:ip:*',
        ...(mode === 'deflate' ? ['a1.sources.r1.compression-type = deflate'] : []),
        ...(mode === 'tls' ? ['a1.sources.r1.ssl = true', `a1.sources.r1.keystore = ${bundle}`] : []),
        'a1.channels.c1.type = memory',
        'a1.channels.c1.capacity = 500',
        'a1.channels.c1.transactionCapacity = 100',
        'a1.sinks.k1.type = file_roll',
        `a1.sinks.k1.sink.directory = ${out}`,
        'a1.sinks.k1.sink.rollInterval = 0',
        'a1.sinks.k1.channel = c1',
      ].join('\n'),
      'a1.conf',
      'a1',
      builtinAgentCatalog(),
      ctx(),
    );
    await agent.start();
    // Stopped even when an assertion fails: a running agent would keep the test file alive.
    t.after(() => agent.stop());
    const opts =
      mode === 'deflate'
        ? ', compression="deflate"'
        : mode === 'tls'
          ? `, ssl=true, caFile="${cert!.certFile}"`
          : '';
    const node = ogNode(`sender : text("${input}") | rpcSink("127.0.0.1", ${port}, batchSize=100${opts}) ;`);
    await node.start();
    assert.equal(node.state, 'IDLE', node.error?.oneLine());
    assert.equal(node.events, total);
    // The sender finished only after every batch was answered OK, i.e. committed to the channel.
    await waitFor(
      () => agent.channel('c1')!.size === 0 && fs.existsSync(out) && linesIn(out).length >= total,
      'every line in the rolled files',
    );
    await agent.stop();
    const lines = linesIn(out);
    assert.equal(lines.length, total);
    assert.deepEqual(
      lines,
      Array.from({ length: total }, (_, i) => `line ${i}`),
    );
  });

  test(`agent seq -> NG avro sink (${mode}) -> OG collectorSource node -> text file: every event once`, {
    skip: mode === 'tls' && peerSkip('openssl'),
    // Above the 30 s of each wait inside: a loaded machine must fail on a wait, with its message.
    timeout: 120_000,
  }, async (t) => {
    const dir = tempDir('ng-avro');
    const outFile = path.join(dir, 'out.txt');
    const port = await freePort();
    const opts =
      mode === 'deflate'
        ? ', compression="deflate"'
        : mode === 'tls'
          ? `, keyFile="${cert!.keyFile}", certFile="${cert!.certFile}"`
          : '';
    const node = ogNode(
      `collector : collectorSource(${port}, bind="127.0.0.1"${opts}) | text("${outFile}") ;`,
    );
    const running = node.start();
    t.after(() => node.stop());
    await waitFor(() => node.state === 'ACTIVE', 'the collector node ACTIVE');
    const total = 3000;
    const agent = Agent.fromText(
      [
        'a1.sources = r1',
        'a1.channels = c1',
        'a1.sinks = k1',
        'a1.sources.r1.type = seq',
        `a1.sources.r1.totalEvents = ${total}`,
        'a1.sources.r1.channels = c1',
        'a1.channels.c1.type = memory',
        'a1.channels.c1.capacity = 1000',
        'a1.channels.c1.transactionCapacity = 200',
        'a1.sinks.k1.type = avro',
        'a1.sinks.k1.hostname = 127.0.0.1',
        `a1.sinks.k1.port = ${port}`,
        'a1.sinks.k1.batch-size = 200',
        'a1.sinks.k1.reset-connection-interval = 1',
        ...(mode === 'deflate' ? ['a1.sinks.k1.compression-type = deflate'] : []),
        ...(mode === 'tls'
          ? [
              'a1.sinks.k1.ssl = true',
              `a1.sinks.k1.truststore = ${cert!.certFile}`,
              'a1.sinks.k1.exclude-protocols = SSLv3 TLSv1 TLSv1.1',
              'a1.sinks.k1.include-cipher-suites = TLS_AES_128_GCM_SHA256 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
            ]
          : []),
        'a1.sinks.k1.channel = c1',
      ].join('\n'),
      'a1.conf',
      'a1',
      builtinAgentCatalog(),
      ctx(),
    );
    await agent.start();
    t.after(() => agent.stop());
    await waitFor(() => node.events >= total && agent.channel('c1')!.size === 0, 'every event through');
    await agent.stop();
    await node.stop();
    await running;
    const lines = fs
      .readFileSync(outFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    assert.equal(lines.length, total);
    assert.deepEqual(
      lines.map(Number),
      Array.from({ length: total }, (_, i) => i),
    );
    assert.equal(agent.totals().sinks[0]!.failures, 0);
  });
}

test('ipFilterRules deny: the connection is dropped and nothing reaches the channel', {
  timeout: 120_000,
}, async (t) => {
  const port = await freePort();
  const agent = Agent.fromText(
    [
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sources.r1.type = avro',
      'a1.sources.r1.bind = 127.0.0.1',
      `a1.sources.r1.port = ${port}`,
      'a1.sources.r1.channels = c1',
      'a1.sources.r1.ipFilter = true',
      'a1.sources.r1.ipFilterRules = deny:name:localhost,allow:ip:*',
      'a1.channels.c1.type = memory',
    ].join('\n'),
    'a1.conf',
    'a1',
    builtinAgentCatalog(),
    ctx(),
  );
  await agent.start();
  t.after(() => agent.stop());
  const node = ogNode(`sender : asciisynth(10, 10) | rpcSink("127.0.0.1", ${port}, connectTimeout=2000) ;`);
  await node.start();
  // A refused batch costs that batch only: the node drains, counting every event as failed.
  assert.equal(node.state, 'IDLE');
  assert.equal(node.totals().failed, 10);
  assert.equal(agent.channel('c1')!.size, 0);
  await agent.stop();
});
