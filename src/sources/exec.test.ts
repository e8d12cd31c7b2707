import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodies, pull, raceTimeout, testContext } from '../../test/support/source-helpers.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { memoryLogger } from '../core/logger.js';
import {
  A_EXEC_CMD,
  A_PROC_SOURCE,
  ExecSource,
  execPeriodicSource,
  execSource,
  execStreamSource,
  splitCommandLine,
} from './exec.js';

/** A cmdline running node on a script; the script may use double quotes only. */
const node = (script: string) => `'${process.execPath}' -e '${script}'`;

describe('splitCommandLine', () => {
  it('splits words honouring quotes and backslashes', () => {
    assert.deepEqual(splitCommandLine('ls  -l\t/tmp', {}), ['ls', '-l', '/tmp']);
    assert.deepEqual(splitCommandLine(`echo 'a b' "c \\"d\\" \\x" e\\ f ''`, {}), [
      'echo',
      'a b',
      'c "d" \\x',
      'e f',
      '',
    ]);
    assert.deepEqual(splitCommandLine(`a'b'"c"`, {}), ['abc']);
  });

  it('rejects unterminated quotes and empty command lines, naming the place', () => {
    for (const [cmd, why] of [
      [`echo 'oops`, /unterminated single quote/],
      [`echo "oops`, /unterminated double quote/],
      ['echo \\', /lone backslash/],
      ['   ', /no program/],
    ] as const) {
      assert.throws(
        () => splitCommandLine(cmd, { component: 'exec', field: 'cmdline' }),
        (e: unknown) =>
          e instanceof SluiceError &&
          e.code === 'SLUICE_SPEC_BAD_ARGUMENT' &&
          why.test(e.message) &&
          e.oneLine().startsWith('exec: cmdline: cmdline'),
      );
    }
  });
});

describe('exec sources', () => {
  it('refuse to build without --allow-exec', () => {
    const cases = [
      [execSource, { cmdline: 'true' }],
      [execStreamSource, { cmdline: 'true' }],
      [execPeriodicSource, { cmdline: 'true', ms: 10 }],
    ] as const;
    for (const [def, values] of cases) {
      assert.throws(
        () => def.build(BoundArgs.of(def.name, values), testContext(false)),
        (e: unknown) =>
          e instanceof SluiceError &&
          e.code === 'SLUICE_EXEC_REFUSED' &&
          e.message.includes('--allow-exec') &&
          e.place?.component === def.name,
      );
      assert.ok(def.build(BoundArgs.of(def.name, values), testContext(true)) instanceof ExecSource);
    }
  });

  it('execStream: one event per line, last partial line included, stderr to the log, then drained', async () => {
    const ctx = testContext(true);
    const cmd = node('console.log("one"); console.error("oops"); process.stdout.write("two\\nthree")');
    const src = execStreamSource.build(BoundArgs.of('execStream', { cmdline: cmd }), ctx);
    await src.open();
    // Deadlines for a child process to run and end: only a hang reaches them on a loaded machine.
    const r = await pull(src, { timeoutMs: 60_000 });
    assert.equal(r.drained, true);
    assert.deepEqual(bodies(r.events), ['one', 'two', 'three']);
    assert.equal(r.events[0]!.getAttrString(A_PROC_SOURCE), 'STDOUT');
    assert.equal(r.events[0]!.getAttrString(A_EXEC_CMD), cmd);
    assert.ok(
      ctx.logger.lines.some((l) => l === 'WARN execStream: stderr: oops'),
      ctx.logger.lines.join('\n'),
    );
    await src.close();
  });

  it('exec with aggregate makes one event of the whole output and logs a failing exit', async () => {
    const log = memoryLogger();
    const src = new ExecSource(
      node('console.log("a"); console.log("b"); process.exitCode = 3'),
      {
        aggregate: true,
        restart: false,
        periodMs: 0,
      },
      log,
    );
    await src.open();
    const r = await pull(src, { timeoutMs: 60_000 });
    assert.equal(r.drained, true);
    assert.deepEqual(bodies(r.events), ['a\nb\n']);
    assert.ok(
      log.lines.some((l) => l.includes('exited with code 3')),
      log.lines.join('\n'),
    );
  });

  it('execPeriodic runs the program again after each exit until closed', async () => {
    const src = execPeriodicSource.build(
      BoundArgs.of('execPeriodic', { cmdline: node('console.log("tick")'), ms: 20 }),
      testContext(true),
    ) as ExecSource;
    await src.open();
    const r = await pull(src, { want: 3, timeoutMs: 60_000 });
    assert.deepEqual(bodies(r.events), ['tick\n', 'tick\n', 'tick\n']);
    assert.ok(src.runCount >= 3);
    const pending = src.next();
    await src.close();
    assert.equal(await raceTimeout(Promise.resolve(pending), 10_000), null);
  });

  it('close() stops a long-running program and ends a pending next()', async () => {
    const src = new ExecSource(
      node('console.log(process.pid); setInterval(() => {}, 1000)'),
      { aggregate: false, restart: false, periodMs: 0 },
      memoryLogger(),
    );
    await src.open();
    const first = await pull(src, { want: 1, timeoutMs: 60_000 });
    const pid = Number(first.events[0]!.body.toString());
    assert.ok(pid > 0);
    const pending = src.next();
    assert.ok(pending instanceof Promise);
    await src.close();
    assert.equal(await raceTimeout(pending, 10_000), null);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  it('a program that cannot start is a clear error at open', async () => {
    const src = execSource.build(
      BoundArgs.of('exec', { cmdline: '/nonexistent/sluice-no-such-program --flag' }),
      testContext(true),
    );
    await assert.rejects(
      src.open(),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.code === 'SLUICE_NOT_FOUND' &&
        e.oneLine() ===
          'exec: cmdline: cannot start "/nonexistent/sluice-no-such-program": no such file or directory',
    );
  });
});
