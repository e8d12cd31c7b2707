import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SiteConfig } from '../core/config.js';
import { parseSpec } from '../spec/parser.js';
import { printNode, printSink } from '../spec/printer.js';
import { TRANSLATIONS, translateCall, translateSpec } from './translate.js';

const config = SiteConfig.defaults().with({
  'flume.collector.event.host': 'col',
  'flume.collector.port': '4000',
});

function rewrite(sink: string, all = false): string | undefined {
  const spec = parseSpec(`n : null | ${sink} ;`, 'f.spec');
  const node = spec.nodes[0]!;
  if (node.sink.type !== 'call') throw new Error('not a call');
  const t = translateCall(node.sink.call, config, { all, file: 'f.spec' });
  return t && printSink(t);
}

test('the table holds the seven agent sinks once each; DFO rewrites run, the others are shown', () => {
  assert.deepEqual(
    TRANSLATIONS.map((t) => [t.sink, t.mode, t.applied]),
    [
      ['agentSink', 'E2E', false],
      ['agentE2ESink', 'E2E', false],
      ['agentDFOSink', 'DFO', true],
      ['agentBESink', 'BE', false],
      ['agentE2EChain', 'E2E', false],
      ['agentDFOChain', 'DFO', true],
      ['agentBEChain', 'BE', false],
    ],
  );
});

test('agentDFOSink is the guide translation; missing host and port come from the site', () => {
  assert.equal(
    rewrite('agentDFOSink("c1", 35853)'),
    'let primary := { lazyOpen => stubbornAppend => rpcSink("c1", 35853) } in < primary ? { diskFailover => insistentOpen => primary } >',
  );
  assert.match(rewrite('agentDFOSink')!, /rpcSink\("col", 4000\)/);
  assert.match(rewrite('agentDFOSink("h:77")')!, /rpcSink\("h", 77\)/);
  assert.match(rewrite('agentDFOSink(host="h", port=9)')!, /rpcSink\("h", 9\)/);
});

test('keyword arguments go to every rpcSink of the rewrite', () => {
  const r = rewrite('agentDFOChain("a:1", "[::1]:2", batchSize=50)')!;
  assert.equal(
    r,
    'let primary := < { lazyOpen => stubbornAppend => rpcSink("a", 1, batchSize=50) } ? { lazyOpen => stubbornAppend => rpcSink("::1", 2, batchSize=50) } > in < primary ? { diskFailover => insistentOpen => primary } >',
  );
});

test('sinks that run as themselves are rewritten only for display', () => {
  assert.equal(rewrite('agentBESink("x")'), undefined);
  assert.equal(rewrite('agentBESink("x")', true), '{ lazyOpen => stubbornAppend => rpcSink("x", 4000) }');
  assert.equal(
    rewrite('agentE2EChain("a", "b")', true),
    '{ ackedWriteAhead => < { lazyOpen => stubbornAppend => rpcSink("a", 4000) } ? { lazyOpen => stubbornAppend => rpcSink("b", 4000) } > }',
  );
  assert.equal(rewrite('console'), undefined);
});

test('bad arguments are errors at the place of the sink the user wrote', () => {
  assert.throws(() => rewrite('agentDFOChain()'), {
    code: 'SLUICE_SPEC_BAD_ARGUMENT',
    message: /at least one collector/,
  });
  assert.throws(
    () => rewrite('agentDFOSink(12)'),
    (e: Error & { place?: { line: number; column: number } }) => {
      assert.match(e.message, /host must be a string/);
      assert.deepEqual([e.place?.line, e.place?.column], [1, 12]);
      return true;
    },
  );
  assert.throws(() => rewrite('agentDFOChain("a:b:c")'), /is not host or host:port/);
  assert.throws(() => rewrite('agentDFOSink("h", 99999)'), { code: 'SLUICE_SPEC_BAD_ARGUMENT' });
});

test('translateSpec rewrites inside fanouts, decorators, failovers and lets, and keeps the rest', () => {
  const spec = parseSpec('n : null | [ console, { value("a", "b") => < agentDFOSink("h") ? null > } ] ;');
  const out = printNode(translateSpec(spec, config).nodes[0]!);
  assert.match(
    out,
    /^n : null \| \[ console, \{ value\("a", "b"\) => < let primary := .* > \? null > \} \];$/,
  );
  // What is printed reads back as the same tree.
  assert.equal(printNode(parseSpec(out).nodes[0]!), out);
});
