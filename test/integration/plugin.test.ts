// Plugins through the site property flume.plugin.classes: the example plugin's decorator runs in a
// spec (the real CLI) and its interceptor in an agent file; bad plugins fail at start-up naming the module.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { withPlugins } from '../../src/catalog/plugins.js';
import type { SinkDef } from '../../src/catalog/types.js';
import { SiteConfig } from '../../src/core/config.js';
import { SluiceError } from '../../src/core/errors.js';
import { Agent } from '../../src/flow/agent/agent.js';
import { builtinCatalog } from '../../src/flow/builtins.js';
import { CollectingSink, testContext } from '../mocks/sinks.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const BIN = resolve('bin', 'sluice.js');
const PLUGIN = resolve('examples', 'plugin', 'index.js');

/** A conf dir whose flume-site.xml names `modules` in flume.plugin.classes. */
function confWith(dir: string, modules: string): string {
  const conf = join(dir, `conf-${Math.random().toString(36).slice(2)}`);
  spawnSync('mkdir', ['-p', conf]);
  writeFileSync(
    join(conf, 'flume-site.xml'),
    `<?xml version="1.0"?>\n<configuration>\n  <property>\n    <name>flume.plugin.classes</name>\n    <value>${modules}</value>\n  </property>\n</configuration>\n`,
  );
  return conf;
}

function sluice(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the example plugin loaded through flume.plugin.classes runs in a spec: reverse decorates a sink', (t) => {
  const dir = tempDir('plugin', t);
  const input = join(dir, 'in.txt');
  const output = join(dir, 'out.txt');
  writeFileSync(input, 'abc\nhello\n12345\n');
  const conf = confWith(dir, PLUGIN);
  const spec = `n : text("${input}") | { reverse(keep=1) => text("${output}", "raw") } ;`;
  const r = sluice(['node', '-1', '--conf', conf, '-e', spec], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(output, 'utf8'), 'acb\nholle\n15432\n');
  // Without the plugin the same spec names an unknown decorator.
  const without = sluice(['node', '-1', '-e', spec], dir);
  assert.notEqual(without.status, 0);
  assert.match(without.stderr, /unknown decorator "reverse"/);
});

test('the example plugin runs in an agent file: the upper interceptor changes every event', async (t) => {
  const dir = tempDir('plugin-agent', t);
  const input = join(dir, 'in.txt');
  writeFileSync(input, 'abc\nhello\n');
  const collected = new CollectingSink();
  const collect: SinkDef = {
    kind: 'sink',
    name: 'collect',
    docs: 'test',
    params: [],
    build: () => collected,
  };
  const catalog = await withPlugins(builtinCatalog().with(collect), SiteConfig.load(confWith(dir, PLUGIN)));
  const text = [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    'a1.sources.r1.type = text',
    `a1.sources.r1.filename = ${input}`,
    'a1.sources.r1.channels = c1',
    'a1.sources.r1.interceptors = u',
    'a1.sources.r1.interceptors.u.type = upper',
    'a1.sources.r1.interceptors.u.header = length',
    'a1.channels.c1.type = memory',
    'a1.sinks.k1.type = collect',
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  const agent = Agent.fromText(text, 'a.conf', 'a1', catalog, testContext({ nodeName: 'a1' }));
  await agent.start();
  await waitFor(() => collected.count >= 2, 'both events collected');
  await agent.stop();
  assert.deepEqual(collected.bodies(), ['ABC', 'HELLO']);
  assert.deepEqual(
    collected.events.map((e) => e.getAttrString('length')),
    ['3', '5'],
  );
});

test("the example plugin's format serves a spec's text sink and an agent's file_roll serializer", async (t) => {
  const dir = tempDir('plugin-format', t);
  const input = join(dir, 'in.txt');
  writeFileSync(input, 'abc\nhello\n');
  const conf = confWith(dir, PLUGIN);
  const output = join(dir, 'out.tsv');
  const r = sluice(
    ['node', '-1', '--conf', conf, '-e', `n : text("${input}") | text("${output}", "tsv") ;`],
    dir,
  );
  assert.equal(r.status, 0, r.stderr);
  const fields = readFileSync(output, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => l.split('\t'));
  assert.deepEqual(
    fields.map((f) => f[2]),
    ['abc', 'hello'],
  );
  assert.ok(
    fields.every((f) => /^\d+$/.test(f[0]!)),
    'the timestamp comes first',
  );

  const catalog = await withPlugins(builtinCatalog(), SiteConfig.load(conf));
  const rolled = join(dir, 'rolled');
  const text = [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    'a1.sources.r1.type = text',
    `a1.sources.r1.filename = ${input}`,
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    'a1.sinks.k1.type = file_roll',
    `a1.sinks.k1.sink.directory = ${rolled}`,
    'a1.sinks.k1.sink.rollInterval = 0',
    // Serializer names match without case in agent files, as Flume NG's TEXT and text do.
    'a1.sinks.k1.sink.serializer = TSV',
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  const agent = Agent.fromText(text, 'a.conf', 'a1', catalog, testContext({ nodeName: 'a1' }));
  await agent.start();
  await waitFor(() => agent.totals().sinks[0]?.delivered === 2, 'both events rolled');
  await agent.stop();
  const files = readdirSync(rolled);
  assert.equal(files.length, 1);
  assert.match(readFileSync(join(rolled, files[0]!), 'utf8'), /^\d+\t[^\t]+\tabc\n\d+\t[^\t]+\thello\n$/);
  // Without the plugin, the name is unknown and the error says which formats exist.
  assert.throws(
    () => Agent.fromText(text, 'a.conf', 'a1', builtinCatalog(), testContext({ nodeName: 'a1' })),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.place?.file === 'a.conf' &&
      e.place.line === 11 &&
      /unknown output format "TSV"; known formats: raw/.test(e.message),
  );
});

test('bad plugins fail at start-up with an error naming the module', async (t) => {
  const dir = tempDir('plugin-bad', t);
  const notDef = join(dir, 'not-a-def.mjs');
  writeFileSync(notDef, "export const reverse = { kind: 'decorator', name: 'reverse2' };\n");
  const clash = join(dir, 'clash.mjs');
  writeFileSync(
    clash,
    "export const gzip = { kind: 'decorator', name: 'gzip', docs: '', params: [], build: (a, c, child) => child };\n",
  );
  const load = (modules: string) =>
    withPlugins(builtinCatalog(), SiteConfig.load(confWith(dir, modules)), dir);
  const rejects = (modules: string, re: RegExp) =>
    assert.rejects(load(modules), (e: unknown) => {
      assert.ok(e instanceof SluiceError && e.code === 'SLUICE_CONFIG', String(e));
      assert.match(e.message, re);
      return true;
    });
  await rejects('./missing-plugin.mjs', /^plugin "\.\/missing-plugin\.mjs": cannot find the module/);
  await rejects('sluice-no-such-package', /^plugin "sluice-no-such-package": cannot find the module/);
  await rejects(notDef, /plugin ".*not-a-def\.mjs": export "reverse" is not a component definition/);
  await rejects(clash, /plugin ".*clash\.mjs": its decorator "gzip" is already defined/);
  // Loaded twice, the second copy clashes with the first.
  await rejects(`${PLUGIN},${PLUGIN}`, /its decorator "reverse" is already defined/);
  // The CLI reports it in one line, with no stack trace.
  const r = sluice(
    ['validate', '--conf', confWith(dir, './missing-plugin.mjs'), '-e', 'n : null | null ;'],
    dir,
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /plugin "\.\/missing-plugin\.mjs": cannot find the module/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
