import type { StreamingContext } from './context.js';
import type { DStream } from './dstream.js';
import type { SparkFlumeEvent } from './flume-event.js';
import {
  type FlumePollingOptions,
  FlumePollingReceiver,
  parseSinkAddresses,
  pollingReceiverName,
  type SinkAddress,
} from './inputs/flume-polling.js';
import { type FlumePushOptions, FlumePushReceiver } from './inputs/flume-push.js';

/**
 * Spark's FlumeUtils: the two ways a StreamingContext takes events from Flume or Sluice agents.
 *
 * - `createStream(ssc, host, port, { enableDecompression })`: push. The context listens on host:port
 *   as an Avro source; agents point an avro sink at it. A sender's batch is answered OK once stored
 *   (and logged, with a receiver write-ahead log), FAILED otherwise; while the context is down senders
 *   get connection errors and keep the events in their channels.
 * - `createPollingStream(ssc, addresses, { maxBatchSize, parallelism })`: pull. The context polls
 *   SparkSinks; a batch is acked once stored and nacked (the sink hands it out again) when it could not
 *   be. The events wait in the agents' channels while the context is down or full: the reliable way.
 */
export const FlumeUtils = {
  createStream(
    ssc: StreamingContext,
    host: string,
    port: number,
    opts: FlumePushOptions = {},
  ): DStream<SparkFlumeEvent> {
    const name = `flume-push ${host}:${port}`;
    return ssc.receiverStream(new FlumePushReceiver(host, port, { logger: ssc.logger.child(name), ...opts }));
  },

  /**
   * `addresses`: `"host:port[,host:port...]"` or a list of `{ host, port }`; or Spark's short form
   * `createPollingStream(ssc, host, port, opts)`.
   */
  createPollingStream(
    ssc: StreamingContext,
    addresses: string | readonly SinkAddress[],
    portOrOpts?: number | FlumePollingOptions,
    maybeOpts: FlumePollingOptions = {},
  ): DStream<SparkFlumeEvent> {
    let list: readonly SinkAddress[];
    let opts: FlumePollingOptions;
    if (typeof portOrOpts === 'number') {
      list = [{ host: addresses as string, port: portOrOpts }];
      opts = maybeOpts;
    } else {
      list = typeof addresses === 'string' ? parseSinkAddresses(addresses) : addresses;
      opts = portOrOpts ?? {};
    }
    const logger = opts.logger ?? ssc.logger.child(pollingReceiverName(list));
    return ssc.receiverStream(new FlumePollingReceiver(list, { ...opts, logger }));
  },
};
