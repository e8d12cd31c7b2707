// Every decorator of the catalog meets the same contract: it opens and closes its child exactly once,
// waits for a slow child before appending again (backpressure), never appends to a closed child, and
// lets a failing child's error reach the caller. Adding a decorator without a sample here fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindArgs } from '../../src/catalog/bind.js';
import { SiteConfig } from '../../src/core/config.js';
import { Event } from '../../src/core/event.js';
import { DECORATORS } from '../../src/decorators/index.js';
import { parseSink } from '../../src/spec/parser.js';
import { CollectingSink, FailingSink, testContext } from '../mocks/sinks.js';
import { tempDir } from '../support/tmp.js';

/** A call of each decorator as a user writes it. */
const SAMPLES: Record<string, string> = {
  nullDeco: 'nullDeco',
  value: 'value("k", "v")',
  mask: 'mask("a")',
  select: 'select("a")',
  format: 'format("%{body}!")',
  regex: 'regex("(\\\\d+)", 1, "n")',
  split: 'split(" ", 0, "first")',
  batch: 'batch(10)',
  unbatch: 'unbatch',
  gzip: 'gzip',
  gunzip: 'gunzip',
  intervalSampler: 'intervalSampler(2)',
  probSampler: 'probSampler(0.5)',
  reservoirSampler: 'reservoirSampler(5)',
  delay: 'delay(1)',
  lazyOpen: 'lazyOpen',
  insistentOpen: 'insistentOpen',
  stubbornAppend: 'stubbornAppend',
  // The write-ahead decorators accept a batch once it is in their log and send it themselves: a failing
  // child reaches the caller when closing gives up (after flume.agent.ack.close.timeout, short here).
  writeAhead: 'writeAhead(50)',
  ackedWriteAhead: 'ackedWriteAhead(50)',
  ackInjector: 'ackInjector',
  ackChecker: 'ackChecker',
  insistentAppend: 'insistentAppend(5, 1, 20)',
  diskFailover: 'diskFailover(50)',
};

/** Decorators whose job is to keep a failing child's errors from the caller, and what they do instead. */
const ABSORBS_FAILURES: Record<string, string> = {
  diskFailover: 'spills the batch to its log and sends it again later',
};

const logdir = tempDir('conformance-logdir');
const config = SiteConfig.defaults().with({
  'flume.agent.logdir': logdir,
  'flume.agent.ack.close.timeout': '300',
});

let built = 0;

function build(name: string, child: CollectingSink) {
  const def = DECORATORS.find((d) => d.name === name)!;
  const node = parseSink(`{ ${SAMPLES[name]} => null }`);
  assert.equal(node.type, 'decorated');
  const args = bindArgs(
    def,
    node.type === 'decorated' ? node.decorator : (undefined as never),
    undefined,
    config,
  );
  // One node per build: a node keeps one disk-failover log.
  return def.build(args, testContext({ config, nodeName: `n${++built}` }), child);
}

const batches = () =>
  Array.from({ length: 5 }, (_, b) =>
    Array.from({ length: 20 }, (_, i) => Event.of(`event ${b * 20 + i}`, { attrs: { a: '1', z: '2' } })),
  );

describe('decorator conformance', () => {
  it('every catalog decorator has a sample', () => {
    assert.deepEqual(
      DECORATORS.map((d) => d.name).filter((n) => !(n in SAMPLES)),
      [],
    );
  });
  for (const name of Object.keys(SAMPLES)) {
    it(`${name}: lifecycle and backpressure`, async () => {
      const child = new CollectingSink({ async: true });
      const deco = build(name, child);
      await deco.open();
      for (const b of batches()) await deco.append(b);
      await deco.close();
      assert.equal(child.overlappingAppends, 0, 'appended while the child was still busy');
      assert.equal(child.appendsWhileClosed, 0, 'appended to a closed child');
      assert.ok(
        child.opens <= 1 && child.closes === child.opens,
        `opens ${child.opens}, closes ${child.closes}`,
      );
      if (name !== 'lazyOpen') assert.equal(child.opens, 1);
      assert.ok(child.count > 0, 'nothing reached the child');
    });
    it(`${name}: a failing child's error reaches the caller${ABSORBS_FAILURES[name] ? ` (or ${ABSORBS_FAILURES[name]})` : ''}`, async () => {
      const child = new FailingSink({ failAppends: 1_000 });
      const deco = build(name, child);
      await deco.open();
      let failed = false;
      for (const b of batches()) {
        try {
          await deco.append(b);
        } catch {
          failed = true;
        }
      }
      try {
        await deco.close();
      } catch {
        failed = true;
      }
      if (ABSORBS_FAILURES[name])
        assert.ok(!failed && child.count === 0, 'absorbed, and nothing reached the failing child');
      else assert.ok(failed, 'the failure was swallowed');
    });
  }
});
