import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ioError, SluiceError } from './errors.js';
import { closest } from './suggest.js';
import { isTimeZone } from './timezone.js';
import { parseXml, type XmlElement } from './xml.js';

/**
 * Site configuration: Hadoop-style XML (`conf/flume-conf.xml` overridden by `conf/flume-site.xml`)
 * over the documented defaults in PROPERTIES. Values are trimmed and type-checked when a file is
 * loaded, so a typo stops start-up with the file, line and property; typed getters check again for
 * values set by `with` or for names outside PROPERTIES.
 *
 * `conf/flume-conf.xml` is generated from PROPERTIES (`renderDefaultsXml`, a test keeps it current).
 */
export interface PropertyDef {
  name: string;
  type: 'string' | 'int' | 'bool' | 'float' | 'list';
  default: string;
  docs: string;
  /** Inclusive bounds of an int or float property. */
  min?: number;
  max?: number;
  /** The only values a string property accepts. */
  values?: readonly string[];
  /** A further check of the trimmed value: a description of the problem, or undefined when fine. */
  check?: (value: string) => string | undefined;
}

const PORT = { type: 'int', min: 0, max: 65535 } as const;

export const PROPERTIES: readonly PropertyDef[] = [
  // Events
  {
    name: 'flume.event.max.size.bytes',
    type: 'int',
    min: 1,
    default: '32768',
    docs: 'Longest event body in bytes; longer bodies are truncated to this size where events are created.',
  },
  {
    name: 'sluice.time.zone',
    type: 'string',
    default: 'UTC',
    check: (v) => (isTimeZone(v) ? undefined : 'an IANA time zone such as UTC or Europe/Paris'),
    docs: 'Time zone of the date escapes (%Y, %H ...) in bucketing paths and of dates in text output formats.',
  },

  // Agents
  {
    name: 'flume.agent.logdir',
    type: 'string',
    default: '/tmp/flume/agent',
    docs: 'Directory of the write-ahead logs (agentE2ESink) and disk-failover logs (agentDFOSink) of agent nodes; each logical node uses a subdirectory named after it. /tmp is cleaned by the OS: use a durable place in production.',
  },
  {
    name: 'flume.agent.logdir.maxage',
    type: 'int',
    min: 1,
    default: '10000',
    docs: 'Milliseconds a write-ahead or disk-failover log file stays open before it is rolled and queued for sending; also the default maximum retry backoff of the ack and diskFailover decorators.',
  },
  {
    name: 'flume.agent.logdir.retransmit',
    type: 'int',
    min: 1,
    default: '60000',
    docs: 'Milliseconds an end-to-end agent waits for the acknowledgement of a sent group before sending it again.',
  },
  {
    name: 'flume.agent.ack.poll',
    type: 'int',
    min: 1,
    default: '1000',
    docs: 'Milliseconds between two questions of an end-to-end agent to its collectors (checkAck) about which sent groups are acknowledged.',
  },
  {
    name: 'flume.agent.ack.close.timeout',
    type: 'int',
    min: 0,
    default: '120000',
    docs: 'Milliseconds an end-to-end sink that is closing (a drained `sluice node -1`, a stop) waits for its groups to be acknowledged; the groups still unacknowledged then stay in the log, are sent after the next start, and the node reports how many.',
  },

  // Listening addresses
  {
    name: 'sluice.source.bind',
    type: 'string',
    default: '127.0.0.1',
    docs: 'Address every network source (collectorSource, avro, syslog, netcat, the SparkSink) listens on when its own bind argument or property is not set. 127.0.0.1 keeps ports private to this machine; set 0.0.0.0 (all IPv4 interfaces), :: or one interface address to receive from other hosts, and read docs/security.md first.',
  },

  // Avro sources
  {
    name: 'flume.avro.request.timeout',
    type: 'int',
    min: 1,
    default: '15000',
    docs: "Milliseconds an avro source (collectorSource, rpcSource, avroSource, the NG avro source) may hold a received batch it cannot queue or commit (its queue or channel is full) before it answers the sender FAILED, so the sender retries or fails over instead of waiting without an answer. Below the 20 s request timeout of Flume's and Sluice's avro clients, so they hear why.",
  },

  // Collectors
  {
    name: 'flume.collector.event.host',
    type: 'string',
    default: 'localhost',
    docs: 'Host name of the default collector: agent sinks given no host send to it.',
  },
  {
    name: 'flume.collector.port',
    ...PORT,
    default: '35853',
    docs: 'TCP port collectorSource listens on, and the port agent sinks given no port send to.',
  },
  {
    name: 'flume.collector.event.port',
    ...PORT,
    default: '35861',
    docs: 'Default port of rpcSink and rpcSource.',
  },
  {
    name: 'flume.collector.output.format',
    type: 'string',
    default: 'avrojson',
    docs: 'Output format of collector sinks: syslog (syslog-like lines), log4j (Hadoop log4j-like lines), avrojson (one Avro JSON object per line), avrodata (Avro object container file), raw (body only) or default (the debugging format).',
  },
  {
    name: 'flume.collector.dfs.compress.gzip',
    type: 'bool',
    default: 'false',
    docs: 'Gzip the files collectors write (they get a .gz suffix). false or empty writes uncompressed files.',
  },
  {
    name: 'flume.collector.roll.millis',
    type: 'int',
    min: 1,
    default: '30000',
    docs: 'Milliseconds between file rolls of collectorSink when its spec gives no roll period.',
  },

  // Nodes
  {
    name: 'flume.node.http.port',
    ...PORT,
    default: '35862',
    docs: 'Port of the node status web page; a node takes the next free port when it is in use (35862+).',
  },
  {
    name: 'flume.config.heartbeat.period',
    type: 'int',
    min: 1,
    default: '5000',
    docs: 'Milliseconds between a node heartbeat to the master (and its check for new configurations and acknowledgements).',
  },
  {
    name: 'flume.plugin.classes',
    type: 'list',
    default: '',
    docs: 'Comma-separated plugin modules (npm package names or file paths, relative to the current directory) whose exported component definitions (sources, sinks, decorators, channels, interceptors) join the catalog at start-up; see docs/plugins.md.',
  },

  // Master
  {
    name: 'flume.master.servers',
    type: 'list',
    default: 'localhost',
    docs: 'Comma-separated host names of the master servers. One name runs a standalone master; several run a distributed master, and nodes fail over between them.',
  },
  {
    name: 'flume.master.ensemble',
    type: 'list',
    default: '',
    docs: 'Older name of flume.master.servers kept for existing files; flume.master.servers is the list Sluice reads.',
  },
  {
    name: 'flume.master.serverid',
    type: 'int',
    min: 0,
    default: '0',
    docs: "This master's index in flume.master.servers (from 0); must differ on every master of an ensemble.",
  },
  {
    name: 'flume.master.store',
    type: 'string',
    values: ['zookeeper', 'memory'],
    default: 'zookeeper',
    docs: 'Configuration store of the master: zookeeper (durable; an embedded store in flume.master.zk.logdir unless flume.master.zk.use.external) or memory (lost on restart; standalone only).',
  },
  { name: 'flume.master.http.port', ...PORT, default: '35871', docs: 'Port of the master web interface.' },
  {
    name: 'flume.master.heartbeat.port',
    ...PORT,
    default: '35872',
    docs: 'Port the masters listen on for node heartbeats.',
  },
  {
    name: 'flume.master.admin.port',
    ...PORT,
    default: '35873',
    docs: 'Port of the master admin interface used by the shell.',
  },
  {
    name: 'flume.master.gossip.port',
    ...PORT,
    default: '57890',
    docs: 'Port distributed masters exchange state on (gossip); unused by a standalone master.',
  },
  {
    name: 'flume.master.zk.logdir',
    type: 'string',
    default: '/tmp/flume/master/zk',
    docs: 'Directory where the master keeps its durable configuration store. Do not delete it: the configuration lives there.',
  },
  {
    name: 'flume.master.zk.client.port',
    ...PORT,
    default: '3181',
    docs: 'Port masters use to reach the configuration store of the ensemble (ZooKeeper client port).',
  },
  {
    name: 'flume.master.zk.server.quorum.port',
    ...PORT,
    default: '3182',
    docs: 'Port the masters of an ensemble replicate the configuration store on (ZooKeeper quorum port).',
  },
  {
    name: 'flume.master.zk.server.election.port',
    ...PORT,
    default: '3183',
    docs: 'Port the masters of an ensemble elect their leader on (ZooKeeper election port).',
  },
  {
    name: 'flume.master.zk.use.external',
    type: 'bool',
    default: 'false',
    docs: 'Use the external ZooKeeper ensemble in flume.master.zk.servers instead of the embedded store.',
  },
  {
    name: 'flume.master.zk.servers',
    type: 'list',
    default: '',
    docs: 'Comma-separated host:port list of an external ZooKeeper ensemble (with flume.master.zk.use.external).',
  },
];

const BY_NAME: ReadonlyMap<string, PropertyDef> = new Map(PROPERTIES.map((p) => [p.name, p]));

export function propertyDef(name: string): PropertyDef | undefined {
  return BY_NAME.get(name);
}

interface Setting {
  value: string;
  /** `file:line`, `override` or absent for defaults. */
  from: string;
  final?: boolean;
}

/** The file names `SiteConfig.load` reads, in order (later files override earlier ones). */
export const CONFIG_FILES = ['flume-conf.xml', 'flume-site.xml'] as const;

export class SiteConfig {
  /** Non-fatal problems found while loading (unknown properties, overrides of final values). */
  readonly warnings: readonly string[];

  constructor(
    private readonly values: ReadonlyMap<string, Setting> = new Map(),
    warnings: readonly string[] = [],
  ) {
    this.warnings = warnings;
  }

  static defaults(): SiteConfig {
    return new SiteConfig();
  }

  /**
   * Reads `flume-conf.xml` then `flume-site.xml` from `dir` (either may be absent). Malformed XML or a
   * bad value of a known property is a SluiceError SLUICE_CONFIG naming file, line and property.
   */
  static load(dir: string): SiteConfig {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch (e) {
      throw ioError(e, `configuration directory ${dir}`);
    }
    if (!isDir) throw new SluiceError('SLUICE_CONFIG', `configuration directory ${dir} is not a directory`);
    const values = new Map<string, Setting>();
    const warnings: string[] = [];
    for (const name of CONFIG_FILES) {
      const file = join(dir, name);
      if (!existsSync(file)) continue;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw ioError(e, `reading ${file}`);
      }
      for (const p of readConfigXml(text, file, warnings)) {
        const prior = values.get(p.name);
        if (prior?.final) {
          warnings.push(`${file}:${p.line}: ${p.name} is final in ${prior.from}; this value is ignored`);
          continue;
        }
        values.set(p.name, { value: p.value, from: `${file}:${p.line}`, final: p.final });
      }
    }
    return new SiteConfig(values, warnings);
  }

  /** A copy with some properties replaced (tests, command-line -D options); values are checked. */
  with(overrides: Record<string, string>): SiteConfig {
    const m = new Map(this.values);
    for (const [k, raw] of Object.entries(overrides)) {
      const v = raw.trim();
      const problem = checkValue(k, v);
      if (problem) throw badValue(k, v, problem, {});
      m.set(k, { value: v, from: 'override' });
    }
    return new SiteConfig(m, this.warnings);
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.value ?? BY_NAME.get(name)?.default;
  }

  /** Where a value came from: `file:line`, `override`, or `default`. */
  source(name: string): string {
    return this.values.get(name)?.from ?? 'default';
  }

  /** The names set explicitly (by a file or `with`), in order of first appearance. */
  names(): string[] {
    return [...this.values.keys()];
  }

  getString(name: string): string {
    const v = this.get(name);
    if (v === undefined) {
      const hint = closest(name, BY_NAME.keys(), 1)[0];
      throw new SluiceError(
        'SLUICE_CONFIG',
        `unknown property ${name}${hint ? ` (did you mean ${hint}?)` : ''}`,
        {
          place: { field: name },
        },
      );
    }
    return v;
  }

  getInt(name: string): number {
    const v = this.getString(name).trim();
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw this.bad(name, v, 'an integer');
    return Number(v);
  }

  getFloat(name: string): number {
    const v = this.getString(name).trim();
    const n = Number(v);
    if (v === '' || !Number.isFinite(n)) throw this.bad(name, v, 'a number');
    return n;
  }

  getBool(name: string): boolean {
    const v = this.getString(name).trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false' || v === '') return false;
    throw this.bad(name, v, 'true or false');
  }

  /** A comma-separated list: items trimmed, empty items dropped (`a, b,,c` is [a, b, c]). */
  getList(name: string): string[] {
    return splitList(this.getString(name));
  }

  private bad(name: string, v: string, what: string): SluiceError {
    return badValue(name, v, what, placeOf(this.values.get(name)?.from));
  }
}

export function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

interface RawProperty {
  name: string;
  value: string;
  final: boolean;
  line: number;
  column: number;
}

const PROPERTY_CHILDREN = new Set(['name', 'value', 'description', 'final', 'source']);

/**
 * The properties of one Hadoop configuration document, checked against PROPERTIES. Unknown names,
 * unknown elements and duplicates go to `warnings`; malformed structure and bad values throw.
 */
export function readConfigXml(text: string, file: string, warnings: string[] = []): RawProperty[] {
  const root = parseXml(text, file);
  const at = (el: XmlElement) => ({ file, line: el.line, column: el.column });
  if (root.name !== 'configuration') {
    throw new SluiceError('SLUICE_CONFIG', `the root element must be <configuration>, not <${root.name}>`, {
      place: at(root),
    });
  }
  const out: RawProperty[] = [];
  const seen = new Map<string, number>();
  for (const el of root.children) {
    if (el.name !== 'property') {
      warnings.push(`${file}:${el.line}: ignoring <${el.name}> (only <property> elements are read)`);
      continue;
    }
    let name: XmlElement | undefined;
    let value: XmlElement | undefined;
    let final: XmlElement | undefined;
    for (const c of el.children) {
      if (!PROPERTY_CHILDREN.has(c.name)) {
        warnings.push(`${file}:${c.line}: ignoring <${c.name}> in <property>`);
        continue;
      }
      if ((c.name === 'name' && name) || (c.name === 'value' && value)) {
        throw new SluiceError('SLUICE_CONFIG', `<property> has two <${c.name}> elements`, { place: at(c) });
      }
      if (c.name === 'name') name = c;
      else if (c.name === 'value') value = c;
      else if (c.name === 'final') final = c;
    }
    const key = name?.text.trim() ?? '';
    if (key === '') {
      throw new SluiceError('SLUICE_CONFIG', '<property> without a <name>', { place: at(name ?? el) });
    }
    const v = value?.text.trim() ?? '';
    const where = value ?? el;
    const def = BY_NAME.get(key);
    if (def === undefined) {
      const hint = closest(key, BY_NAME.keys(), 1)[0];
      warnings.push(
        `${file}:${name!.line}: unknown property ${key}${hint ? ` (did you mean ${hint}?)` : ''}`,
      );
    } else {
      const problem = checkValue(key, v);
      if (problem) throw badValue(key, v, problem, at(where));
    }
    const earlier = seen.get(key);
    if (earlier !== undefined)
      warnings.push(`${file}:${name!.line}: ${key} is set again (line ${earlier} is ignored)`);
    seen.set(key, name!.line);
    out.push({
      name: key,
      value: v,
      final: final?.text.trim() === 'true',
      line: name!.line,
      column: name!.column,
    });
  }
  return out;
}

/** What is wrong with `v` as a value of property `name`, or undefined (also for unknown names). */
export function checkValue(name: string, v: string): string | undefined {
  const def = BY_NAME.get(name);
  if (def === undefined) return undefined;
  switch (def.type) {
    case 'int':
      if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) return 'an integer';
      break;
    case 'float':
      if (v === '' || !Number.isFinite(Number(v))) return 'a number';
      break;
    case 'bool':
      if (!['true', 'false', ''].includes(v.toLowerCase())) return 'true or false';
      break;
    case 'string':
      if (def.values && !def.values.includes(v)) return `one of ${def.values.join(', ')}`;
      break;
    case 'list':
      break;
  }
  if (def.type === 'int' || def.type === 'float') {
    const n = Number(v);
    const lo = def.min ?? Number.NEGATIVE_INFINITY;
    const hi = def.max ?? Number.POSITIVE_INFINITY;
    if (n < lo || n > hi) {
      return def.max === undefined
        ? `at least ${lo}`
        : def.min === undefined
          ? `at most ${hi}`
          : `between ${lo} and ${hi}`;
    }
  }
  return def.check?.(v);
}

function badValue(
  name: string,
  v: string,
  what: string,
  place: Record<string, string | number>,
): SluiceError {
  return new SluiceError('SLUICE_CONFIG', `${name} must be ${what}, got "${v}"`, {
    place: { ...place, field: name },
  });
}

function placeOf(from: string | undefined): { file?: string; line?: number } {
  if (from === undefined || from === 'override') return {};
  const m = /^(.*):(\d+)$/.exec(from);
  return m ? { file: m[1]!, line: Number(m[2]) } : { file: from };
}

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The text of `conf/flume-conf.xml`: every property with its default and description. */
export function renderDefaultsXml(): string {
  const lines = [
    '<?xml version="1.0"?>',
    '<?xml-stylesheet type="text/xsl" href="configuration.xsl"?>',
    '<!--',
    '  Sluice default site configuration, generated from PROPERTIES in src/core/config.ts by',
    '  `npm run docs`. Do not edit: put site-specific values in',
    '  flume-site.xml (see flume-site.xml.template), which overrides this file.',
    '-->',
    '<configuration>',
  ];
  for (const p of PROPERTIES) {
    lines.push(
      '',
      '  <property>',
      `    <name>${p.name}</name>`,
      `    <value>${xmlText(p.default)}</value>`,
      `    <description>${xmlText(p.docs)}</description>`,
      '  </property>',
    );
  }
  lines.push('</configuration>', '');
  return lines.join('\n');
}
