import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CollectingReceiverSink, gate } from '../../../test/support/receiver-sink.js';
import { tempDir } from '../../../test/support/tmp.js';
import { waitFor } from '../../../test/support/wait.js';
import { memoryLogger } from '../../core/logger.js';
import { SocketTextReceiver } from './socket-text.js';
import { TextFileReceiver } from './text-file.js';
import { LineSplitter, MAX_LINE_CHARS } from './text-lines.js';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

test('lines end at \\n, \\r\\n or \\r, across chunk borders and split UTF-8 characters', () => {
  const s = new LineSplitter();
  const euro = Buffer.from('€');
  const got = [
    ...s.push(Buffer.from('a\r')).lines,
    ...s.push(Buffer.from('\nb\rc\n')).lines,
    ...s.push(Buffer.concat([Buffer.from('d'), euro.subarray(0, 1)])).lines,
    ...s.push(Buffer.concat([euro.subarray(1), Buffer.from('\ntail')])).lines,
    ...s.end().lines,
  ];
  assert.deepEqual(got, ['a', 'b', 'c', 'd€', 'tail']);
  const long = new LineSplitter().push(Buffer.from(`${'x'.repeat(MAX_LINE_CHARS + 5)}\n`)).lines;
  assert.deepEqual(
    long.map((l) => l.length),
    [MAX_LINE_CHARS, 5],
  );
});

async function textServer(
  onConnection: (s: net.Socket) => void,
): Promise<{ port: number; server: net.Server }> {
  const server = net.createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(() => r(undefined))));
  return { port: (server.address() as net.AddressInfo).port, server };
}

test('socketTextStream receives lines and reconnects when the server closes the connection', async () => {
  let n = 0;
  const { port } = await textServer((s) => {
    const k = n++;
    s.end(`first ${k}\nsecond ${k}\n`);
  });
  const sink = new CollectingReceiverSink<string>();
  const r = new SocketTextReceiver('127.0.0.1', port, { logger: memoryLogger(), reconnectMs: 10 });
  await r.start(sink);
  cleanup.push(() => r.stop());
  await waitFor(() => sink.records.length >= 4, 'lines of two connections');
  await r.stop();
  assert.deepEqual(sink.records.slice(0, 4), ['first 0', 'second 0', 'first 1', 'second 1']);
});

test('socketTextStream stops reading while the engine has no room: the sender backs up', async () => {
  let serverSide: net.Socket | undefined;
  const { port } = await textServer((s) => {
    serverSide = s;
  });
  const sink = new CollectingReceiverSink<string>();
  const full = gate();
  sink.room = full.promise;
  const r = new SocketTextReceiver('127.0.0.1', port, { logger: memoryLogger() });
  await r.start(sink);
  cleanup.push(() => r.stop());
  await waitFor(() => serverSide !== undefined, 'the connection');
  const line = `${'y'.repeat(99)}\n`;
  const chunk = Buffer.from(line.repeat(10_000));
  let written = 0;
  // Write until the socket refuses more: the receiver must have stopped reading.
  await waitFor(
    () => {
      if (!serverSide!.writableNeedDrain) {
        serverSide!.write(chunk);
        written += 10_000;
      }
      return serverSide!.writableNeedDrain && sink.stores >= 1;
    },
    'the sender to back up',
    30_000,
    1,
  );
  assert.equal(sink.stores, 1, 'stored again while the engine had no room');
  sink.room = undefined;
  full.open();
  serverSide!.end();
  await waitFor(
    () => sink.records.length >= written,
    () => `${written} lines (got ${sink.records.length})`,
  );
  assert.ok(sink.records.every((l) => l.length === 99));
});

test('textFileStream reads each new file once, skips old, hidden and _ files', async (t) => {
  const dir = tempDir('textfile', t);
  writeFileSync(join(dir, 'old.txt'), 'old line\n');
  const sink = new CollectingReceiverSink<string>();
  const r = new TextFileReceiver(dir, { logger: memoryLogger(), pollMs: 20 });
  await r.start(sink);
  cleanup.push(() => r.stop());
  // A file written elsewhere and moved in, as Spark asks.
  const staging = tempDir('textfile-staging', t);
  const big = Array.from({ length: 30_000 }, (_, i) => `line ${i}`).join('\r\n');
  writeFileSync(join(staging, 'a.log'), big);
  renameSync(join(staging, 'a.log'), join(dir, 'a.log'));
  writeFileSync(join(dir, '.hidden'), 'no\n');
  writeFileSync(join(dir, '_COPYING_'), 'no\n');
  await waitFor(() => r.stats.files >= 1, 'the new file read');
  writeFileSync(join(dir, 'b.log'), 'b1\nb2\n');
  await waitFor(() => r.stats.files >= 2, 'the second file read');
  await r.stop();
  assert.equal(sink.records.length, 30_002);
  assert.equal(sink.records[29_999], 'line 29999');
  assert.deepEqual(sink.records.slice(-2), ['b1', 'b2']);
  assert.ok(!sink.records.includes('old line') && !sink.records.includes('no'));
});

test('textFileStream on a missing directory fails to start with the path', async () => {
  const r = new TextFileReceiver('/nonexistent/sluice-dir', { logger: memoryLogger() });
  await assert.rejects(
    r.start(new CollectingReceiverSink<string>()),
    /cannot watch \/nonexistent\/sluice-dir/,
  );
});
