// Documentation that runs: every spec, agent file and `sluice` shell example of README.md, docs/*.md
// and examples/ (the convention is in test/support/doc-blocks.ts and docs/testing.md). Specs are
// checked as `sluice validate` checks them (parse, compile, build without opening), agent files as
// `sluice agent --check` does, and shell examples run on a temporary directory: finite ones must exit
// 0, long-running ones must be seen working (a port that accepts, a line fed in that comes out) and
// then stop cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { SiteConfig } from '../src/core/config.js';
import { SluiceError } from '../src/core/errors.js';
import { memoryLogger } from '../src/core/logger.js';
import { freePort } from '../src/core/ports.js';
import { Agent } from '../src/flow/agent/agent.js';
import { builtinAgentCatalog } from '../src/flow/agent/catalog.js';
import { builtinCatalog } from '../src/flow/builtins.js';
import { compileSpec } from '../src/flow/compile.js';
import { parseSpec } from '../src/spec/parser.js';
import { type DocBlock, documentationExamples, shellWords } from './support/doc-blocks.js';
import { exited } from './support/processes.js';
import { tempDir } from './support/tmp.js';
import { waitFor, waitForPort } from './support/wait.js';

const repo = join(import.meta.dirname, '..');
const BIN = join(repo, 'bin', 'sluice.js');
const examples = documentationExamples(repo);
const where = (b: DocBlock) => `${b.file}:${b.line}`;
const context = () => ({
  config: SiteConfig.defaults(),
  nodeName: 'docs',
  allowExec: true,
  logger: memoryLogger(),
});

/** Error text with the block's place in the document in front. */
function explain(b: DocBlock, e: unknown): Error {
  const msg = e instanceof SluiceError ? e.oneLine() : String(e);
  return new Error(`${where(b)} (a ${b.kind} example, lines counted from there): ${msg}`);
}

test('the documentation has examples of every kind to check', () => {
  const kinds = new Set(examples.map((b) => b.kind));
  assert.deepEqual([...kinds].sort(), ['properties', 'sh', 'spec']);
});

for (const b of examples.filter((x) => x.kind === 'spec')) {
  test(`spec example ${where(b)} validates`, () => {
    try {
      const nodes = compileSpec(parseSpec(b.text, where(b)), {
        catalog: builtinCatalog(),
        context: context(),
      });
      assert.ok(nodes.length > 0, 'no logical node');
      for (const n of nodes) {
        n.makeSource();
        n.makeSink();
      }
    } catch (e) {
      throw explain(b, e);
    }
  });
}

/** The agent names an agent file configures (the prefix of its `X.sources =` style lists). */
function agentNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/^\s*([\w-]+)\.(?:sources|channels|sinks)\s*[=:]/gm)) names.add(m[1]!);
  return [...names];
}

for (const b of examples.filter((x) => x.kind === 'properties')) {
  test(`agent file ${where(b)} passes the check`, () => {
    const names = agentNames(b.text);
    assert.ok(names.length > 0, `${where(b)}: no agent in it`);
    for (const name of names) {
      try {
        Agent.fromText(b.text, b.file, name, builtinAgentCatalog(), { ...context(), nodeName: name });
      } catch (e) {
        throw explain(b, e);
      }
    }
  });
}

// ---- shell examples

/** A scratch machine for one block: its paths, the ports it uses, the files its examples name. */
interface Scratch {
  dir: string;
  ports: Map<string, number>;
  env: NodeJS.ProcessEnv;
}

/** Ports the README uses, each replaced by a free one so parallel runs and a busy machine cannot clash. */
const DOC_PORTS = ['35853', '35854', '5140', '4141', '6514', '9999'];

async function scratch(t: { after(fn: () => void): void }): Promise<Scratch> {
  const dir = tempDir('docs', t);
  const ports = new Map<string, number>();
  for (const p of DOC_PORTS) ports.set(p, await freePort());
  const conf = join(dir, 'conf');
  mkdirSync(conf);
  // collectorSource with no port listens on flume.collector.port: the same replacement as 35853.
  writeFileSync(
    join(conf, 'flume-site.xml'),
    `<?xml version="1.0"?>\n<configuration>\n  <property><name>flume.collector.port</name><value>${ports.get('35853')}</value></property>\n</configuration>\n`,
  );
  // The files the examples name, as a reader would have them at hand.
  const lines = Array.from({ length: 200 }, (_, i) => `GET /page/${i} 200 "ok"`).join('\n');
  for (const [f, text] of [
    ['in.log', `${lines}\n`],
    ['app.log', ''],
    ['etc/services', 'ssh 22/tcp\nsmtp 25/tcp\n'],
    ['flows.spec', 'n1 : text("in.log") | { batch(100) => { unbatch => text("out-flows.log") } } ;\n'],
    ['more.spec', 'n2 : text("in.log") | null ;\n'],
    ['var/log/app.log', ''],
  ] as const) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  for (const f of readdirSync(join(repo, 'examples'))) {
    // examples/plugin/ is a package (docs/plugins.md), not an agent file or spec to rewrite.
    if (statSync(join(repo, 'examples', f)).isDirectory()) continue;
    mkdirSync(join(dir, 'examples'), { recursive: true });
    writeFileSync(
      join(dir, 'examples', f),
      rewrite(readFileSync(join(repo, 'examples', f), 'utf8'), dir, ports),
    );
  }
  writeFileSync(join(dir, 'my.conf'), readFileSync(join(dir, 'examples', 'spooldir-agent.conf')));
  return { dir, ports, env: { ...process.env, SLUICE_CONF_DIR: conf } };
}

/** Absolute paths of the examples moved into the scratch directory; documented ports replaced. */
function rewrite(text: string, dir: string, ports: Map<string, number>): string {
  let out = text
    .replace(/(?<![\w.])\/(tmp|var\/log|data|etc\/services)\b/g, (_m, p: string) => `${dir}/${p}`)
    .replace(/\bcollector\.example\b/g, '127.0.0.1');
  for (const [from, to] of ports) out = out.replace(new RegExp(`\\b${from}\\b`, 'g'), String(to));
  return out;
}

interface Running {
  words: string[];
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(s: Scratch, words: string[]): Running {
  const child = spawn(process.execPath, [BIN, ...words], { cwd: s.dir, env: s.env });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    // Keep the end only: a dump can print a lot.
    out = (out + d).slice(-65536);
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-65536);
  });
  return { words, child, stdout: () => out, stderr: () => err, exited: exited(child) };
}

/** Every file under `dir` (hidden in-progress files too), for finding where a fed line came out. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** The marker on stdout or in a file under the scratch directory, not counting where it was fed in. */
function lineCameOut(s: Scratch, r: Running, marker: string, fedAt: string): boolean {
  if (r.stdout().includes(marker)) return true;
  return filesUnder(s.dir).some((f) => {
    if (f.startsWith(fedAt)) return false;
    // An in-progress file listed a moment ago may have been renamed since (a roll or a spool rename).
    try {
      return statSync(f).size < 8 << 20 && readFileSync(f, 'utf8').includes(marker);
    } catch {
      return false;
    }
  });
}

/**
 * How to see that a command that runs until stopped works: the port its source listens on accepts,
 * and a line fed to the file it tails or the directory it spools comes out (on stdout or in a file
 * under the scratch directory). Undefined when the command is expected to end by itself.
 */
function watcher(s: Scratch, words: string[]): ((r: Running) => Promise<void>) | undefined {
  const text = words.join(' ');
  if (!['node', 'dump', 'agent'].includes(words[0]!)) return undefined;
  let spec = text;
  const specFile = words.find((w) => w.endsWith('.spec'));
  if (specFile) spec += readFileSync(join(s.dir, specFile), 'utf8');
  const conf = words.find((w) => w.endsWith('.conf'));
  if (words[0] === 'agent' && !words.includes('--check') && conf) {
    const props = readFileSync(join(s.dir, conf), 'utf8');
    const spoolDir = /^\s*[\w-]+\.sources\.[\w-]+\.spoolDir\s*=\s*(\S+)/m.exec(props)?.[1];
    return async (r) => {
      if (spoolDir === undefined)
        throw new Error(`${text}: an agent with no spooldir source: teach the docs test`);
      const marker = `docs example line ${Date.now()}`;
      writeFileSync(join(spoolDir, 'docs-example.log'), `${marker}\n`);
      await waitFor(
        () => lineCameOut(s, r, marker, spoolDir),
        `the spooled line out of: sluice ${text}`,
        30_000,
      );
    };
  }
  const tailed = /\btail\("([^"]+)"/.exec(spec)?.[1];
  const listening = [
    ...spec.matchAll(/:\s*(collectorSource|syslogTcp|avroSource|rpcSource)\b(?:\((\d+))?/g),
  ].map((m) => (m[2] === undefined ? s.ports.get('35853')! : Number(m[2])));
  if (tailed === undefined && listening.length === 0) return undefined;
  return async (r) => {
    // Process start-up on a loaded machine: 60 s.
    for (const port of listening) await waitForPort(port, `port ${port} of: sluice ${text}`, 60_000);
    if (tailed === undefined) return;
    const file = join(s.dir, tailed.replace(new RegExp(`^${s.dir}/`), ''));
    const marker = `docs example line ${Date.now()}`;
    // Fed until it comes out: a source reading from the end only sees lines written after it opened.
    await waitFor(
      () => {
        writeFileSync(file, `${marker}\n`, { flag: 'a' });
        return lineCameOut(s, r, marker, file);
      },
      `a line fed to ${tailed} to come out of: sluice ${text}`,
      30_000,
      200,
    );
  };
}

async function stop(r: Running): Promise<void> {
  r.child.kill('SIGTERM');
  // Against a hang: a clean stop on a loaded machine can take a while.
  const guard = setTimeout(() => r.child.kill('SIGKILL'), 60_000);
  const code = await r.exited;
  clearTimeout(guard);
  assert.equal(code, 0, `sluice ${r.words.join(' ')} did not stop cleanly on SIGTERM:\n${r.stderr()}`);
}

for (const b of examples.filter((x) => x.kind === 'sh')) {
  const lines = b.text.split('\n').map((l, i) => ({ line: b.line + i, words: shellWords(l) }));
  // `sluice ...` or `npx sluice ...`, up to a pipe or another command (`| head -2` needs no checking).
  const commands = lines
    .map((c) => ({ ...c, words: c.words[0] === 'npx' ? c.words.slice(1) : c.words }))
    .filter((c) => c.words[0] === 'sluice')
    .map((c) => {
      const stop = c.words.findIndex((w) => ['|', '||', '&&', ';', '>', '2>&1'].includes(w));
      return { ...c, words: c.words.slice(1, stop < 0 ? undefined : stop) };
    });
  const mkdirs = lines
    .filter((c) => c.words[0] === 'mkdir')
    .flatMap((c) => c.words.slice(1).filter((w) => !w.startsWith('-')));
  if (commands.length === 0) continue;
  test(`the sluice commands of ${where(b)} run`, { timeout: 300_000 }, async (t) => {
    const s = await scratch(t);
    for (const d of mkdirs)
      mkdirSync(join(s.dir, rewrite(d, s.dir, s.ports).replace(new RegExp(`^${s.dir}/`), '')), {
        recursive: true,
      });
    const running: Running[] = [];
    try {
      for (const c of commands) {
        const words = c.words.map((w) => rewrite(w, s.dir, s.ports));
        const label = `${b.file}:${c.line}: sluice ${words.join(' ')}`;
        const r = start(s, words);
        const watch = watcher(s, words);
        if (watch === undefined) {
          const guard = setTimeout(() => r.child.kill('SIGKILL'), 60_000);
          const code = await r.exited;
          clearTimeout(guard);
          assert.equal(code, 0, `${label} exited ${code}:\n${r.stderr()}`);
          if (words[0] === 'dump') assert.notEqual(r.stdout(), '', `${label} printed nothing`);
          continue;
        }
        running.push(r);
        const ended = r.exited.then((code) => {
          throw new Error(`${label} ended (status ${code}) instead of running:\n${r.stderr()}`);
        });
        await Promise.race([watch(r), ended]);
        ended.catch(() => {});
      }
      for (const r of running.reverse()) await stop(r);
      running.length = 0;
    } finally {
      for (const r of running) r.child.kill('SIGKILL');
    }
    // What the finite examples promise, checked on their output.
    const out = join(s.dir, 'out.log');
    if (commands.some((c) => c.words.includes('out.log')))
      assert.equal(
        readFileSync(out, 'utf8'),
        readFileSync(join(s.dir, 'in.log'), 'utf8'),
        relative(s.dir, out),
      );
  });
}
