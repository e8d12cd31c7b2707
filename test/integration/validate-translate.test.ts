// `sluice validate --translate`: each node as written and, under it, the form that runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');

function validate(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'validate', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('validate --translate prints each node beside its translated form, then ok', () => {
  const r = validate(
    '--translate',
    '-e',
    'a : null | agentDFOSink("c1", 35853) ;\nb : null | agentBEChain("x:1", "y:2") ;\nc : null | console ;',
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      'a : null | agentDFOSink("c1", 35853);',
      '  => a : null | let primary := { lazyOpen => stubbornAppend => rpcSink("c1", 35853) } in < primary ? { diskFailover => insistentOpen => primary } >;',
      'b : null | agentBEChain("x:1", "y:2");',
      '  => b : null | < { lazyOpen => stubbornAppend => rpcSink("x", 1) } ? { lazyOpen => stubbornAppend => rpcSink("y", 2) } >;',
      'c : null | console;',
      '<spec>: ok',
      '',
    ].join('\n'),
  );
});

test('validate -t shows the translation and still reports an error in the spec', () => {
  const r = validate('-t', '-e', 'a : null | agentDFOChain("h:99999") ;');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /<spec>:1:12: agentDFOChain: collectors: .*99999/);
});
