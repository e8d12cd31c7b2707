// The public API of Sluice for programs that embed it: named re-exports only.

export type { InterceptorDef, NgSinkDef, NgSourceDef } from './catalog/ng.js';
export { loadPlugin, withPlugins } from './catalog/plugins.js';
export type { PropertySpec } from './catalog/properties.js';
export { Catalog, type CatalogEntry } from './catalog/registry.js';
export type {
  BoundArgs,
  BuildContext,
  DecoratorDef,
  ParamSpec,
  SinkDef,
  SourceDef,
} from './catalog/types.js';
export type { Channel, ChannelDef, Transaction } from './channels/types.js';
export { SiteConfig } from './core/config.js';
export { ERROR_CODES, SluiceError } from './core/errors.js';
export { compileEscapes } from './core/escapes.js';
export { type Batch, Event } from './core/event.js';
export { createLogger, type Logger, memoryLogger } from './core/logger.js';
export { DecoratorSink, type EventSink, type EventSource } from './core/pipeline.js';
export { Priority } from './core/priority.js';
export { Agent } from './flow/agent/agent.js';
export { builtinAgentCatalog } from './flow/agent/catalog.js';
export { builtinCatalog } from './flow/builtins.js';
export { type CompiledNode, compileSpec } from './flow/compile.js';
export { LogicalNode, type NodeState, type NodeTotals } from './flow/logical-node.js';
export { NodeManager } from './flow/node-manager.js';
export type { ComponentReport, ConfigChanges, LatencyReport, PipelineReport } from './flow/report.js';
export { createFormat } from './formats/index.js';
export { AgentHost } from './node/agent-host.js';
export { FileReloader } from './node/file-reload.js';
export type { PipelineConfig, PipelineHost } from './node/host.js';
export { SpecHost } from './node/spec-host.js';
export { parseSink, parseSource, parseSpec } from './spec/parser.js';
export { printSink, printSpec } from './spec/printer.js';
export {
  StreamingContext,
  type StreamingContextOptions,
  type StreamingState,
} from './streaming/context.js';
export { DStream, MapWithStateDStream, type OutputFn, type Pair } from './streaming/dstream.js';
export { SparkFlumeEvent } from './streaming/flume-event.js';
export { FlumeUtils } from './streaming/flume-utils.js';
export type { FlumePollingOptions, SinkAddress } from './streaming/inputs/flume-polling.js';
export type { FlumePushOptions } from './streaming/inputs/flume-push.js';
export { type ReceiverWalOptions, receiverWriteAheadLog } from './streaming/inputs/receiver-wal.js';
export { socketTextStream, textFileStream } from './streaming/inputs/text-streams.js';
export type { QueueStreamOptions } from './streaming/queue-stream.js';
export type { ReceivedBlock, Receiver, ReceiverSink } from './streaming/receiver.js';
export type { ReceiverLog, ReceiverLogFactory, ReceiverLogTarget } from './streaming/receiver-log.js';
export type { ReceiverReport } from './streaming/receiver-stream.js';
export type { BatchInfo, StreamingReport } from './streaming/report.js';
export { type MappingFunction, State, StateSpec } from './streaming/state.js';
