import type { SinkDef } from '../catalog/types.js';
import { AGENT_E2E_SINKS } from './agent-e2e.js';
import { agentBEChain, agentBESink, agentDFOChain, agentDFOSink, avroSink, rpcSink } from './avro.js';
import { COLLECTOR_SINKS } from './collector.js';
import { consoleSink } from './console.js';
import { LOGICAL_SINKS } from './logical.js';
import { nullSink } from './null.js';
import { seqfileSink } from './seqfile.js';
import { syslogTcpSink } from './syslog.js';
import { textSink } from './text.js';

/** The built-in sinks, listed explicitly (no registration by import side effect). */
export const SINKS: SinkDef[] = [
  nullSink,
  consoleSink,
  textSink,
  seqfileSink,
  syslogTcpSink,
  rpcSink,
  avroSink,
  agentBESink,
  agentBEChain,
  agentDFOSink,
  agentDFOChain,
  ...AGENT_E2E_SINKS,
  ...COLLECTOR_SINKS,
  ...LOGICAL_SINKS,
];
