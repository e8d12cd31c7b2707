// The `sluice` binary as a user runs it: exit statuses, bytes on disk, and one-line errors that name
// the place (never a stack trace for a user's mistake).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COMMANDS } from '../../src/cli/commands.js';
import { exited } from '../support/processes.js';
import { tempDir } from '../support/tmp.js';
import { waitForOutput } from '../support/wait.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');
const dir = tempDir('cli');

function sluice(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input,
    // A guard against a hung command, not a speed bound: `sluice demo` on a loaded machine takes a while.
    timeout: 180_000,
    cwd: dir,
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: { status: number | null; stderr: string }, re: RegExp) {
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `a stack trace was printed:\n${r.stderr}`);
}

test('node -1 copies a 5,000-line file through value, batch, gzip, gunzip and unbatch byte for byte', () => {
  const input = join(dir, 'in.log');
  const output = join(dir, 'out.log');
  const lines = Array.from(
    { length: 5000 },
    (_, i) => `line ${i} "quoted" \\ tab\there ${'x'.repeat(i % 300)}`,
  );
  writeFileSync(input, `${lines.join('\n')}\n`);
  const spec = `n1 : text("${input}") | { value("k", "v") => { batch(100) => { gzip => { gunzip => { unbatch => text("${output}") } } } } } ;`;
  const r = sluice(['node', '-1', '-e', spec]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(input).equals(readFileSync(output)), 'output bytes differ from input');
});

test('node -1 runs several nodes, and -n picks one', () => {
  const a = join(dir, 'a.txt');
  const b = join(dir, 'b.txt');
  const spec = `x : asciisynth(10, 5) | text("${a}") ; y : asciisynth(7, 5) | text("${b}") ;`;
  assert.equal(sluice(['node', '-1', '-e', spec, '-n', 'y']).status, 0);
  assert.equal(readFileSync(b, 'utf8').split('\n').length - 1, 7);
  assert.throws(() => readFileSync(a));
  const r = sluice(['node', '-1', '-e', spec, '-n', 'z']);
  assertOneLineError(r, /no node named "z" \(it has: x, y\)/);
});

test('dump prints events in the debug format with special characters escaped', () => {
  const f = join(dir, 'dump.txt');
  writeFileSync(f, 'say "hi"\\\nsecond\n');
  const r = sluice(['dump', `text("${f}")`]);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trim().split('\n');
  assert.equal(out.length, 2);
  assert.match(out[0]!, /\[INFO .*\] say \\"hi\\"\\\\$/);
  assert.match(out[1]!, /\] second$/);
  const raw = sluice(['dump', `text("${f}")`, '--format', 'raw']);
  assert.equal(raw.stdout, 'say "hi"\\\nsecond\n');
});

test('bad input gives one-line errors naming the place', () => {
  assertOneLineError(
    sluice(['node', '-1', '-e', 'n : text("/nonexistent/x.log") | null ;']),
    /text: filename: cannot open "\/nonexistent\/x\.log": no such file or directory/,
  );
  assertOneLineError(
    sluice(['validate', '-e', 'n : null | { regex("(", 1, "a") => null } ;']),
    /<spec>:1:14: regex.*\(/,
  );
  assertOneLineError(
    sluice(['validate', '-e', 'n : null |\n  consle ;']),
    /<spec>:2:3: .*unknown sink "consle"; did you mean "console"\?/,
  );
  const wrong = sluice(['validate', '-e', 'n : asciisynth("ten", 5) | null ;']);
  assertOneLineError(
    wrong,
    /<spec>:1:16: asciisynth: argument 1 \(msgCount\) must be an int, got string "ten"/,
  );
  assert.match(wrong.stderr, /asciisynth\(msgCount: int, msgSize: int\)/);
  const syntax = sluice(['validate', '-e', 'n : null | { batch(10) -> null } ;']);
  assertOneLineError(syntax, /<spec>:1:24: .*'=>'/);
  assert.match(syntax.stderr, /\n {23}\^/, 'caret under the column');
  assertOneLineError(sluice(['node', '-1', '-e', 'n : exec("echo hi") | null ;']), /--allow-exec/);
  assertOneLineError(sluice(['validate', '/nonexistent.spec']), /cannot read spec file \/nonexistent\.spec/);
});

test('validate accepts the seed examples and --print shows the canonical form', () => {
  const r = sluice([
    'validate',
    '-p',
    '-e',
    'agent1 : tail("foo") | [ console, < text("a") ? text("b") > ] ; c : null | roll(1000) { text("f-%{rolltag}") } ;',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /agent1 : tail\("foo"\) \| \[ console, < text\("a"\) \? text\("b"\) > \];/);
});

test('node -1 with an endless source closes cleanly on SIGTERM and flushes its sink', async () => {
  const out = join(dir, 'endless.txt');
  const feed = join(dir, 'feed.log');
  writeFileSync(feed, 'one\ntwo\n');
  // The console branch shows when both lines went past the fanout (and the signal handlers are in
  // place, since they are installed before the node starts); the batch branch holds them until close.
  const child = spawn(
    process.execPath,
    [
      BIN,
      'node',
      '-1',
      '-e',
      `t : tail("${feed}") | [ { batch(1000, 60000) => { unbatch => text("${out}") } }, console("raw") ] ;`,
    ],
    { cwd: dir },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const gone = exited(child);
  await waitForOutput(child.stdout, /one\ntwo\n/, 'both lines on the console branch', 60_000);
  child.kill('SIGTERM');
  const code = await gone;
  assert.equal(code, 0, stderr);
  assert.equal(
    readFileSync(out, 'utf8'),
    'one\ntwo\n',
    'the batch held by the decorator was not flushed on close',
  );
});

test('the demo runs every step on embedded defaults and checks each', () => {
  const r = sluice(['demo', '--lines', '2000']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /ok {3}local flow: 2000 lines .* byte-identical/);
  assert.match(r.stdout, /ok {3}agent -> collector over Avro: 2000 of 2000 events/);
  assert.match(r.stdout, /ok {3}agent file: 2000 of 2000 spooled lines/);
});

/** stderr as lines, without the empty one after the last newline. */
const stderrLines = (r: { stderr: string }) => r.stderr.split('\n').filter((l) => l !== '');

test('--version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
  const r = sluice(['--version']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `sluice ${pkg.version}\n`);
});

test('every command has help, as `help CMD` and `CMD --help`, and `help --help` works', () => {
  const list = sluice(['help']);
  assert.equal(list.status, 0, list.stderr);
  assert.ok(COMMANDS.length >= 6);
  for (const c of COMMANDS) {
    assert.match(list.stdout, new RegExp(`^  ${c.name} `, 'm'), `sluice help does not list ${c.name}`);
    const viaHelp = sluice(['help', c.name]);
    assert.equal(viaHelp.status, 0, viaHelp.stderr);
    assert.match(viaHelp.stdout, new RegExp(`^usage: sluice ${c.name} `));
    assert.match(viaHelp.stdout, /--log-format FORMAT/);
    assert.match(viaHelp.stdout, /exit status: 0 done; 1 a failure/);
    const viaFlag = sluice([c.name, '--help']);
    assert.equal(viaFlag.status, 0, viaFlag.stderr);
    assert.equal(viaFlag.stdout, viaHelp.stdout, `${c.name} --help differs from help ${c.name}`);
  }
  assert.match(sluice(['help', '--help']).stdout, /^usage: sluice help \[components \| COMMAND\]/);
  assert.match(sluice(['dump', '--help']).stdout, /one of: raw, debug, syslog, log4j,\s+avrojson, avrodata/);
  const bad = sluice(['help', 'nodes']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown topic "nodes" \(topics: components, demo, node/);
});

test('an unknown option is one line with one prefix, exit status 2', () => {
  for (const [command, args] of [
    ['node', ['-1', '-e', 'n : null | null ;', '-x']],
    ['agent', ['--conf-fil', 'a.conf']],
    ['validate', ['--bogus']],
    ['dump', ['--fromat', 'raw', 'text("x")']],
  ] as const) {
    const r = sluice([command, ...args]);
    assert.equal(r.status, 2, `${command}: ${r.stderr}`);
    const lines = stderrLines(r);
    assert.equal(lines.length, 1, `${command} printed ${lines.length} lines:\n${r.stderr}`);
    assert.match(lines[0]!, new RegExp(`^sluice ${command}: unknown option `));
    assert.doesNotMatch(lines[0]!, /sluice \w+: sluice/);
  }
  assert.match(sluice(['agent', '--conf-fil', 'a.conf']).stderr, /did you mean --conf-file\?/);
});

test('extra arguments and bad values are refused with exit status 2, before anything runs', () => {
  const out = join(dir, 'never.txt');
  const cases: [string[], RegExp][] = [
    [['node', '-1', '-e', `n : asciisynth(3, 5) | text("${out}") ;`, 'extra.spec'], /give one spec, not 2/],
    [['agent', '-f', 'a.conf', '-n', 'a1', 'extra'], /unexpected argument "extra"/],
    [['demo', 'now'], /unexpected argument "now"/],
    [['dump', 'text("a")', 'text("b")'], /too many arguments/],
    [['help', 'node', 'agent'], /too many arguments/],
    [['dump', '--format', 'xml', 'text("a")'], /--format must be one of raw, debug, syslog, log4j/],
    [['demo', '--lines', 'many'], /--lines must be a positive integer/],
    [['node', '-1', '--log-level', 'loud', '-e', 'n : null | null ;'], /--log-level must be one of debug/],
    [['node', '-e', 'n : null | null ;'], /without -1/],
    [['agent', '-f', 'a.conf'], /-n AGENT/],
    [['validate'], /give a spec with -e/],
    [['dump'], /missing argument/],
    [['nodes'], /unknown command "nodes" \(did you mean "node"\?\)/],
  ];
  for (const [args, re] of cases) {
    const r = sluice(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(stderrLines(r).length, 1, r.stderr);
    assert.match(r.stderr, re);
  }
  assert.throws(() => readFileSync(out), 'a refused command line still ran the node');
  assert.equal(sluice([]).status, 2, 'no command at all is a usage error');
});

test('validate checks every file and names the bad one; missing files are failures, status 1', () => {
  const good = join(dir, 'good.spec');
  const bad = join(dir, 'bad.spec');
  writeFileSync(good, 'a : asciisynth(1, 1) | null ;\n');
  writeFileSync(bad, 'b : null |\n  consle ;\n');
  const r = sluice(['validate', good, bad]);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, `${good}: ok (1 node: a)\n`);
  assert.match(r.stderr, new RegExp(`^sluice validate: ${bad}:2:3: unknown sink "consle"`));
  // A bad file first does not hide the good one after it, and -f and -e mix with arguments.
  const both = sluice(['validate', bad, '-f', good, '-e', 'c : null | null ;', join(dir, 'missing.spec')]);
  assert.equal(both.status, 1);
  assert.equal(both.stdout, `<spec>: ok (1 node: c)\n${good}: ok (1 node: a)\n`);
  assert.match(both.stderr, /cannot read spec file .*missing\.spec: no such file or directory/);
  const missingAgent = sluice(['agent', '--conf-file', join(dir, 'none.conf'), '--name', 'a1']);
  assert.equal(missingAgent.status, 1);
  assert.match(missingAgent.stderr, /cannot read agent file .*none\.conf: no such file or directory/);
  const missingConf = sluice(['validate', '-e', 'n : null | null ;', '--conf', join(dir, 'noconf')]);
  assert.equal(missingConf.status, 1);
  assert.match(missingConf.stderr, /configuration directory .*noconf: no such file or directory/);
});

test("the old spellings still work: node -c SPEC warns once, agent's --conf-file and --name", () => {
  const out = join(dir, 'old-spelling.txt');
  const r = sluice(['node', '-1', '-c', `n : asciisynth(4, 3) | text("${out}") ;`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(out, 'utf8').split('\n').length - 1, 4);
  assert.match(r.stderr, /^sluice node: warning: -c is deprecated; use -e\/--spec/);
  const conf = join(dir, 'a1.conf');
  writeFileSync(
    conf,
    [
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sinks = k1',
      'a1.sources.r1.type = seq',
      'a1.sources.r1.channels = c1',
      'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = null',
      'a1.sinks.k1.channel = c1',
      '',
    ].join('\n'),
  );
  for (const args of [
    ['--conf-file', conf, '--name', 'a1', '--check'],
    ['-f', conf, '-n', 'a1', '--check'],
  ]) {
    const c = sluice(['agent', ...args]);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /agent a1 ok \(1 sources, 1 channels, 1 sinks/);
  }
});

test('a reader closing stdout early ends dump quietly with status 0', async () => {
  const child = spawn(process.execPath, [BIN, 'dump', 'asciisynth(10000000, 100)'], { cwd: dir });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // Like `| head -2`: read the first chunk, then close the pipe while the dump is still writing.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  // exited() waits for stderr to close too: an EPIPE message written just before the exit is read.
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await exited(child).finally(() => clearTimeout(timer));
  assert.notEqual(child.signalCode, 'SIGKILL', `dump did not end after its stdout closed:\n${stderr}`);
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|ERROR|error/);
});

test('--log-format json (or SLUICE_LOG_FORMAT=json) writes one parseable JSON object per line', () => {
  const parse = (r: { stderr: string }) =>
    stderrLines(r).map((l) => {
      assert.match(l, /^\{.*\}$/, `not a JSON line: ${l}`);
      return JSON.parse(l) as { level: string; msg: string; time: string; component?: string };
    });
  const ran = sluice(['node', '-1', '-e', 'n : asciisynth(3, 5) | null ;', '--log-format', 'json']);
  assert.equal(ran.status, 0, ran.stderr);
  const lines = parse(ran);
  assert.ok(
    lines.some((l) => l.level === 'info' && /n drained: 3 events/.test(l.msg)),
    ran.stderr,
  );
  assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l.time))));
  const usage = sluice(['node', '-x'], undefined, { SLUICE_LOG_FORMAT: 'json' });
  assert.equal(usage.status, 2);
  const [err, ...rest] = parse(usage);
  assert.deepEqual(rest, []);
  assert.equal(err!.level, 'error');
  assert.equal(err!.component, 'sluice node');
  assert.match(err!.msg, /^unknown option -x/);
  const deprecated = sluice([
    'node',
    '-1',
    '-c',
    'n : null | null ;',
    '--log-format=json',
    '--log-level',
    'warn',
  ]);
  assert.equal(deprecated.status, 0, deprecated.stderr);
  assert.deepEqual(
    parse(deprecated).map((l) => [l.level, l.msg]),
    [['warn', '-c is deprecated; use -e/--spec (same meaning)']],
  );
  // The text format is the default: no JSON.
  assert.match(sluice(['node', '-x']).stderr, /^sluice node: unknown option -x/);
});
