import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SiteConfig } from './config.js';
import { isSluiceError, type SluiceError } from './errors.js';
import { PROPERTIES } from './site-properties.js';
import { readConfigXml } from './site-xml.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-config-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const CONF_DIR = new URL('../../conf/', import.meta.url);

function confDir(files: Record<string, string>): string {
  const dir = join(root, `c${dirs++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function xml(props: Record<string, string>): string {
  const body = Object.entries(props)
    .map(([k, v]) => `  <property>\n    <name>${k}</name>\n    <value>${v}</value>\n  </property>`)
    .join('\n');
  return `<?xml version="1.0"?>\n<configuration>\n${body}\n</configuration>\n`;
}

function configError(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (e) {
    assert.ok(isSluiceError(e), String(e));
    return e;
  }
  assert.fail('expected a SluiceError');
}

test('documented defaults of every property the seed and the brief name', () => {
  const c = SiteConfig.defaults();
  const ints: Record<string, number> = {
    'flume.master.http.port': 35871,
    'flume.master.heartbeat.port': 35872,
    'flume.master.admin.port': 35873,
    'flume.node.http.port': 35862,
    'flume.collector.port': 35853,
    'flume.collector.event.port': 35861,
    'flume.event.max.size.bytes': 32768,
    'flume.agent.logdir.retransmit': 60000,
    'flume.agent.logdir.maxage': 10000,
    'flume.collector.roll.millis': 30000,
    'flume.master.zk.client.port': 3181,
    'flume.master.zk.server.quorum.port': 3182,
    'flume.master.zk.server.election.port': 3183,
    'flume.master.gossip.port': 57890,
    'flume.master.serverid': 0,
  };
  for (const [k, v] of Object.entries(ints)) assert.equal(c.getInt(k), v, k);
  assert.equal(c.getString('flume.agent.logdir'), '/tmp/flume/agent');
  assert.deepEqual(c.getList('flume.master.servers'), ['localhost']);
  assert.equal(c.getString('flume.collector.event.host'), 'localhost');
  assert.equal(c.getString('flume.collector.output.format'), 'avrojson');
  assert.equal(c.getBool('flume.collector.dfs.compress.gzip'), false);
  assert.equal(c.getString('flume.master.store'), 'zookeeper');
  assert.deepEqual(c.getList('flume.plugin.classes'), []);
  assert.equal(c.getString('sluice.time.zone'), 'UTC');
  assert.equal(c.source('flume.collector.port'), 'default');

  // Every flume.* name the seed's text mentions as a property is known.
  const seed = readFileSync('/work/shared/seeds/flume-user-guide.md', 'utf8');
  const named = new Set(
    [...seed.matchAll(/\bflume\.(?:agent|collector|event|master|node|plugin)\.[a-z.]*[a-z]/g)].map(
      (m) => m[0],
    ),
  );
  const known = new Set(PROPERTIES.map((p) => p.name));
  // The seed's prose spells the gossip port "gossipport" once next to an example using gossip.port.
  const missing = [...named].filter((n) => !known.has(n) && n !== 'flume.master.gossipport');
  assert.deepEqual(missing, []);
  for (const p of PROPERTIES) assert.ok(p.docs.length > 20, `${p.name} has docs`);
});

test('load: flume-site.xml overrides flume-conf.xml, values are trimmed, sources are kept', () => {
  const dir = confDir({
    'flume-conf.xml': xml({ 'flume.collector.port': '40000', 'flume.master.servers': 'a' }),
    'flume-site.xml': xml({ 'flume.collector.port': '  41000\n  ', 'flume.collector.event.host': ' c1 ' }),
  });
  const c = SiteConfig.load(dir);
  assert.equal(c.getInt('flume.collector.port'), 41000);
  assert.equal(c.getString('flume.collector.event.host'), 'c1');
  assert.deepEqual(c.getList('flume.master.servers'), ['a']);
  assert.equal(c.getInt('flume.master.http.port'), 35871);
  assert.equal(c.source('flume.collector.port'), `${join(dir, 'flume-site.xml')}:4`);
  assert.equal(c.source('flume.master.servers'), `${join(dir, 'flume-conf.xml')}:8`);
  assert.deepEqual(c.warnings, []);
});

test('load: either file may be missing; a missing directory is SLUICE_NOT_FOUND', () => {
  const onlySite = SiteConfig.load(
    confDir({ 'flume-site.xml': xml({ 'flume.master.servers': 'm1, m2 ,,m3' }) }),
  );
  assert.deepEqual(onlySite.getList('flume.master.servers'), ['m1', 'm2', 'm3']);
  assert.equal(SiteConfig.load(confDir({})).getInt('flume.collector.port'), 35853);
  const e = configError(() => SiteConfig.load(join(root, 'nope')));
  assert.equal(e.code, 'SLUICE_NOT_FOUND');
  assert.match(e.message, /nope/);
});

test('unknown properties and elements are warnings with a suggestion, not errors', () => {
  const dir = confDir({
    'flume-site.xml': `<configuration>
  <property><name>flume.colector.port</name><value>1</value></property>
  <property><name>hadoop.whatever</name><value>x</value><description>d</description></property>
  <property><name>flume.collector.port</name><value>2</value><color>red</color></property>
  <property><name>flume.collector.port</name><value>3</value></property>
  <junk/>
</configuration>`,
  });
  const c = SiteConfig.load(dir);
  const f = join(dir, 'flume-site.xml');
  assert.deepEqual(c.warnings, [
    `${f}:2: unknown property flume.colector.port (did you mean flume.collector.port?)`,
    `${f}:3: unknown property hadoop.whatever`,
    `${f}:4: ignoring <color> in <property>`,
    `${f}:5: flume.collector.port is set again (line 4 is ignored)`,
    `${f}:6: ignoring <junk> (only <property> elements are read)`,
  ]);
  assert.equal(c.getInt('flume.collector.port'), 3);
  assert.equal(c.get('flume.colector.port'), '1');
});

test('bad values of known properties fail at load naming file, line and property', () => {
  const cases: [string, string, RegExp][] = [
    ['flume.collector.port', 'abc', /flume\.collector\.port must be an integer, got "abc"/],
    ['flume.master.http.port', '70000', /must be between 0 and 65535, got "70000"/],
    ['flume.collector.dfs.compress.gzip', 'yes', /must be true or false, got "yes"/],
    ['flume.master.store', 'mysql', /must be one of zookeeper, memory, got "mysql"/],
    ['sluice.time.zone', 'Mars/Base', /must be an IANA time zone/],
    ['flume.event.max.size.bytes', '0', /must be at least 1/],
    ['flume.master.zk.session.timeout', '0', /must be at least 1/],
  ];
  for (const [name, value, re] of cases) {
    const dir = confDir({
      'flume-site.xml': `<?xml version="1.0"?>\n<configuration>\n\n${xml({ [name]: value }).split('<configuration>\n')[1]}`,
    });
    const e = configError(() => SiteConfig.load(dir));
    assert.equal(e.code, 'SLUICE_CONFIG');
    assert.match(e.message, re);
    assert.equal(e.place?.file, join(dir, 'flume-site.xml'));
    assert.equal(e.place?.line, 6, name);
    assert.equal(e.place?.field, name);
    assert.match(e.oneLine(), new RegExp(`flume-site\\.xml:6:\\d+: ${name.replace(/\./g, '\\.')}: `));
  }
  // Empty means false for booleans (the seed: "false or empty writes uncompressed data").
  const empty = SiteConfig.load(
    confDir({ 'flume-site.xml': xml({ 'flume.collector.dfs.compress.gzip': '' }) }),
  );
  assert.equal(empty.getBool('flume.collector.dfs.compress.gzip'), false);
});

test('malformed XML names file, line and column', () => {
  const cases: [string, number, number, RegExp][] = [
    [
      '<configuration>\n  <property>\n    <name>x</nam>\n',
      3,
      12,
      /<\/nam> does not match <name> opened at line 3, column 5/,
    ],
    ['<configuration>\n<!-- never closed\n', 2, 1, /unterminated comment/],
    [
      '<configuration>\n  <property><value>a & b</value></property>\n</configuration>',
      2,
      22,
      /"&" must start an entity/,
    ],
    [
      '<configuration>\n  <property><value>&nbsp;</value></property>\n</configuration>',
      2,
      20,
      /unknown entity &nbsp;/,
    ],
    ['<configuration/>\nstray', 2, 1, /text outside the root element/],
    ['<configuration><property>', 1, 26, /unexpected end of file: <property> opened at line 1, column 16/],
    ['', 1, 1, /no root element/],
    ['<configuration a=1/>', 1, 18, /attribute a needs a quoted value/],
  ];
  for (const [text, line, column, re] of cases) {
    const dir = confDir({ 'flume-conf.xml': text });
    const e = configError(() => SiteConfig.load(dir));
    assert.equal(e.code, 'SLUICE_CONFIG');
    assert.match(e.message, re);
    assert.deepEqual(
      { file: e.place?.file, line: e.place?.line, column: e.place?.column },
      { file: join(dir, 'flume-conf.xml'), line, column },
      text,
    );
  }
  const wrongRoot = configError(() => readConfigXml('<props/>', 'x.xml'));
  assert.match(wrongRoot.message, /root element must be <configuration>, not <props>/);
  const noName = configError(() =>
    readConfigXml('<configuration>\n<property><value>1</value></property></configuration>', 'x.xml'),
  );
  assert.match(noName.message, /<property> without a <name>/);
  assert.equal(noName.place?.line, 2);
});

test('XML features Hadoop files use: declaration, stylesheet PI, comments, entities, CDATA, final', () => {
  const conf = `\ufeff<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="configuration.xsl"?>
<!DOCTYPE configuration>
<!-- a comment -->
<configuration>
  <property>
    <name>flume.collector.event.host</name>
    <value>&lt;a&amp;b&gt; &#65;&#x42;</value>
    <final>true</final>
  </property>
  <property><name>flume.agent.logdir</name><value><![CDATA[/data/<odd> & dir]]></value></property>
</configuration>`;
  const dir = confDir({
    'flume-conf.xml': conf,
    'flume-site.xml': xml({ 'flume.collector.event.host': 'other' }),
  });
  const c = SiteConfig.load(dir);
  assert.equal(c.getString('flume.collector.event.host'), '<a&b> AB');
  assert.equal(c.getString('flume.agent.logdir'), '/data/<odd> & dir');
  assert.equal(c.warnings.length, 1);
  assert.match(
    c.warnings[0]!,
    /flume-site\.xml:4: flume\.collector\.event\.host is final in .*flume-conf\.xml:7/,
  );
});

test('with(): overrides are checked; getters report unknown names with a suggestion', () => {
  const c = SiteConfig.defaults().with({ 'flume.collector.port': '1234', 'x.custom': 'y' });
  assert.equal(c.getInt('flume.collector.port'), 1234);
  assert.equal(c.source('flume.collector.port'), 'override');
  assert.equal(c.getString('x.custom'), 'y');
  assert.match(configError(() => c.with({ 'flume.collector.port': 'x' })).message, /must be an integer/);
  assert.match(
    configError(() => c.getString('flume.collector.prot')).message,
    /did you mean flume\.collector\.port\?/,
  );
  assert.match(configError(() => c.getInt('x.custom')).message, /x\.custom must be an integer, got "y"/);
});

test('conf/flume-conf.xml is current (regenerate: npm run docs)', () => {
  // Staleness itself is checked with the other generated files (test/docs.test.ts).
  const c = SiteConfig.load(new URL('.', CONF_DIR).pathname);
  assert.deepEqual(c.warnings, []);
  for (const p of PROPERTIES) assert.equal(c.get(p.name), p.default, p.name);
});

test('conf/flume-site.xml.template loads, and with every block uncommented has only known, valid properties', () => {
  const template = readFileSync(new URL('flume-site.xml.template', CONF_DIR), 'utf8');
  const dir = confDir({});
  copyFileSync(new URL('flume-site.xml.template', CONF_DIR), join(dir, 'flume-site.xml'));
  assert.deepEqual(SiteConfig.load(dir).names(), []);
  const uncommented = template.replace(/<!-- [^\n]*\n([\s\S]*?)\n\s*-->/g, '$1');
  writeFileSync(join(dir, 'flume-site.xml'), uncommented);
  const c = SiteConfig.load(dir);
  assert.deepEqual(c.warnings, []);
  assert.ok(c.names().length >= 8);
  assert.deepEqual(c.getList('flume.master.servers'), ['masterA', 'masterB', 'masterC']);
  assert.equal(c.getString('sluice.time.zone'), 'Europe/Paris');
});
