import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSpec } from '../flow/compile.js';
import { NodeManager } from '../flow/node-manager.js';
import { parseSpec } from '../spec/parser.js';
import { type OptionSpec, optString, parseArgs, usage } from './args.js';
import type { Command } from './command.js';
import { loadEnv } from './env.js';

const OPTIONS: OptionSpec[] = [
  { name: 'lines', help: 'lines in the generated log (default 5000)' },
  { name: 'keep', flag: true, help: 'keep the demo directory' },
  { name: 'help', short: 'h', flag: true, help: 'show this help' },
];

/**
 * `sluice demo`: the whole local data plane on embedded defaults, nothing to install or configure.
 * It writes a web-server-like log, runs it through decorators that batch, compress, decompress and
 * unbatch it into a file, samples it to the console, checks the output is byte-identical, and
 * measures a synthetic source into the null sink.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run a local flow end to end on embedded defaults and check its output',
  async run(argv) {
    const p = parseArgs('demo', argv, OPTIONS);
    if (p.options.has('help')) {
      process.stdout.write(`${usage('demo', '[options]', OPTIONS)}\n`);
      return 0;
    }
    const lines = Number(optString(p, 'lines') ?? 5000);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
    const input = join(dir, 'access.log');
    const output = join(dir, 'copy.log');
    writeFileSync(input, webLog(lines));
    const specText = [
      `demo : text(${JSON.stringify(input)}) | [`,
      `  { value("pipeline", "demo") => { batch(100) => { gzip => { gunzip => { unbatch => text(${JSON.stringify(output)}) } } } } },`,
      `  { intervalSampler(${Math.max(1, Math.floor(lines / 3))}) => console }`,
      '] ;',
      'synthetic : asciisynth(1000000, 100) | null ;',
    ].join('\n');
    process.stdout.write(`sluice demo: running this spec (in ${dir}):\n\n${specText}\n\n`);
    const env = loadEnv({});
    const nodes = compileSpec(parseSpec(specText, '<demo>'), {
      catalog: env.catalog,
      context: env.context,
      file: '<demo>',
    });
    const manager = new NodeManager(env.logger);
    const started = process.hrtime.bigint();
    for (const n of nodes) await manager.replace(n);
    await manager.settled();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    let ok = true;
    for (const r of manager.reports()) {
      process.stdout.write(
        `node ${r.name}: ${r.state}, ${r.events} events in ${r.batches} batches${r.error ? `, error: ${r.error}` : ''}\n`,
      );
      if (r.state !== 'IDLE') ok = false;
    }
    const same = ok && readFileSync(input).equals(readFileSync(output));
    const synthetic = manager.get('synthetic');
    if (synthetic)
      process.stdout.write(
        `asciisynth -> null: ${Math.round(synthetic.events / seconds).toLocaleString('en-US')} events/s (lower bound: both nodes ran together for ${seconds.toFixed(2)} s)\n`,
      );
    process.stdout.write(
      `${lines} lines through batch/gzip/gunzip/unbatch: output ${same ? 'byte-identical to input' : 'DIFFERS from input'}\n`,
    );
    if (!p.options.has('keep')) rmSync(dir, { recursive: true, force: true });
    return same ? 0 : 1;
  },
};

function webLog(n: number): string {
  const paths = ['/', '/index.html', '/api/orders', '/static/app.js', '/login'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.0.${(i >> 8) & 255}.${i & 255}`;
    const t = new Date(Date.UTC(2026, 10, 26, 10, 0, 0) + i * 37).toISOString();
    out.push(
      `${ip} - - [${t}] "GET ${paths[i % paths.length]} HTTP/1.1" ${i % 17 === 0 ? 500 : 200} ${100 + (i % 900)}`,
    );
  }
  return `${out.join('\n')}\n`;
}
