import type { SinkDef } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { EventSink } from '../core/pipeline.js';
import { translationOnlySink } from './translation-only.js';

/**
 * The sinks the master translates (docs/master.md, "Translations and flows"): they name logical nodes
 * or ask for chains the master computes, so a node only ever runs their translation. Built without a
 * master (`sluice node -1`), they say so.
 */
function masterTranslated(name: string, docs: string, params: SinkDef['params'] = []): SinkDef {
  return translationOnlySink(
    name,
    docs,
    params,
    'SLUICE_CONFIG',
    'is translated by the master (docs/master.md): run the node under a master, or name the collector (rpcSink, agentBEChain ...)',
  );
}

export const logicalSink = masterTranslated(
  'logicalSink',
  'Sends to the logical node named: the master translates it to `rpcSink(host, port)` of wherever that node runs (its logicalSource or collectorSource), and re-points it when the node moves.',
  [{ name: 'node', type: 'string', docs: 'The logical node to send to.' }],
);

const autoDocs = (chain: string) =>
  `${chain} over the collectors (collectorSource nodes) of the agent's flow, chosen by the master: primaries spread evenly, each agent its own order, recomputed as collectors come and go; \`fail\` while there is none.`;

export const autoE2EChain = masterTranslated('autoE2EChain', autoDocs('agentE2EChain'));
export const autoDFOChain = masterTranslated('autoDFOChain', autoDocs('agentDFOChain'));
export const autoBEChain = masterTranslated('autoBEChain', autoDocs('agentBEChain'));

/**
 * Opening fails with the message, as a transient fault: the node retries with backoff (CONFIGURING,
 * logged once) and reads nothing, so events wait at their source until the master sends a sink
 * that can take them.
 */
class FailSink implements EventSink {
  constructor(private readonly message: string) {}
  open(): Promise<void> {
    return Promise.reject(new SluiceError('SLUICE_CONFIG', this.message, { retriable: true }));
  }
  append(): void {
    throw new SluiceError('SLUICE_CONFIG', this.message, { retriable: true });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const failSink: SinkDef = {
  kind: 'sink',
  name: 'fail',
  standIn: true,
  docs: 'Never opens: its node waits (CONFIGURING, retrying) with the message as its error. The master puts it where a translation cannot be made (no collectors in the flow, a logicalSink to an unmapped node).',
  params: [{ name: 'message', type: 'string', optional: true, default: 'fail sink', docs: 'Why.' }],
  build: (args) => new FailSink(args.string('message')),
};

export const LOGICAL_SINKS: SinkDef[] = [logicalSink, autoE2EChain, autoDFOChain, autoBEChain, failSink];
