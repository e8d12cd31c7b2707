import { readFileSync } from 'node:fs';
import { asSluiceError } from '../core/errors.js';
import { commandUsage, MASTER_COMMANDS } from './commands.js';
import { MasterFailover } from './failover.js';
import type { MasterInfo } from './leader.js';
import type { CommandRecord, NodeStatus } from './master.js';
import { shellWords } from './shell-words.js';
import type { LogicalConfig } from './store.js';
import { formatConfigs, formatMasters, formatStatus, type TranslatedView } from './tables.js';
import type { MasterAddress, MasterTls } from './wire.js';

export interface ShellOptions {
  token?: string | undefined;
  /** Set: the admin port speaks HTTPS. */
  tls?: MasterTls | undefined;
  /** The admin port a `connect host` without a port uses. */
  defaultPort: number;
  /** Only print command results (no connection lines). */
  quiet: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Between two polls of `exec`, `wait` and `waitFor...`. */
  pollMs?: number;
}

/** What a shell line came to: the script goes on after `ok`, stops after `failed` (in a script) and `quit`. */
export type LineResult = 'ok' | 'failed' | 'quit';

const ACTIVE = new Set(['ACTIVE', 'CONFIGURING']);
const DONE = new Set(['IDLE', 'ERROR', 'LOST']);

export const SHELL_COMMANDS: readonly string[] = [
  'connect',
  'exec',
  'submit',
  'wait',
  'waitForNodesActive',
  'waitForNodesDone',
  'getnodestatus',
  'getconfigs',
  'getmasters',
  'source',
  'help',
  'quit',
];

const HELP = `Shell commands:
  connect host[:port][,host:port]  connect to a master's admin port (default port ${'%PORT%'}); several: failover
  exec CMD [ARG...]                run a master command and wait for its result
  submit CMD [ARG...]              queue a master command; prints its id
  wait MS [CMDID]                  wait up to MS ms (0: no limit) for the command (default: the last submitted)
  waitForNodesActive MS NODE...    wait up to MS ms until every NODE is ACTIVE or CONFIGURING
  waitForNodesDone MS NODE...      wait up to MS ms until every NODE is IDLE, ERROR or LOST
  getnodestatus                    the state of every logical node
  getconfigs                       the configuration of every logical node
  getmasters                       the masters sharing the store, and which one leads translation
  source FILE                      run the shell commands of FILE
  help, quit
A master command typed without exec is exec'd. Words in "double quotes" are Java-unescaped; words in
'single quotes' are taken as they are. Master commands:
${MASTER_COMMANDS.map((c) => `  ${commandUsage(c)}`).join('\n')}`;

/**
 * Flume's command shell over the master's admin port: the shell's own commands (connect, exec, submit,
 * wait, waitFor..., source) and the master's commands. Each line ends `ok`, `failed` (a command FAILED,
 * a wait timed out, the master did not answer) or `quit`.
 */
export class Shell {
  private masters: MasterFailover | undefined;
  lastSubmitted: number | undefined;

  constructor(private readonly opts: ShellOptions) {}

  /** The master commands go to now, if connected. */
  get address(): MasterAddress | undefined {
    return this.masters?.address;
  }

  get prompt(): string {
    const a = this.address;
    return a === undefined ? '[flume (disconnected)] ' : `[flume ${a.host}:${a.port}] `;
  }

  /** `host[:port]`, or several masters sharing a store: `host:port,host:port` (the next when one dies). */
  connect(target: string): void {
    this.masters = MasterFailover.parse(
      target,
      this.opts.defaultPort,
      this.opts.token,
      (from, to) =>
        this.opts.err(
          `master ${from.host}:${from.port} did not answer; now connected to ${to.host}:${to.port}`,
        ),
      this.opts.tls,
    );
    if (!this.opts.quiet) this.opts.err(`Connecting to Flume master ${this.masters.describe()}...`);
  }

  async line(text: string): Promise<LineResult> {
    try {
      const words = shellWords(text);
      if (words.length === 0 || words[0]!.startsWith('#')) return 'ok';
      return await this.command(words[0]!, words.slice(1));
    } catch (e) {
      this.opts.err(`ERROR ${asSluiceError(e).oneLine()}`);
      return 'failed';
    }
  }

  private async command(name: string, args: string[]): Promise<LineResult> {
    switch (name) {
      case 'quit':
      case 'exit':
        return 'quit';
      case 'help':
      case '?':
        this.opts.out(HELP.replace('%PORT%', String(this.opts.defaultPort)));
        return 'ok';
      case 'connect':
        if (args.length !== 1) return this.usage('connect host[:port]');
        this.connect(args[0]!);
        await this.get('/status');
        return 'ok';
      case 'exec':
        if (args.length === 0) return this.usage('exec CMD [ARG...]');
        return this.exec(args[0]!, args.slice(1));
      case 'submit': {
        if (args.length === 0) return this.usage('submit CMD [ARG...]');
        const rec = await this.post(args[0]!, args.slice(1));
        this.lastSubmitted = rec.id;
        this.opts.out(`[id: ${rec.id}] Submitted command : ${[rec.cmd, ...rec.args].join(' ')}`);
        return 'ok';
      }
      case 'wait':
        return this.wait(args);
      case 'waitForNodesActive':
      case 'waitForNodesDone':
        return this.waitForNodes(name === 'waitForNodesActive' ? ACTIVE : DONE, name, args);
      case 'getnodestatus':
        this.opts.out(formatStatus(await this.get<NodeStatus[]>('/status')));
        return 'ok';
      case 'getconfigs':
        {
          const got = await this.get<{ configs: LogicalConfig[] } & TranslatedView>('/configs');
          this.opts.out(formatConfigs(got.configs, got));
        }
        return 'ok';
      case 'getmasters':
        this.opts.out(formatMasters(await this.get<MasterInfo[]>('/masters')));
        return 'ok';
      case 'source':
        if (args.length !== 1) return this.usage('source FILE');
        return this.source(args[0]!);
      default:
        if (MASTER_COMMANDS.includes(name)) return this.exec(name, args);
        this.opts.err(`ERROR unknown command "${name}"; type help for the list`);
        return 'failed';
    }
  }

  private usage(text: string): LineResult {
    this.opts.err(`ERROR usage: ${text}`);
    return 'failed';
  }

  private target(): MasterFailover {
    if (this.masters === undefined) throw new Error('not connected to a master: connect host:port first');
    return this.masters;
  }

  private get<T>(path: string): Promise<T> {
    return this.target().call<T>('GET', path);
  }

  private post(cmd: string, args: string[]): Promise<CommandRecord> {
    return this.target().call<CommandRecord>('POST', '/commands', { cmd, args });
  }

  private async exec(cmd: string, args: string[]): Promise<LineResult> {
    const rec = await this.post(cmd, args);
    const done = await this.until(
      0,
      () => this.get<CommandRecord>(`/commands/${rec.id}`),
      (r) => r.state !== 'PENDING',
    );
    return this.settled(done!);
  }

  private settled(rec: CommandRecord): LineResult {
    const head = `[id: ${rec.id}] ${[rec.cmd, ...rec.args].join(' ')} ${rec.state}`;
    if (rec.state === 'FAILED') {
      this.opts.err(`${head}: ${rec.message}`);
      return 'failed';
    }
    this.opts.out(
      rec.message.includes('\n')
        ? `${head}\n${rec.message}`
        : `${head}${rec.message ? `: ${rec.message}` : ''}`,
    );
    return 'ok';
  }

  private async wait(args: string[]): Promise<LineResult> {
    const ms = Number(args[0]);
    const id = args[1] !== undefined ? Number(args[1]) : this.lastSubmitted;
    if (args.length < 1 || args.length > 2 || !(ms >= 0) || id === undefined || !Number.isInteger(id))
      return this.usage('wait MS [CMDID] (CMDID defaults to the last submitted command)');
    const rec = await this.until(
      ms,
      () => this.get<CommandRecord>(`/commands/${id}`),
      (r) => r.state !== 'PENDING',
    );
    if (rec === undefined) {
      this.opts.err(`ERROR command ${id} still PENDING after ${ms} ms`);
      return 'failed';
    }
    return this.settled(rec);
  }

  private async waitForNodes(want: Set<string>, name: string, args: string[]): Promise<LineResult> {
    const ms = Number(args[0]);
    const nodes = args.slice(1);
    if (!(ms >= 0) || nodes.length === 0) return this.usage(`${name} MS NODE...`);
    const reached = (list: NodeStatus[]) =>
      nodes.every((n) => {
        const s = list.find((x) => x.name === n);
        return s !== undefined && want.has(s.state);
      });
    const list = await this.until(ms, () => this.get<NodeStatus[]>('/status'), reached);
    if (list === undefined) {
      const now = await this.get<NodeStatus[]>('/status');
      const states = nodes
        .map((n) => {
          const s = now.find((x) => x.name === n);
          if (s === undefined) return `${n} unknown`;
          return s.error !== undefined ? `${n} ${s.state} (${s.error})` : `${n} ${s.state}`;
        })
        .join(', ');
      this.opts.err(`ERROR ${name} timed out after ${ms} ms: ${states}`);
      return 'failed';
    }
    if (!this.opts.quiet) this.opts.out(`${nodes.join(', ')}: ${[...want].join(' or ')}`);
    return 'ok';
  }

  /** Polls `get` until `ok` holds (undefined after `ms`; 0: no limit). */
  private async until<T>(ms: number, get: () => Promise<T>, ok: (v: T) => boolean): Promise<T | undefined> {
    const deadline = ms === 0 ? Number.POSITIVE_INFINITY : Date.now() + ms;
    for (;;) {
      const v = await get();
      if (ok(v)) return v;
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) =>
        setTimeout(r, Math.min(this.opts.pollMs ?? 50, Math.max(1, deadline - Date.now()))),
      );
    }
  }

  /** Runs the lines of a script, stopping at the first that fails or quits. */
  async script(text: string): Promise<LineResult> {
    for (const l of text.split('\n')) {
      const r = await this.line(l);
      if (r !== 'ok') return r;
    }
    return 'ok';
  }

  private source(file: string): Promise<LineResult> {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw asSluiceError(e, 'SLUICE_IO', { file });
    }
    return this.script(text);
  }
}
