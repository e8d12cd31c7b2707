import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { testContext } from '../../test/mocks/sinks.js';
import { ComponentProperties } from '../catalog/properties.js';
import { isSluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import type { BucketedWriter } from '../storage/bucketed-writer.js';
import { hdfsSink } from './hdfs.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-hdfs-sink-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function make(props: Record<string, string>): EventSink & { stats: BucketedWriter['stats'] } {
  return hdfsSink.create(
    new ComponentProperties('sink k1', hdfsSink.properties, {
      'hdfs.fileType': 'DataStream',
      ...props,
    }),
    testContext({ nodeName: 'a1' }),
  ) as EventSink & { stats: BucketedWriter['stats'] };
}

test('a batch the file system refuses fails; the sink closes, opens again (no "opened twice") and writes', async () => {
  const sink = make({ 'hdfs.path': `file://${dir}/%{host}`, 'hdfs.filePrefix': '%{a}%{b}%{c}-' });
  await sink.open();
  // One value is shortened to 100 bytes; three of them in one name are too long for the file system.
  const long = 'x'.repeat(300);
  await assert.rejects(
    async () => sink.append([Event.of('too long', { host: 'web1', attrs: { a: long, b: long, c: long } })]),
    /name too long/i,
  );
  // What a sink group does after a failure.
  await sink.close();
  await sink.open();
  await sink.append([Event.of('next', { host: 'web1' })]);
  await sink.close();
  const files = readdirSync(join(dir, 'web1'));
  assert.equal(files.length, 1);
  assert.equal(readFileSync(join(dir, 'web1', files[0]!), 'utf8'), 'next\n');
  assert.equal(sink.stats.appendsFailed, 1);
});

test('escapes in the namenode of hdfs.path fail when configured, naming the key', () => {
  assert.throws(
    () => make({ 'hdfs.path': 'hdfs://nn%{host}/flume' }),
    (e: unknown) =>
      isSluiceError(e) &&
      e.place?.field === 'hdfs.path' &&
      /the host of a URI cannot use escapes/.test(e.message),
  );
});
