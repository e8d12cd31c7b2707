import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { BackpressureSink, CollectingSink, FailingSink } from '../../test/mocks/sinks.js';
import { CountingSource, EndlessSource, FailingSource } from '../../test/mocks/sources.js';
import { acked } from '../core/ack.js';
import { SiteConfig } from '../core/config.js';
import { SluiceError } from '../core/errors.js';
import { type Batch, Event } from '../core/event.js';
import { memoryLogger } from '../core/logger.js';
import type { EventSink, EventSource } from '../core/pipeline.js';
import { parseSpec } from '../spec/parser.js';
import { builtinCatalog } from './builtins.js';
import { type CompiledNode, compileSpec } from './compile.js';
import { LogicalNode } from './logical-node.js';
import { NodeManager } from './node-manager.js';

const pos = { line: 1, column: 1, offset: 0 };
function compiled(name: string, source: EventSource, sink: EventSink): CompiledNode {
  const call = { name: 'x', args: [], kwargs: [], parens: false, pos };
  return {
    name,
    spec: { name, source: call, sink: { type: 'call', call, pos }, pos },
    makeSource: () => source,
    makeSink: () => sink,
  };
}

test('a finite source drains into the sink, the sink is closed and the node is IDLE', async () => {
  const sink = new CollectingSink();
  const node = new LogicalNode(compiled('n', new CountingSource(95, 10), sink), memoryLogger());
  await node.start();
  assert.equal(node.state, 'IDLE');
  assert.equal(sink.count, 95);
  assert.deepEqual(sink.bodies().slice(0, 3), ['0', '1', '2']);
  assert.deepEqual([sink.opens, sink.closes], [1, 1]);
  assert.deepEqual(node.totals(), {
    name: 'n',
    state: 'IDLE',
    events: 95,
    batches: 10,
    failed: 0,
    sinks: [],
  });
});

test('the node pulls the next batch only after the sink accepted the last (backpressure)', async () => {
  const sink = new BackpressureSink();
  const node = new LogicalNode(compiled('n', new CountingSource(30, 10), sink), memoryLogger());
  const done = node.start();
  await sink.whenHeld();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(node.events, 10, 'pulled more than one batch while the sink was busy');
  assert.equal(sink.overlappingAppends, 0);
  for (let i = 0; i < 3; i++) {
    await sink.whenHeld();
    sink.release();
  }
  await done;
  assert.equal(sink.count, 30);
});

/** A source the test feeds batch by batch; it records how the node acknowledged each batch. */
class FedSource implements EventSource {
  readonly undeliveredBatches: { bodies: string[]; error: string }[] = [];
  /** Bodies of the batches acked ok. */
  readonly ackedOk: string[][] = [];
  private readonly queue: Batch[] = [];
  private reader: ((b: Batch | null) => void) | undefined;
  private closed = false;
  /** How many batches the node pulled so far. */
  pulls = 0;
  async open(): Promise<void> {}
  feed(...bodies: string[]): void {
    const b = acked(
      bodies.map((x) => Event.of(x)),
      (error) => {
        if (error === undefined) this.ackedOk.push(bodies);
        else this.undeliveredBatches.push({ bodies, error: error.message });
      },
    );
    if (this.reader) {
      const r = this.reader;
      this.reader = undefined;
      r(b);
    } else this.queue.push(b);
  }
  next(): Batch | null | Promise<Batch | null> {
    this.pulls++;
    const b = this.queue.shift();
    if (b) return b;
    if (this.closed) return null;
    return new Promise((resolve) => {
      this.reader = resolve;
    });
  }
  async close(): Promise<void> {
    this.closed = true;
    this.reader?.(null);
  }
}

async function until(f: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!f() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.ok(f(), `timed out waiting for ${what}`);
}

for (const throwSync of [false, true]) {
  test(`a batch the sink fails (${throwSync ? 'thrown' : 'rejected'}) is counted and told to the source; the node stays ACTIVE and delivers the next`, async () => {
    const source = new FedSource();
    const sink = new FailingSink({ failAppends: 2, throwSync });
    const logger = memoryLogger();
    const node = new LogicalNode(compiled('n', source, sink), logger);
    const done = node.start();
    source.feed('a', 'b');
    source.feed('c');
    await until(() => source.undeliveredBatches.length === 2, 'two failed batches reported');
    assert.equal(node.state, 'ACTIVE');
    assert.deepEqual(source.undeliveredBatches, [
      { bodies: ['a', 'b'], error: 'append failure 1' },
      { bodies: ['c'], error: 'append failure 2' },
    ]);
    source.feed('d');
    await until(() => sink.count === 1, 'the next batch delivered');
    assert.deepEqual(sink.bodies(), ['d']);
    await until(() => source.ackedOk.length === 1, 'the delivered batch acked');
    assert.deepEqual(source.ackedOk, [['d']]);
    assert.equal(node.state, 'ACTIVE');
    await node.stop();
    await done;
    assert.equal(node.state, 'IDLE');
    assert.equal(node.totals().failed, 3);
    assert.equal(node.totals().events, 4);
    const warnings = logger.lines.filter((l) => l.includes('sink failing'));
    assert.deepEqual(warnings, [
      'WARN node n: sink failing (append failure 1), dropping and counting each failed batch',
    ]);
    assert.ok(logger.lines.includes('INFO node n: sink delivering again after 2 failed attempts'));
    assert.ok(logger.lines.some((l) => /^WARN node n stopped: 4 events read, 3 in failed batches/.test(l)));
  });
}

test('a fatal sink fault (a directory gone) puts the node in ERROR with one line, and closes the source', async () => {
  const source = new FedSource();
  const gone = Object.assign(new Error("ENOENT: no such file or directory, open '/gone/x'"), {
    code: 'ENOENT',
  });
  const sink: EventSink = {
    open: async () => {},
    append: () => Promise.reject(gone),
    close: async () => {},
  };
  const logger = memoryLogger();
  const node = new LogicalNode(compiled('n', source, sink), logger);
  const done = node.start();
  source.feed('a');
  await done;
  assert.equal(node.state, 'ERROR');
  assert.match(node.report().error!, /no such file or directory/);
  assert.equal(logger.lines.filter((l) => l.startsWith('ERROR')).length, 1);
  // The batch in hand was not delivered: its sender hears so even though the node is gone.
  assert.deepEqual(source.undeliveredBatches, [{ bodies: ['a'], error: gone.message }]);
});

test('a transient fault while opening is retried with backoff, logged once; a fatal one ends the node', async () => {
  const logger = memoryLogger();
  const sink = new FailingSink({ failOpens: 1 });
  // Each attempt builds a fresh source, as a compiled node does.
  const node = new LogicalNode(
    { ...compiled('n', new CountingSource(0), sink), makeSource: () => new CountingSource(5, 5) },
    logger,
  );
  await node.start();
  assert.equal(node.state, 'IDLE');
  assert.equal(sink.count, 5);
  assert.deepEqual(
    logger.lines.filter((l) => l.includes('cannot start')),
    ['WARN node n: cannot start (open failure 1), retrying with backoff'],
  );
  const refused = new FailingSink();
  refused.open = () => Promise.reject(new SluiceError('SLUICE_NOT_FOUND', 'spool: no such directory'));
  const fatal = new LogicalNode(compiled('m', new CountingSource(5, 5), refused), memoryLogger());
  await fatal.start();
  assert.equal(fatal.state, 'ERROR');
  assert.equal(fatal.report().error, 'spool: no such directory');
});

test('the drain summary counts per sink what was delivered and what a best-effort sink dropped', async () => {
  const port = await deadPort();
  const logger = memoryLogger();
  const spec = parseSpec(
    `n : asciisynth(1500, 20) | [ null, agentBESink("127.0.0.1", ${port}, connectTimeout=500) ] ;`,
  );
  const [c] = compileSpec(spec, {
    catalog: builtinCatalog(),
    context: { config: SiteConfig.defaults(), nodeName: 'n', allowExec: false, logger },
  });
  const node = new LogicalNode(c!, logger);
  await node.start();
  assert.equal(node.state, 'IDLE');
  const summary = logger.lines.filter((l) => l.includes('node n drained'));
  assert.deepEqual(summary, [
    'WARN node n drained: 1500 events read; null: 1500 delivered, 0 dropped, 0 retried; agentBESink: 0 delivered, 1500 dropped, 0 retried',
  ]);
  assert.deepEqual(
    node.totals().sinks.map((t) => [t.name, t.delivered, t.dropped]),
    [
      ['null', 1500, 0],
      ['agentBESink', 0, 1500],
    ],
  );
});

async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('stop closes an endless source and flushes the sink', async () => {
  const sink = new CollectingSink();
  const node = new LogicalNode(compiled('n', new EndlessSource(), sink), memoryLogger());
  const done = node.start();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(node.state, 'ACTIVE');
  await node.stop();
  await done;
  assert.equal(node.state, 'IDLE');
  assert.equal(sink.closes, 1);
});

test('one failing node never stops the others in the same process', async () => {
  const manager = new NodeManager(memoryLogger());
  const good = new CollectingSink({ async: true });
  await manager.replace(compiled('bad', new FailingSource(2), new CollectingSink()));
  await manager.replace(compiled('good', new CountingSource(1000, 7), good));
  await manager.settled();
  const states = Object.fromEntries(manager.reports().map((r) => [r.name, r.state]));
  assert.deepEqual(states, { bad: 'ERROR', good: 'IDLE' });
  assert.equal(good.count, 1000);
});

test('an endless synchronous source in front of a synchronous sink leaves turns to timers, I/O and stop()', async () => {
  let batches = 0;
  let closed = false;
  const source: EventSource = {
    open: async () => {},
    next: () => {
      if (closed) return null;
      batches++;
      return [Event.of('x')];
    },
    close: async () => {
      closed = true;
    },
  };
  const sink: EventSink = { open: async () => {}, append: () => {}, close: async () => {} };
  const node = new LogicalNode(compiled('busy', source, sink), memoryLogger());
  const running = node.start();
  // Without turns the timer would never fire and this test would hang until the file timeout.
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(batches > 0, 'the node ran');
  await node.stop();
  await running;
  assert.equal(node.state, 'IDLE');
});
