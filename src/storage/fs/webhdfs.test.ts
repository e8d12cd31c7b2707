import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { FakeWebHdfs } from '../../../test/mocks/webhdfs.js';
import { SluiceError } from '../../core/errors.js';
import { FileSystems, parseFsUri } from './resolve.js';
import { FileExistsError } from './types.js';
import { WebHdfsFileSystem } from './webhdfs.js';

let hdfs: FakeWebHdfs;
before(async () => {
  hdfs = await FakeWebHdfs.start({ denied: ['/locked'] });
});
after(async () => {
  await hdfs.stop();
});

const client = (appendSize?: number) =>
  new WebHdfsFileSystem({
    host: '127.0.0.1',
    port: hdfs.port,
    user: 'flume',
    ...(appendSize ? { appendSize } : {}),
  });

test('a small file costs one two-step CREATE: no bytes to the namenode, all bytes to the datanode', async () => {
  const fs = client();
  const start = hdfs.requests.length;
  await fs.mkdirs('/small/dir');
  const f = await fs.create('/small/dir/a.txt');
  assert.equal(f.write(Buffer.from('hello ')), undefined);
  assert.equal(f.write(Buffer.from('world\n')), undefined);
  await f.close();
  await fs.close();
  assert.equal(hdfs.read('/small/dir/a.txt').toString(), 'hello world\n');
  const log = hdfs.requests.slice(start);
  assert.deepEqual(
    log.map((r) => `${r.server} ${r.method} ${r.op} ${r.path} ${r.bytes}`),
    [
      'namenode PUT MKDIRS /small/dir 0',
      'namenode PUT CREATE /small/dir/a.txt 0',
      'datanode PUT CREATE /small/dir/a.txt 12',
    ],
  );
  assert.ok(log.every((r) => r.server === 'datanode' || r.user === 'flume'));
});

test('large files go out as APPENDs of appendSize bytes, in order', async () => {
  const fs = client(64 * 1024);
  const before = { create: hdfs.count('CREATE', 'datanode'), append: hdfs.count('APPEND', 'datanode') };
  const f = await fs.create('/big.bin');
  const parts: Buffer[] = [];
  let waits = 0;
  for (let i = 0; i < 100; i++) {
    const b = Buffer.alloc(10_000, i);
    parts.push(b);
    const r = f.write(b);
    if (r) {
      waits++;
      await r;
    }
  }
  await f.close();
  await fs.close();
  assert.deepEqual(hdfs.read('/big.bin'), Buffer.concat(parts));
  assert.equal(hdfs.count('CREATE', 'datanode') - before.create, 1);
  // Seven 10,000-byte writes pass 64 KiB: 14 pieces of 70,000 bytes and a 20,000-byte rest on close,
  // the first with CREATE, the other 14 with APPEND.
  assert.equal(hdfs.count('APPEND', 'datanode') - before.append, 14);
  assert.ok(waits > 0, 'a full piece while the previous one is on the wire must push back');
  const sizes = hdfs.requests
    .filter((r) => r.server === 'datanode' && r.path === '/big.bin')
    .map((r) => r.bytes);
  assert.ok(
    sizes.slice(0, -1).every((s) => s >= 64 * 1024),
    `pieces ${sizes.join(',')}`,
  );
});

test('an empty file is still created on close', async () => {
  const fs = client();
  const f = await fs.create('/empty');
  await f.close();
  await fs.close();
  assert.equal(hdfs.read('/empty').length, 0);
});

test('rename moves a file, never replaces one, and exists follows GETFILESTATUS', async () => {
  const fs = client();
  writeFileSync(hdfs.local('/r1'), 'one');
  writeFileSync(hdfs.local('/r2'), 'two');
  await assert.rejects(
    fs.rename('/r1', '/r2'),
    (e: unknown) => e instanceof FileExistsError && /r2/.test(e.message),
  );
  assert.equal(hdfs.read('/r2').toString(), 'two');
  await fs.rename('/r1', '/r3');
  assert.equal(await fs.exists('/r1'), false);
  assert.equal(await fs.exists('/r3'), true);
  await assert.rejects(fs.rename('/missing', '/r4'), /cannot rename hdfs:\/\/127\.0\.0\.1:\d+\/missing/);
  await fs.close();
});

test('creating over an existing file fails with FileExistsError and leaves it alone', async () => {
  const fs = client();
  writeFileSync(hdfs.local('/taken'), 'keep');
  const f = await fs.create('/taken');
  f.write(Buffer.from('other'));
  await assert.rejects(f.close(), FileExistsError);
  assert.equal(hdfs.read('/taken').toString(), 'keep');
  await fs.close();
});

test('RemoteException answers become SluiceErrors naming the hdfs URI and the Java exception', async () => {
  const fs = client();
  await assert.rejects(fs.mkdirs('/locked/a'), (e: unknown) => {
    assert.ok(e instanceof SluiceError);
    assert.equal(e.code, 'SLUICE_IO');
    assert.equal(
      e.message,
      `WebHDFS MKDIRS hdfs://127.0.0.1:${hdfs.port}/locked/a failed: AccessControlException: Permission denied: user=flume, access=WRITE, inode="/locked/a"`,
    );
    assert.equal(e.place?.file, `hdfs://127.0.0.1:${hdfs.port}/locked/a`);
    return true;
  });
  assert.equal(existsSync(hdfs.local('/locked')), false);
  await fs.close();
});

test('requests without user.name are refused by the fake, as by a secured namenode', async () => {
  const bare = await FakeWebHdfs.start();
  try {
    const res = await fetch(`http://127.0.0.1:${bare.port}/webhdfs/v1/x?op=MKDIRS`, { method: 'PUT' });
    assert.equal(res.status, 401);
    const body = (await res.json()) as { RemoteException: { exception: string } };
    assert.equal(body.RemoteException.exception, 'SecurityException');
    const data = await fetch(`http://127.0.0.1:${bare.port}/webhdfs/v1/x?op=CREATE&user.name=a`, {
      method: 'PUT',
      body: 'sent too early',
    });
    assert.equal(data.status, 400);
  } finally {
    await bare.stop();
  }
});

test('an unreachable namenode is a retriable SluiceError', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const fs = new WebHdfsFileSystem({ host: '127.0.0.1', port, user: 'flume' });
  await assert.rejects(fs.mkdirs('/x'), (e: unknown) => {
    assert.ok(e instanceof SluiceError);
    assert.equal(e.retriable, true);
    assert.match(e.message, new RegExp(`WebHDFS MKDIRS hdfs://127.0.0.1:${port}/x: connection refused`));
    return true;
  });
  await fs.close();
});

test('URIs: hdfs, webhdfs and swebhdfs with user and default ports; file URIs and plain paths', () => {
  assert.deepEqual(parseFsUri('hdfs://nn/flume//web/'), {
    scheme: 'hdfs',
    path: '/flume/web/',
    host: 'nn',
    port: 9870,
    secure: false,
  });
  assert.deepEqual(parseFsUri('webhdfs://etl@nn:50070/a'), {
    scheme: 'hdfs',
    path: '/a',
    host: 'nn',
    port: 50070,
    secure: false,
    user: 'etl',
  });
  assert.equal(parseFsUri('swebhdfs://nn/a').port, 9871);
  assert.deepEqual(parseFsUri('file:///tmp/x/'), { scheme: 'file', path: '/tmp/x/' });
  assert.deepEqual(parseFsUri('file://localhost/tmp/x'), { scheme: 'file', path: '/tmp/x' });
  assert.deepEqual(parseFsUri('/var/log/../x'), { scheme: 'file', path: '/var/x' });
  assert.throws(
    () => parseFsUri('s3://bucket/x', { component: 'collectorSink', field: 'fsdir' }),
    (e: unknown) => {
      assert.ok(e instanceof SluiceError);
      assert.equal(e.code, 'SLUICE_SPEC_BAD_ARGUMENT');
      assert.equal(
        e.oneLine(),
        'collectorSink: fsdir: unsupported file system "s3:" (use file://, hdfs://, webhdfs:// or a plain path) in "s3://bucket/x"',
      );
      return true;
    },
  );
  assert.throws(() => parseFsUri('file://otherhost/x'), /local machine/);
  assert.throws(() => parseFsUri('hdfs:/x'), /need a namenode/);
});

test('FileSystems shares one client per namenode and user', async () => {
  const all = new FileSystems();
  const a = all.resolve(hdfs.uri('/a'));
  const b = all.resolve(hdfs.uri('/b'));
  const c = all.resolve(`hdfs://other@127.0.0.1:${hdfs.port}/c`);
  assert.equal(a.fs, b.fs);
  assert.notEqual(a.fs, c.fs);
  assert.equal(b.path, '/b');
  assert.equal(all.resolve('/tmp').fs.scheme, 'file');
  await all.close();
});
