import type { NgSinkDef } from '../catalog/ng.js';
import { attrsAsJavaMap, type Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';

/** Flume NG's logger sink: each event logged at INFO, headers and the first bytes of the body. */
export class LoggerSink implements EventSink {
  constructor(
    private readonly logger: Logger,
    private readonly maxBytes: number,
  ) {}
  async open(): Promise<void> {}
  append(batch: Batch): void {
    for (const e of batch) {
      const headers = attrsAsJavaMap(e);
      const body = e.body.subarray(0, this.maxBytes);
      this.logger.info(
        `Event: { headers:{${headers}} body: ${body.toString('hex').replace(/(..)/g, '$1 ').trim()} ${JSON.stringify(body.toString('latin1'))} }`,
      );
    }
  }
  async close(): Promise<void> {}
}

export const loggerSink: NgSinkDef = {
  kind: 'ng-sink',
  type: 'logger',
  docs: 'Logs every event at INFO (headers, then the first maxBytesToLog body bytes in hex and as text); for debugging.',
  properties: [
    { name: 'maxBytesToLog', type: 'int', default: '16', min: 0, docs: 'Body bytes shown per event.' },
  ],
  create: (p, ctx) => new LoggerSink(ctx.logger, p.int('maxBytesToLog')),
};
