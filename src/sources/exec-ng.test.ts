import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pull, testContext } from '../../test/support/source-helpers.js';
import { ComponentProperties } from '../catalog/properties.js';
import { splitCommandLine } from './exec.js';
import { execCommandLine, execNgSource } from './exec-ng.js';

const props = (def: typeof execNgSource, p: Record<string, string>) =>
  new ComponentProperties('source r1', def.properties, p);

test('exec is refused unless the agent allows it, naming the command', () => {
  assert.throws(
    () => execNgSource.create(props(execNgSource, { command: 'echo hi' }), testContext(false)),
    (e: unknown) =>
      e instanceof Error && /source r1: will not run "echo hi": exec sources are disabled/.test(e.message),
  );
});

test('a shell command keeps its quotes and pipes; batches follow batchSize', async () => {
  const cmd = `printf 'l1\\nl2\\nl3\\nl4\\nl5\\n' | tr l "L"`;
  assert.deepEqual(splitCommandLine(execCommandLine(cmd, '/bin/sh -c'), {}), ['/bin/sh', '-c', cmd]);
  const src = execNgSource.create(
    props(execNgSource, { command: cmd, shell: '/bin/sh -c', batchSize: '2' }),
    testContext(true),
  );
  await src.open();
  const r = await pull(src, { timeoutMs: 5000 });
  await src.close();
  assert.ok(r.drained);
  assert.deepEqual(
    r.events.map((e) => e.body.toString()),
    ['L1', 'L2', 'L3', 'L4', 'L5'],
  );
  assert.deepEqual(r.batches, [2, 2, 1]);
});
