import net from 'node:net';
import { Backoff, WakeableDelay } from '../../core/backoff.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { OutageLog } from '../../core/outage.js';
import type { Receiver, ReceiverSink } from '../receiver.js';
import { LineSplitter, storeLines } from './text-lines.js';

export interface SocketTextOptions {
  /** First wait before connecting again after a failure or a closed connection (doubles up to 5 s). */
  reconnectMs?: number | undefined;
  logger?: Logger | undefined;
}

/**
 * `ssc.socketTextStream(host, port)`: connects to a TCP server and receives UTF-8 text, one record per
 * line. Like Spark's, it is a client and keeps reconnecting (with backoff) when the connection fails or
 * ends. TCP gives no acknowledgement, so a line read and not yet processed is lost on a crash; use the
 * Flume receivers for data that must survive. Backpressure: while the engine has no room the socket is
 * not read, so the sender is slowed down by TCP.
 */
export class SocketTextReceiver implements Receiver<string> {
  readonly name: string;
  private running = false;
  private socket: net.Socket | undefined;
  private loop: Promise<void> | undefined;
  private readonly delay = new WakeableDelay();
  private readonly logger: Logger;
  private readonly outage: OutageLog;
  readonly stats = { connections: 0, lines: 0 };

  constructor(
    readonly host: string,
    readonly port: number,
    readonly opts: SocketTextOptions = {},
  ) {
    this.name = `socket-text ${host}:${port}`;
    this.logger = opts.logger ?? createLogger(undefined, this.name);
    this.outage = new OutageLog(this.logger, `text server ${host}:${port}`, {
      down: 'unreachable',
      up: 'connected again',
      meanwhile: 'reconnecting with backoff',
    });
  }

  async start(sink: ReceiverSink<string>): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.loop = this.run(sink);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.socket?.destroy();
    this.delay.wake();
    await this.loop;
  }

  private async run(sink: ReceiverSink<string>): Promise<void> {
    const backoff = new Backoff({ initialMs: this.opts.reconnectMs ?? 200, maxMs: 5000 });
    while (this.running) {
      try {
        await this.receive(sink);
        backoff.reset();
      } catch (e) {
        if (!this.running) return;
        this.outage.failed(e);
      }
      if (this.running) await this.delay.wait(backoff.fail());
    }
  }

  /** One connection, until it ends; rejects when it cannot connect or fails. */
  private async receive(sink: ReceiverSink<string>): Promise<void> {
    const socket = net.connect(this.port, this.host);
    this.socket = socket;
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      this.outage.recovered();
      this.stats.connections++;
      const lines = new LineSplitter();
      // Async iteration reads the next chunk only once this one is stored: no reading without room.
      for await (const chunk of socket) {
        if (!this.running) return;
        this.stats.lines += await storeLines(sink, lines.push(chunk as Buffer));
      }
      this.stats.lines += await storeLines(sink, lines.end());
    } finally {
      socket.destroy();
      this.socket = undefined;
    }
  }
}
