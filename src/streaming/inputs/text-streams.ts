import type { StreamingContext } from '../context.js';
import type { DStream } from '../dstream.js';
import { type SocketTextOptions, SocketTextReceiver } from './socket-text.js';
import { type TextFileOptions, TextFileReceiver } from './text-file.js';

/** Spark's `ssc.socketTextStream(host, port)`: the lines a TCP server sends, read as its client. */
export function socketTextStream(
  ssc: StreamingContext,
  host: string,
  port: number,
  opts: SocketTextOptions = {},
): DStream<string> {
  const logger = opts.logger ?? ssc.logger.child(`socket-text ${host}:${port}`);
  return ssc.receiverStream(new SocketTextReceiver(host, port, { ...opts, logger }));
}

/** Spark's `ssc.textFileStream(dir)`: the lines of each file that appears in `dir`. */
export function textFileStream(
  ssc: StreamingContext,
  dir: string,
  opts: TextFileOptions = {},
): DStream<string> {
  const logger = opts.logger ?? ssc.logger.child(`text-file ${dir}`);
  return ssc.receiverStream(new TextFileReceiver(dir, { ...opts, logger }));
}
