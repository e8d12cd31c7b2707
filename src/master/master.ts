import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isAbsolute, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { asSluiceError, portInUseOf, SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { PipelineReport } from '../flow/report.js';
import type { NodeSpec, Spec } from '../spec/ast.js';
import { parseSink, parseSource, parseSpec } from '../spec/parser.js';
import { printCall, printNode, printSink } from '../spec/printer.js';
import { type AckBounds, ackBounds, checkAcks, recordAcks } from './acks.js';
import { atomicWrite } from './atomic.js';
import { COMMANDS, MASTER_COMMANDS } from './commands.js';
import { type CompactStatus, compactStatus, isLost } from './fleet-status.js';
import { setFlow } from './flows.js';
import { type MasterGroup, type MasterInfo, SoleMaster } from './leader.js';
import {
  type ConfigStore,
  emptyData,
  type LogicalConfig,
  type MasterData,
  PAST_LIMIT,
  StoreConflict,
} from './store.js';
import { recordHeldPort, retranslate, translationOf } from './translate.js';
import { Undo } from './undo.js';

/**
 * How long the first heartbeats of new nodes gather before they are written as one join batch: a
 * little latency on a node's first heartbeat, against a whole-state write per node.
 */
const JOIN_GATHER_MS = 25;

/** Checks a spec completely (names, arguments) without running it; throws a placed SluiceError. */
export type SpecChecker = (spec: Spec, file: string) => void;

export type CommandState = 'PENDING' | 'SUCCEEDED' | 'FAILED';

export interface CommandRecord {
  id: number;
  cmd: string;
  args: string[];
  state: CommandState;
  message: string;
  time: number;
}

/** The seed's node states, as the master shows them. */
export type NodeState = 'HELLO' | 'CONFIGURING' | 'ACTIVE' | 'IDLE' | 'ERROR' | 'DECOMMISSIONED' | 'LOST';

export interface NodeStatus {
  name: string;
  physical: string;
  host: string;
  state: NodeState | string;
  /** The configuration version the node runs (0: none yet). */
  version: number;
  /** What became of the last configuration the master sent: APPLIED, or FAILED with `error`. */
  applied?: 'APPLIED' | 'FAILED' | undefined;
  error?: string | undefined;
  lastSeen: number;
  report?: PipelineReport | undefined;
}

/** One logical node as a physical node reports it in a heartbeat. */
export interface LogicalHeartbeat {
  name: string;
  state: string;
  version: number;
  applied?: 'APPLIED' | 'FAILED';
  error?: string;
  report?: PipelineReport;
}

export interface Heartbeat {
  physical: string;
  host: string;
  /** Random per node process: tells a second process using the same name from the first. */
  instance?: string;
  /** The node's heartbeat period: LOST after three of them without one. */
  periodMs: number;
  nodes: LogicalHeartbeat[];
  /** Where the heartbeat came from (set by the master's server, not the node): peers reach it there. */
  address?: string;
}

/** What a node is to run: its logical nodes, each with its version and spec (none: not configured). */
export interface HeartbeatReply {
  nodes: { name: string; version: number; spec?: string }[];
  periodMs: number;
}

export interface MasterOptions {
  store: ConfigStore;
  logger: Logger;
  /**
   * The directory `save` and `load` names are read and written in (`sluice master`: the store
   * directory); names that leave it are refused. Without it, names are paths as given (tests, embedding).
   */
  fileDir?: string;
  check?: SpecChecker;
  /** Heartbeats missed before a node is LOST. */
  missedHeartbeats?: number;
  /** The first port the master assigns to logicalSource and collectorSource (flume.collector.port). */
  basePort?: number;
  /** How many acknowledged tags are kept and how long (acks.ts; default ackBounds(60 s)). */
  acks?: AckBounds;
  /** This master's admin address, as `GET /masters` shows it (several masters on a shared store). */
  address?: string;
  /** How often the node status is published to the other masters: the fleet's heartbeat period. */
  statusPeriodMs?: number;
  /** When the leader forgets the published status of a master stopped for good (default an hour). */
  forgetStoppedMastersMs?: number;
  now?: () => number;
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The spec text of one logical node configuration. */
export function configSpec(c: LogicalConfig): string {
  return `${c.name} : ${c.source} | ${c.sink} ;`;
}

/**
 * The master: logical node configurations (each with a version), the mapping of logical nodes to
 * physical nodes, the nodes' status from their heartbeats, and one command processor that runs the
 * commands of the shell (and later the web forms) one after the other, keeping a history.
 */
export class Master {
  data: MasterData = emptyData();
  private readonly status = new Map<string, NodeStatus>();
  private readonly periods = new Map<string, number>();
  /** The process heartbeating as each physical node, and when it last did. */
  private readonly instances = new Map<string, { instance: string; host: string; lastSeen: number }>();
  private readonly refused = new Set<string>();
  private queue: Promise<void>;
  /** Resolves once the store's state is loaded; rejects when it cannot be. */
  readonly ready: Promise<void>;
  private readonly now: () => number;
  /** Logical nodes with a collectorSource -> the physical node they are mapped to, for `collectorsOf`. */
  private collectors = new Map<string, string | undefined>();
  private collectorsOf: MasterData | undefined;
  /** The masters sharing the store: who leads translation, what the others' nodes report. */
  private readonly group: MasterGroup;
  private recheck: Promise<void> | undefined;
  /** First heartbeats waiting for the next join batch, by physical node (the first one counts). */
  private readonly joining = new Map<string, Heartbeat>();
  /** The queued batch the heartbeats in `joining` wait for. */
  private joinBatch: Promise<unknown> | undefined;
  /** The undo record of the change being applied (undefined: no change runs). */
  private undo: Undo | undefined;
  /** Undo records of the changes applied and not yet durable, oldest first (unshared stores). */
  private unsaved: Undo[] = [];
  /** Changes applied since the save in flight began: the next save holds them. */
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** The save loop, while changes wait to be durable. */
  private saving: Promise<void> | undefined;
  /**
   * Every logical node mapped to some physical node, for the join batches (a newcomer takes its own
   * name only when no one has it). Joins keep it up to date; any other change drops it, to be built
   * again at the next join batch.
   */
  private mapped: Set<string> | undefined;
  /** Commands run but not finished (waiting for their save), so `idle` waits for them too. */
  private readonly finishing = new Set<Promise<void>>();

  constructor(private readonly opts: MasterOptions) {
    this.now = opts.now ?? Date.now;
    this.ready = opts.store.load().then((d) => {
      this.data = d;
      this.mapped = undefined;
      // A state stored before translations existed gets them now; saved with the next change.
      translationOf(this.data);
      this.translate();
    });
    this.queue = this.ready.catch(() => undefined);
    // Another master changed the shared state: it is read again between two commands.
    opts.store.onChange?.(() => void this.serially(() => this.reload()));
    const address = opts.address ?? `${hostname()}/${randomUUID().slice(0, 8)}`;
    this.group =
      opts.store.masters?.({
        address,
        periodMs: opts.statusPeriodMs ?? 5000,
        ...(opts.forgetStoppedMastersMs !== undefined
          ? { forgetStoppedMs: opts.forgetStoppedMastersMs }
          : {}),
      }) ?? new SoleMaster(address);
    this.group.start(
      () => this.publishable(),
      () =>
        void this.watchCollectors().catch((e) =>
          opts.logger.warn(`translating after a collector came or went: ${asSluiceError(e).oneLine()}`),
        ),
    );
  }

  private async reload(): Promise<void> {
    try {
      this.data = await this.opts.store.load();
      this.mapped = undefined;
      translationOf(this.data);
    } catch (e) {
      this.opts.logger.warn(`reloading the master state: ${asSluiceError(e).oneLine()}`);
    }
  }

  /** Runs `fn` after everything queued before it; the queue goes on whatever `fn` does. */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  /**
   * Applies a change to the state and saves it; resolves with what the change returned once the state
   * holding it is durable. The change runs after everything queued before it.
   */
  private async mutate<T>(
    change: () => T,
    translate: (out: T) => boolean = () => true,
    joins = false,
  ): Promise<T> {
    if (this.opts.store.shared) return this.serially(() => this.mutateShared(change, translate));
    const { out, saved } = await this.serially(async () => {
      // A state that could not be loaded must not be overwritten by one built from nothing.
      await this.ready;
      // The change and its wait for a save go together: a save that holds the change also answers it.
      const out = this.apply(change, translate, joins);
      return { out, saved: this.durable() };
    });
    await saved;
    return out;
  }

  /**
   * Runs a change on the state in memory, with its undo record, and translates again when the change
   * may have touched a translation (`translate`): a change that throws is taken back at once.
   */
  private apply<T>(change: () => T, translate: (out: T) => boolean, joins = false): T {
    const undo = new Undo();
    this.undo = undo;
    if (!joins) this.mapped = undefined;
    try {
      const out = change();
      if (translate(out)) this.translate();
      if (!undo.empty) this.unsaved.push(undo);
      return out;
    } catch (e) {
      undo.undo();
      this.derive();
      throw e;
    } finally {
      this.undo = undefined;
    }
  }

  /** A change was taken back: what the master derives from the state is derived again. */
  private derive(): void {
    this.mapped = undefined;
    this.findCollectors();
  }

  /** Keeps `obj[key]` in the undo record of the change being applied, before the change writes it. */
  private keep<O extends object>(obj: O, key: string & keyof O): void;
  private keep(obj: Record<string, unknown>, key: string): void;
  private keep(obj: object, key: string): void {
    this.undo?.keep(obj as Record<string, unknown>, key);
  }

  /**
   * Group commit: resolves once a save begun after this call is durable. While one save is in flight,
   * the changes applied meanwhile wait together for the next, so a busy master writes its state once
   * per save time, not once per change; each change is still answered only once it is durable.
   */
  private durable(): Promise<void> {
    const saved = new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.saving ??= this.saveLoop();
    });
    // Awaited by the caller a few turns later; a failure is not unhandled meanwhile.
    saved.catch(() => undefined);
    return saved;
  }

  private async saveLoop(): Promise<void> {
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      const held = this.unsaved;
      this.unsaved = [];
      try {
        // The store reads the state before its save returns: the changes applied from here on are not in it.
        await this.opts.store.save(this.data);
        for (const w of group) w.resolve();
      } catch (e) {
        // The changes applied since were built on the ones that could not be saved: all are taken back,
        // newest first, and fail with the store's error.
        const all = [...held, ...this.unsaved];
        for (let i = all.length - 1; i >= 0; i--) all[i]!.undo();
        this.unsaved = [];
        this.derive();
        const failed = [...group, ...this.waiting];
        this.waiting = [];
        for (const w of failed) w.reject(e);
      }
    }
    this.saving = undefined;
  }

  /**
   * A shared store: the state is loaded first (another master may have changed it), and a save that
   * lost the race to another master's runs the change again on the newer state. A change that throws,
   * or cannot be saved, leaves the state as it was.
   */
  private async mutateShared<T>(change: () => T, translate: (out: T) => boolean): Promise<T> {
    await this.ready;
    for (let attempt = 1; ; attempt++) {
      this.data = await this.opts.store.load();
      translationOf(this.data);
      const out = this.apply(change, translate);
      const undo = this.unsaved;
      this.unsaved = [];
      try {
        await this.opts.store.save(this.data);
        return out;
      } catch (e) {
        for (let i = undo.length - 1; i >= 0; i--) undo[i]!.undo();
        this.derive();
        if (!(e instanceof StoreConflict) || attempt >= 10) throw e;
      }
    }
  }

  /**
   * Queues a command; it runs after those submitted before it. Resolves with its record (PENDING) once
   * the store gave it an id.
   */
  submit(cmd: string, args: readonly string[]): Promise<CommandRecord> {
    return this.enqueue(cmd, args).logged;
  }

  /** Runs a command and resolves with its record once it SUCCEEDED or FAILED. */
  async exec(cmd: string, args: readonly string[]): Promise<CommandRecord> {
    const { logged, finished } = this.enqueue(cmd, args);
    await finished;
    return logged;
  }

  /**
   * Queues a command: `logged` resolves with its record once the store gave it an id, `finished` once
   * it SUCCEEDED or FAILED. The queue moves on to the next command as soon as a change is applied in
   * memory; the command itself finishes once its save is durable (group commit, `durable`).
   */
  private enqueue(
    cmd: string,
    args: readonly string[],
  ): { logged: Promise<CommandRecord>; finished: Promise<void> } {
    const rec: CommandRecord = {
      id: 0,
      cmd,
      args: [...args],
      state: 'PENDING',
      message: '',
      time: this.now(),
    };
    const logged = this.opts.store.history.append(rec).then((id) => {
      rec.id = id;
      return rec;
    });
    const finished = this.serially(async () => {
      await logged;
      return this.run(rec);
    })
      .then(({ saved }) => saved)
      .then(() => this.opts.store.history.update(rec))
      .catch((e) => this.opts.logger.warn(`command ${rec.cmd}: ${asSluiceError(e).oneLine()}`));
    this.finishing.add(finished);
    void finished.finally(() => this.finishing.delete(finished));
    return { logged, finished };
  }

  command(id: number): Promise<CommandRecord | undefined> {
    return this.opts.store.history.get(id);
  }

  /** The last `n` commands, oldest first. */
  commands(n = 100): Promise<CommandRecord[]> {
    return this.opts.store.history.recent(n);
  }

  /**
   * Runs a command in the queue; resolves with `saved`, its end: a change waits there for its save
   * (outside the queue, so the next command's change joins the same save); anything else has ended.
   * (`saved` is wrapped: a promise returned as such would hold the queue until the save.)
   */
  private async run(rec: CommandRecord): Promise<{ saved: Promise<void> }> {
    const def = Object.hasOwn(COMMANDS, rec.cmd) ? COMMANDS[rec.cmd] : undefined;
    try {
      if (def === undefined)
        throw new SluiceError(
          'SLUICE_CONFIG',
          `unknown command "${rec.cmd}" (commands: ${MASTER_COMMANDS.join(', ')})`,
        );
      const [min, max] = def.args;
      if (rec.args.length < min || rec.args.length > max)
        throw new SluiceError(
          'SLUICE_CONFIG',
          `${rec.cmd} takes ${min === max ? min : `${min} to ${max}`} argument(s): ${def.usage}`,
        );
      if (!def.mutates) this.ended(rec, def.run(this, rec.args));
      else if (this.opts.store.shared)
        this.ended(
          rec,
          await this.mutateShared(
            () => def.run(this, rec.args),
            () => true,
          ),
        );
      else {
        await this.ready;
        const message = this.apply(
          () => def.run(this, rec.args),
          () => true,
        );
        const saved = this.durable().then(
          () => this.ended(rec, message),
          (e: unknown) => this.ended(rec, e),
        );
        return { saved };
      }
    } catch (e) {
      this.ended(rec, e);
    }
    return { saved: Promise.resolve() };
  }

  /** A command's end: its message (SUCCEEDED) or its error (FAILED), logged. */
  private ended(rec: CommandRecord, outcome: unknown): void {
    if (typeof outcome === 'string') {
      rec.message = outcome;
      rec.state = 'SUCCEEDED';
    } else {
      rec.message = asSluiceError(outcome).oneLine();
      rec.state = 'FAILED';
    }
    const line = `command ${rec.id} ${rec.cmd} ${rec.state}${rec.message ? `: ${rec.message}` : ''}`;
    if (rec.state === 'FAILED') this.opts.logger.warn(line);
    else this.opts.logger.info(line.split('\n')[0]!);
  }

  // --- commands ---------------------------------------------------------------------------------

  configure(name: string, source: string, sink: string): string {
    checkName(name, 'logical node');
    const file = `config ${name}`;
    const node: NodeSpec = {
      name,
      source: parseSource(source, `${file} source`),
      sink: parseSink(sink, `${file} sink`),
      pos: { line: 1, column: 1, offset: 0 },
    };
    const check = this.opts.check;
    if (check !== undefined) {
      // Each part is checked alone first, so an error names the argument (source or sink) it is in.
      const pos = node.pos;
      check({ nodes: [{ name, source: node.source, sink: parseSink('null'), pos }] }, `${file} source`);
      check({ nodes: [{ name, source: parseSource('null'), sink: node.sink, pos }] }, `${file} sink`);
      check({ nodes: [node] }, file);
    }
    return this.setConfigs([node]);
  }

  multiconfig(text: string, file: string): string {
    const spec = parseSpec(text, file);
    if (spec.nodes.length === 0)
      throw new SluiceError('SLUICE_CONFIG', `${file}: the spec defines no logical node`);
    this.opts.check?.(spec, file);
    return this.setConfigs(spec.nodes);
  }

  private setConfigs(nodes: readonly NodeSpec[]): string {
    const parts: string[] = [];
    for (const n of nodes) {
      const hash = hashOf(printNode(n));
      const prior = this.data.configs[n.name];
      if (prior !== undefined && prior.hash === hash) {
        parts.push(`${n.name} unchanged at version ${prior.version}`);
        continue;
      }
      const c = this.install({ name: n.name, source: printCall(n.source), sink: printSink(n.sink), hash });
      parts.push(`${n.name} version ${c.version}`);
    }
    return parts.join(', ');
  }

  /** Makes `c` the node's configuration under a new version; the one it replaces joins its past. */
  private install(c: Omit<LogicalConfig, 'version' | 'time'>): LogicalConfig {
    const prior = this.data.configs[c.name];
    if (prior !== undefined) {
      const past = [...(this.data.past[c.name] ?? []), prior];
      this.keep(this.data.past, c.name);
      this.data.past[c.name] = past.slice(-PAST_LIMIT);
    }
    this.keep(this.data, 'nextVersion');
    const next: LogicalConfig = { ...c, version: this.data.nextVersion++, time: this.now() };
    this.keep(this.data.configs, c.name);
    this.data.configs[c.name] = next;
    this.undecommission(c.name);
    return next;
  }

  /**
   * Returns a node to an earlier configuration: `version`, or the one before the current. It runs as a
   * new version (versions only grow), with the earlier text and hash.
   */
  rollback(name: string, version?: number): string {
    const past = this.data.past[name] ?? [];
    if (this.data.configs[name] === undefined && past.length === 0)
      throw new SluiceError('SLUICE_CONFIG', `unknown logical node "${name}"`);
    const target = version === undefined ? past.at(-1) : past.find((c) => c.version === version);
    if (target === undefined)
      throw new SluiceError(
        'SLUICE_CONFIG',
        version === undefined
          ? `logical node "${name}" has no earlier configuration`
          : `logical node "${name}" has no earlier version ${version} (kept: ${past.map((c) => c.version).join(', ') || 'none'})`,
      );
    const c = this.install({ name, source: target.source, sink: target.sink, hash: target.hash });
    return `${name} rolled back to version ${target.version} (now version ${c.version})`;
  }

  rollbackAll(): string {
    const names = Object.keys(this.data.configs).filter((n) => (this.data.past[n] ?? []).length > 0);
    if (names.length === 0)
      throw new SluiceError('SLUICE_CONFIG', 'no logical node has an earlier configuration');
    return names.map((n) => this.rollback(n)).join(', ');
  }

  refresh(names: readonly string[]): string {
    for (const name of names) {
      const c = this.data.configs[name];
      if (c === undefined) throw new SluiceError('SLUICE_CONFIG', `unknown logical node "${name}"`);
      this.keep(this.data, 'nextVersion');
      this.keep(c, 'version');
      this.keep(c, 'time');
      c.version = this.data.nextVersion++;
      c.time = this.now();
    }
    return names.length === 0 ? 'no logical node to refresh' : `refreshed ${names.join(', ')}`;
  }

  saveTo(name: string): string {
    const file = this.commandFile(name);
    const text = Object.values(this.data.configs).map(configSpec).join('\n');
    atomicWrite(file, `${text}\n`);
    return `saved ${Object.keys(this.data.configs).length} configuration(s) to ${file}`;
  }

  /** Where `save` or `load` NAME is: inside `fileDir` when the master has one, refused when it leaves it. */
  commandFile(name: string): string {
    const dir = this.opts.fileDir;
    if (dir === undefined) return name;
    const file = resolve(dir, name);
    if (name.includes('\0') || isAbsolute(name) || !file.startsWith(resolve(dir) + sep))
      throw new SluiceError(
        'SLUICE_CONFIG',
        `"${name}" is not a file name inside ${dir}: save and load read and write only there`,
      );
    return file;
  }

  spawn(physical: string, logical: string, flow?: string): string {
    checkName(physical, 'physical node');
    checkName(logical, 'logical node');
    if (flow !== undefined) checkName(flow, 'flow');
    const at = this.mappedTo(logical);
    if (at !== undefined)
      throw new SluiceError(
        'SLUICE_CONFIG',
        `logical node "${logical}" is already mapped to "${at}" (unmap ${at} ${logical} first)`,
      );
    const list = this.data.mappings[physical] ?? [];
    this.keep(this.data.mappings, physical);
    this.data.mappings[physical] = [...list, logical];
    this.undecommission(logical);
    this.keep(translationOf(this.data).flows, logical);
    setFlow(translationOf(this.data), logical, flow);
    return `${logical} mapped to ${physical}${flow === undefined ? '' : ` in flow ${flow}`}`;
  }

  unmap(physical: string, logical: string): string {
    const list = this.data.mappings[physical];
    if (list === undefined || !list.includes(logical))
      throw new SluiceError('SLUICE_CONFIG', `logical node "${logical}" is not mapped to "${physical}"`);
    this.keep(this.data.mappings, physical);
    this.data.mappings[physical] = list.filter((l) => l !== logical);
    this.status.delete(logical);
    return `${logical} unmapped from ${physical}`;
  }

  unmapAll(): string {
    let n = 0;
    for (const physical of Object.keys(this.data.mappings)) {
      n += this.data.mappings[physical]!.length;
      for (const l of this.data.mappings[physical]!) this.status.delete(l);
      this.keep(this.data.mappings, physical);
      this.data.mappings[physical] = [];
    }
    return `unmapped ${n} logical node(s)`;
  }

  decommission(logical: string): string {
    const at = this.mappedTo(logical);
    if (this.data.configs[logical] === undefined && at === undefined)
      throw new SluiceError('SLUICE_CONFIG', `unknown logical node "${logical}"`);
    this.keep(this.data.configs, logical);
    delete this.data.configs[logical];
    this.keep(this.data.past, logical);
    delete this.data.past[logical];
    this.keep(translationOf(this.data).flows, logical);
    setFlow(translationOf(this.data), logical, undefined);
    if (at !== undefined) {
      this.keep(this.data.mappings, at);
      this.data.mappings[at] = this.data.mappings[at]!.filter((l) => l !== logical);
    }
    if (!this.data.decommissioned.includes(logical)) {
      this.keep(this.data, 'decommissioned');
      this.data.decommissioned = [...this.data.decommissioned, logical];
    }
    this.status.delete(logical);
    return `${logical} decommissioned`;
  }

  /** A logical node configured or spawned again is no longer reported DECOMMISSIONED. */
  private undecommission(logical: string): void {
    if (!this.data.decommissioned.includes(logical)) return;
    this.keep(this.data, 'decommissioned');
    this.data.decommissioned = this.data.decommissioned.filter((d) => d !== logical);
  }

  private mappedTo(logical: string): string | undefined {
    for (const [physical, list] of Object.entries(this.data.mappings))
      if (list.includes(logical)) return physical;
    return undefined;
  }

  // --- nodes ------------------------------------------------------------------------------------

  /**
   * A physical node's heartbeat: records its logical nodes' status and answers what they are to run.
   * A physical node seen for the first time gets the logical node of its own name, as in Flume.
   */
  async heartbeat(hb: Heartbeat): Promise<HeartbeatReply> {
    await this.ready;
    const now = this.now();
    this.claim(hb, now);
    this.periods.set(hb.physical, hb.periodMs);
    if (this.data.mappings[hb.physical] === undefined) await this.joinSoon(hb);
    const mine = new Set(this.data.mappings[hb.physical] ?? []);
    await this.learnAddress(hb);
    for (const n of hb.nodes) {
      if (!mine.has(n.name)) continue;
      this.status.set(n.name, {
        name: n.name,
        physical: hb.physical,
        host: hb.host,
        state: n.state,
        version: n.version,
        applied: n.applied,
        error: n.error,
        lastSeen: now,
        report: n.report,
      });
    }
    for (const name of mine)
      if (!this.status.has(name))
        this.status.set(name, {
          name,
          physical: hb.physical,
          host: hb.host,
          state: 'HELLO',
          version: 0,
          lastSeen: now,
        });
    await this.movePortsHeld(hb, mine);
    await this.watchCollectors();
    const translated = translationOf(this.data).translated;
    return {
      periodMs: hb.periodMs,
      nodes: [...mine].map((name) => {
        const c = this.data.configs[name];
        if (c === undefined) return { name, version: 0 };
        const t = translated[name];
        return t === undefined
          ? { name, version: c.version, spec: configSpec(c) }
          : { name, version: t.version, spec: t.spec };
      }),
    };
  }

  // --- acknowledgements -------------------------------------------------------------------------

  private get ackBounds(): AckBounds {
    return this.opts.acks ?? ackBounds(60_000);
  }

  /**
   * Records ack groups a collector acknowledged (the data is durable), saved in the store before the
   * request that carried them is answered, so the node forgets them only once any master can answer.
   */
  acknowledge(tags: readonly string[]): Promise<void> {
    return this.mutate(
      () => {
        // The table is copied, not kept key by key: its order is the age order expiry relies on.
        this.keep(this.data, 'acks');
        this.data.acks = { ...this.data.acks };
        recordAcks(this.data, tags, this.now(), this.ackBounds);
      },
      () => false,
    );
  }

  /** The tags of `tags` that are acknowledged: what an agent asks before deleting its logged groups. */
  async checkAck(tags: readonly string[]): Promise<string[]> {
    await this.ready;
    return checkAcks(this.data, tags, this.now(), this.ackBounds);
  }

  /**
   * Joins go in batches: every first heartbeat that arrives while a change runs (or before the queued
   * batch starts) is written with the others in one change, so a fleet joining at once pays one
   * translation and store write per batch, not per node (and no translation at all when the nodes that
   * joined have no configuration yet: nothing translated can name them). A batch gathers first
   * heartbeats for JOIN_GATHER_MS before it is queued, so a fleet rolled out at hundreds of nodes a
   * second costs a few whole-state writes a second, not one per node, and the steady heartbeats of the
   * nodes already joined are answered in between. The node's address goes in the same write.
   */
  private joinSoon(hb: Heartbeat): Promise<void> {
    if (!this.joining.has(hb.physical)) this.joining.set(hb.physical, hb);
    const batch = (this.joinBatch ??= sleep(JOIN_GATHER_MS).then(() =>
      this.mutate(
        () => {
          const batch = [...this.joining.values()];
          this.joining.clear();
          this.joinBatch = undefined;
          const mapped = this.mappedLogicals();
          for (const b of batch) {
            this.join(b, mapped);
            if (b.address !== undefined) this.setAddress(b.physical, b.address);
          }
          return batch.map((b) => b.physical);
        },
        (joined) => joined.some((p) => this.runsConfigured(p)),
        true,
      ),
    ));
    return batch.then(() => undefined);
  }

  private mappedLogicals(): Set<string> {
    if (this.mapped === undefined) {
      this.mapped = new Set();
      for (const physical in this.data.mappings)
        for (const l of this.data.mappings[physical]!) this.mapped.add(l);
    }
    return this.mapped;
  }

  /** A physical node seen for the first time (by any master sharing the store) gets its mapping. */
  private join(hb: Heartbeat, mapped: Set<string>): void {
    if (this.data.mappings[hb.physical] !== undefined) return;
    const free = !mapped.has(hb.physical) && !this.data.decommissioned.includes(hb.physical);
    this.keep(this.data.mappings, hb.physical);
    this.data.mappings[hb.physical] = free ? [hb.physical] : [];
    if (free) mapped.add(hb.physical);
    this.opts.logger.info(
      `physical node ${hb.physical} (${hb.host}) joined${free ? `: logical node ${hb.physical} mapped to it` : ''}`,
    );
  }

  private setAddress(physical: string, address: string): void {
    const addresses = translationOf(this.data).addresses;
    this.keep(addresses, physical);
    addresses[physical] = address;
  }

  /**
   * Whether a logical node on `physical` is configured: only then can its mapping or address appear in
   * a translation (a logicalSink to it, an auto chain over it, a port assigned on it).
   */
  private runsConfigured(physical: string): boolean {
    return (this.data.mappings[physical] ?? []).some((l) => this.data.configs[l] !== undefined);
  }

  // --- translations -----------------------------------------------------------------------------

  /** Translates every configuration again (translate.ts); true when a node's translation changed. */
  private translate(): boolean {
    const undo = this.undo;
    const changed = retranslate(this.data, {
      basePort: this.opts.basePort ?? 35853,
      lost: this.lostCollectors(),
      ...(undo !== undefined ? { keep: (o: Record<string, unknown>, k: string) => undo.keep(o, k) } : {}),
    });
    this.findCollectors();
    if (changed.length > 0) this.opts.logger.info(`translated again: ${changed.join(', ')}`);
    return changed.length > 0;
  }

  private findCollectors(): void {
    this.collectors = new Map();
    for (const c of Object.values(this.data.configs))
      if (/^collectorSource\b/.test(c.source)) this.collectors.set(c.name, undefined);
    for (const [physical, list] of Object.entries(this.data.mappings))
      for (const l of list) if (this.collectors.has(l)) this.collectors.set(l, physical);
    this.collectorsOf = this.data;
  }

  /**
   * Collectors whose node missed its heartbeats: the auto chains leave them out until they return.
   * The leading master decides from the whole fleet (the nodes heartbeating to it and what the other
   * masters published); the others take the decision stored with the translations.
   */
  private lostCollectors(): Set<string> {
    if (!this.group.leads()) return new Set(translationOf(this.data).lost ?? []);
    // The state was read again (another master changed it): its collectors may have changed too.
    if (this.collectorsOf !== this.data) this.findCollectors();
    const now = this.now();
    const missed = this.opts.missedHeartbeats ?? 3;
    const before = new Set(translationOf(this.data).lost ?? []);
    const lost = new Set<string>();
    for (const [name, physical] of this.collectors) {
      const here = this.status.get(name);
      let there = this.group.published.get(name);
      if (there?.physical !== physical) there = undefined;
      if (here !== undefined && (there === undefined || here.lastSeen >= there.lastSeen)) {
        if (now - here.lastSeen > missed * (this.periods.get(here.physical) ?? 5000)) lost.add(name);
      } else if (there !== undefined) {
        if (isLost(there, now, missed, true)) lost.add(name);
      } else if (before.has(name) && physical !== undefined) {
        // Lost and not heard from since (by this master, or one restarted, or a new leader): it
        // stays out of the chains until it heartbeats again. Unmapped, it is forgotten: spawned
        // elsewhere, it starts afresh.
        lost.add(name);
      }
    }
    return lost;
  }

  /**
   * Whether a collector was lost or came back (a few names, not the fleet), checked by the leader at
   * any heartbeat and once a period; when one did, the agents' chains are computed again and reach
   * them with their next heartbeat. The other masters do nothing: the leader's decision reaches them
   * through the store.
   */
  private watchCollectors(): Promise<void> {
    if (!this.group.leads()) return Promise.resolve();
    if (this.recheck !== undefined) return this.recheck;
    const lost = [...this.lostCollectors()].sort().join(',');
    if (lost === (translationOf(this.data).lost ?? []).join(',')) return Promise.resolve();
    // mutate queues itself behind the commands already submitted.
    this.recheck = this.mutate(() => undefined).finally(() => {
      this.recheck = undefined;
    });
    return this.recheck;
  }

  /**
   * A logical node that could not listen on the port the master assigned it, because another process
   * holds that port on its host, gets another port (and its peers are pointed there): the master
   * cannot see the host's other processes, so it learns from the node.
   */
  private async movePortsHeld(hb: Heartbeat, mine: ReadonlySet<string>): Promise<void> {
    const ports = translationOf(this.data).ports;
    for (const n of hb.nodes) {
      // Only about its own logical nodes is a physical node heard.
      if (n.applied !== 'FAILED' || n.error === undefined || !mine.has(n.name)) continue;
      const port = portInUseOf(n.error);
      if (
        port === undefined ||
        ports[n.name] !== port ||
        translationOf(this.data).held?.[hb.physical]?.includes(port)
      )
        continue;
      const moved = await this.mutate(
        () => recordHeldPort(this.data, hb.physical, n.name, port, (o, k) => this.keep(o, k)),
        (changed) => changed,
      );
      if (moved)
        this.opts.logger.warn(
          `port ${port} on ${hb.physical} is held by another process: ${n.name} is given another port`,
        );
    }
  }

  /** The address a physical node's peers reach it at: where its heartbeats come from. */
  private async learnAddress(hb: Heartbeat): Promise<void> {
    const address = hb.address;
    if (address === undefined || translationOf(this.data).addresses[hb.physical] === address) return;
    await this.mutate(
      () => this.setAddress(hb.physical, address),
      () => this.runsConfigured(hb.physical),
    );
  }

  /** Each logical node's translated spec and the version it runs under. */
  translations(): Record<string, { version: number; spec: string }> {
    return translationOf(this.data).translated;
  }

  /** Logical node -> flow id, for those spawned into a flow. */
  flows(): Record<string, string> {
    return translationOf(this.data).flows;
  }

  /**
   * One process per physical node name: a second process claiming the name of one that still
   * heartbeats is refused (and logged once), so two machines started with the same -n cannot take each
   * other's logical nodes. Once the first is LOST, the newcomer takes the name over.
   */
  private claim(hb: Heartbeat, now: number): void {
    if (hb.instance === undefined) return;
    const known = this.instances.get(hb.physical);
    const missed = this.opts.missedHeartbeats ?? 3;
    if (
      known !== undefined &&
      known.instance !== hb.instance &&
      now - known.lastSeen <= missed * (this.periods.get(hb.physical) ?? hb.periodMs)
    ) {
      const msg = `physical node "${hb.physical}" is already heartbeating from ${known.host}; a second process (on ${hb.host}) claims its name`;
      if (!this.refused.has(hb.instance)) {
        this.refused.add(hb.instance);
        this.opts.logger.warn(`refused: ${msg}`);
      }
      throw new SluiceError('SLUICE_CONFIG', msg);
    }
    // A process new to this master: is the name live at another master, heartbeated by another process?
    if (known?.instance !== hb.instance) this.claimAcrossMasters(hb, hb.instance, now, missed);
    this.instances.set(hb.physical, { instance: hb.instance, host: hb.host, lastSeen: now });
  }

  /**
   * With a shared store, the name may be live at another master: its published status names the
   * process heartbeating there. Only a process's first heartbeat here looks (the walk is over the
   * fleet); a node failing over keeps its process and is let in.
   */
  private claimAcrossMasters(hb: Heartbeat, instance: string, now: number, missed: number): void {
    for (const e of this.group.published.values()) {
      if (e.physical !== hb.physical || e.instance === undefined || e.instance === instance) continue;
      if (isLost(e, now, missed, true)) continue;
      const msg = `physical node "${hb.physical}" is already heartbeating to another master from ${e.host}; a second process (on ${hb.host}) claims its name`;
      if (!this.refused.has(instance)) {
        this.refused.add(instance);
        this.opts.logger.warn(`refused: ${msg}`);
      }
      throw new SluiceError('SLUICE_CONFIG', msg);
    }
  }

  /**
   * Every logical node of the fleet, with LOST for those that missed their heartbeats: those that
   * heartbeat here and, with a shared store, those the other masters published (fleet-status.ts; the
   * newest report of a node wins, and one of a node since mapped elsewhere is left out).
   */
  nodeStatus(): NodeStatus[] {
    const now = this.now();
    const missed = this.opts.missedHeartbeats ?? 3;
    const out = new Map<string, NodeStatus>();
    for (const s of this.status.values()) {
      const period = this.periods.get(s.physical) ?? 5000;
      out.set(s.name, now - s.lastSeen > missed * period ? { ...s, state: 'LOST' } : { ...s });
    }
    const published = [...this.group.published.values()];
    if (published.length > 0) {
      const physicalOf = new Map<string, string>();
      for (const [physical, list] of Object.entries(this.data.mappings))
        for (const l of list) physicalOf.set(l, physical);
      for (const p of published) {
        const here = out.get(p.name);
        if (physicalOf.get(p.name) !== p.physical || (here !== undefined && here.lastSeen >= p.lastSeen))
          continue;
        const { periodMs: _, ...s } = p;
        out.set(p.name, isLost(p, now, missed, true) ? { ...s, state: 'LOST' } : s);
      }
    }
    for (const name of this.data.decommissioned)
      if (!out.has(name))
        out.set(name, { name, physical: '', host: '', state: 'DECOMMISSIONED', version: 0, lastSeen: 0 });
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** What this master publishes for the others: its nodes' status without the reports. */
  private publishable(): CompactStatus[] {
    const out: CompactStatus[] = [];
    for (const s of this.status.values())
      out.push(
        compactStatus(s, this.periods.get(s.physical) ?? 5000, this.instances.get(s.physical)?.instance),
      );
    return out;
  }

  /** True while this master leads translation (always, with a store only it uses). */
  leads(): boolean {
    return this.group.leads();
  }

  /** The masters sharing the store, the leader first, each with the logical nodes heartbeating to it. */
  masters(): Promise<MasterInfo[]> {
    const now = this.now();
    const missed = this.opts.missedHeartbeats ?? 3;
    let live = 0;
    for (const s of this.status.values())
      if (now - s.lastSeen <= missed * (this.periods.get(s.physical) ?? 5000)) live++;
    return this.group.masters(live);
  }

  configs(): LogicalConfig[] {
    return Object.values(this.data.configs).sort((a, b) => a.name.localeCompare(b.name));
  }

  mappings(): Record<string, string[]> {
    return this.data.mappings;
  }

  /** Resolves once every command submitted so far has run. */
  async idle(): Promise<void> {
    await this.queue;
    await Promise.all([...this.finishing]);
    await this.saving;
  }
}

/**
 * Node and flow names travel into logs, tables, specs and (confined) directory names on the nodes: a
 * control character (a NUL, a newline that forges a log line) is refused where the name is given.
 */
function checkName(name: string, what: string): void {
  if (name === '' || /[\x00-\x1f\x7f]/.test(name))
    throw new SluiceError(
      'SLUICE_CONFIG',
      `a ${what} name must be non-empty text without control characters, got ${JSON.stringify(name)}`,
    );
}
