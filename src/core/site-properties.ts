import { isTimeZone } from './timezone.js';

/**
 * The site properties: every name a site's `flume-conf.xml` / `flume-site.xml` may set, with its type,
 * default and meaning. The one table of them (`conf/flume-conf.xml` and the docs are generated from
 * it); add a property here, next to its neighbours by subject.
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
    docs: 'Comma-separated master servers (host, or host:port when masters share a host). One name runs a standalone master; several masters share their state through ZooKeeper (flume.master.zk.use.external), and nodes (on flume.master.heartbeat.port) and the shell (on flume.master.admin.port) move to the next when theirs does not answer.',
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
    name: 'flume.master.heartbeat.max',
    type: 'int',
    min: 1,
    default: '256',
    docs: 'Heartbeats a master handles at once; one more is answered 503 with Retry-After (flume.master.heartbeat.retry.ms) before its body is read, and the node waits that long (with jitter) instead of failing over.',
  },
  {
    name: 'flume.master.heartbeat.retry.ms',
    type: 'int',
    min: 1,
    default: '1000',
    docs: 'Milliseconds a node refused by a busy master (flume.master.heartbeat.max) is told to wait before its next heartbeat.',
  },
  {
    name: 'flume.master.tls.key',
    type: 'string',
    default: '',
    docs: "PEM private key of the master's control ports (heartbeat and admin); with flume.master.tls.cert both ports speak HTTPS only.",
  },
  {
    name: 'flume.master.tls.cert',
    type: 'string',
    default: '',
    docs: 'PEM certificate (chain) of the master, with flume.master.tls.key.',
  },
  {
    name: 'flume.master.tls',
    type: 'bool',
    default: 'false',
    docs: "Nodes and shells reach the master over HTTPS, checking its certificate against the system's authorities or flume.master.tls.ca.",
  },
  {
    name: 'flume.master.tls.ca',
    type: 'string',
    default: '',
    docs: "PEM authority (or the master's self-signed certificate) nodes and shells check the master's certificate against; setting it turns TLS on.",
  },
  {
    name: 'flume.master.http.tls.ca',
    type: 'string',
    default: '',
    docs: "PEM authority of the master's web port (with flume.master.tls.key and .cert): only clients presenting a certificate it signed get past the TLS handshake (mutual TLS; --http-tls-ca).",
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
    docs: 'Keep the master state (configurations, mappings, command history) in the external ZooKeeper ensemble of flume.master.zk.servers instead of the embedded store; every master given the same ensemble shares it.',
  },
  {
    name: 'flume.master.zk.servers',
    type: 'list',
    default: '',
    docs: 'Comma-separated host:port list of an external ZooKeeper ensemble (with flume.master.zk.use.external); the state lives under the znode /sluice/master.',
  },
  {
    name: 'flume.master.zk.session.timeout',
    type: 'int',
    min: 1,
    default: '10000',
    docs: 'Milliseconds of ZooKeeper session timeout for a master on an external ensemble: a master that stops answering leaves the election (another leads translation) this long after, and its heartbeating nodes fail over on their own. ZooKeeper bounds what it grants between 2 and 20 of its ticks.',
  },
];
