import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Priority } from '../core/priority.js';
import { createFormat } from '../formats/index.js';
import { ConsoleSink, consoleSink } from './console.js';

/** A stream that keeps what it gets and completes each write after `delayMs`. */
class SlowStream extends Writable {
  chunks: Buffer[] = [];
  writes = 0;
  constructor(
    private readonly delayMs: number,
    highWaterMark: number,
  ) {
    super({ highWaterMark });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (chunk.length > 0) this.writes++;
    this.chunks.push(chunk);
    setTimeout(cb, this.delayMs);
  }
  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

test('console writes each batch in one write in the chosen format', async () => {
  const out = new SlowStream(5, 1 << 20);
  const sink = new ConsoleSink(createFormat('raw'), out);
  await sink.open();
  await sink.append(makeBatch(3));
  await sink.append(makeBatch(2, 'x'));
  await sink.close(); // waits until the stream has taken everything
  assert.equal(out.text(), 'e0\ne1\ne2\nx0\nx1\n');
  assert.equal(out.writes, 2);
});

test('a full stream buffer makes append wait for drain', async () => {
  const out = new SlowStream(20, 16);
  const sink = new ConsoleSink(createFormat('raw'), out);
  await sink.open();
  const r = sink.append(makeBatch(10));
  assert.ok(r instanceof Promise, 'backpressure from the stream');
  await r;
  assert.equal(out.writableLength, 0);
  await sink.close();
});

test('a stream error fails the next append instead of crashing', async () => {
  const out = new Writable({
    write(_c, _e, cb) {
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  const sink = new ConsoleSink(createFormat('raw'), out);
  await sink.open();
  // The first write fails asynchronously; the error arrives as a stream event.
  await Promise.resolve(sink.append(makeBatch(1))).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 10));
  await assert.rejects(
    async () => sink.append(makeBatch(1)),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.code === 'SLUICE_IO' &&
      /^cannot write to stdout: write EPIPE/.test(e.message) &&
      /^console: cannot write/.test(e.oneLine()),
  );
  await sink.close().catch(() => undefined);
});

test('an unknown format is a bad argument naming the sink', () => {
  assert.throws(
    () => consoleSink.build(BoundArgs.of('console', { format: 'jsn' }), testContext()),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.code === 'SLUICE_SPEC_BAD_ARGUMENT' &&
      e.place?.component === 'console' &&
      e.place.field === 'format',
  );
});

test('console() writes debug lines to the real stdout', () => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const script = `
    import { BoundArgs } from './src/catalog/types.js';
    import { Event } from './src/core/event.js';
    import { consoleSink } from './src/sinks/console.js';
    import { testContext } from './test/mocks/sinks.js';
    const sink = consoleSink.build(BoundArgs.of('console', {}), testContext());
    await sink.open();
    await sink.append([Event.of('hello "world"', { host: 'web1', timestamp: ${Date.UTC(2009, 10, 19, 8, 37, 13)}, priority: ${Priority.WARN} })]);
    await sink.close();
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: `${here}/../..`,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'web1 [WARN Thu Nov 19 08:37:13 UTC 2009] hello \\"world\\"\n');
});
