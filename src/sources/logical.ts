import type { SourceDef } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';

/** The source the master translates to `rpcSource(port)` with a port it assigns (docs/master.md). */
export const logicalSource: SourceDef = {
  kind: 'source',
  name: 'logicalSource',
  docs: 'Receives what `logicalSink("this node")` of other nodes sends: the master translates it to `rpcSource(port)` with a port it assigns on the physical node (from flume.collector.port up).',
  params: [],
  build: (args) => {
    throw new SluiceError(
      'SLUICE_CONFIG',
      'logicalSource is translated by the master (docs/master.md): run the node under a master, or use rpcSource(port)',
      { place: { component: args.component } },
    );
  },
};
