import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelConformance } from '../../test/conformance/channel.js';
import { SiteConfig } from '../core/config.js';
import { Event } from '../core/event.js';
import { memoryLogger } from '../core/logger.js';
import { defaultByteCapacity, type MemoryChannel, memoryChannel } from './memory.js';

const ctx = (logger = memoryLogger()) => ({ name: 'c1', config: SiteConfig.defaults(), logger });

channelConformance('memory', { make: (props) => memoryChannel.create(props, ctx()), bytes: true });

describe('memory channel', () => {
  it('applies Flume defaults and the byte buffer percentage', () => {
    const ch = memoryChannel.create({}, ctx()) as MemoryChannel;
    assert.equal(ch.type, 'memory');
    assert.equal(ch.capacity, 100);
    assert.equal(ch.transactionCapacity, 100);
    assert.equal(ch.keepAliveMs, 3000);
    assert.equal(ch.byteLimit, Math.floor(defaultByteCapacity() * 0.8));
    const sized = memoryChannel.create(
      { byteCapacity: '1000', byteCapacityBufferPercentage: '10' },
      ctx(),
    ) as MemoryChannel;
    assert.equal(sized.byteLimit, 900);
  });

  it('rejects bad properties with SLUICE_CONFIG naming the key, and warns on unknown ones', () => {
    assert.throws(
      () => memoryChannel.create({ capacity: 'lots' }, ctx()),
      (e: Error & { code?: string; place?: { field?: string; component?: string } }) => {
        assert.equal(e.code, 'SLUICE_CONFIG');
        assert.equal(e.place?.field, 'capacity');
        assert.equal(e.place?.component, 'channel c1');
        assert.equal(e.message, 'channel c1: capacity must be an integer, got "lots"');
        return true;
      },
    );
    assert.throws(() => memoryChannel.create({ capacity: '0' }, ctx()), /capacity must be at least 1/);
    assert.throws(
      () => memoryChannel.create({ capacity: '10', transactionCapacity: '20' }, ctx()),
      /transactionCapacity \(20\) cannot be higher than capacity \(10\)/,
    );
    const logger = memoryLogger();
    memoryChannel.create({ capacty: '10', type: 'memory' }, ctx(logger));
    assert.deepEqual(logger.lines, ['WARN channel c1: unknown property capacty (ignored)']);
  });

  it('hands the put array through without copying events and returns fresh take arrays', async () => {
    const ch = memoryChannel.create({ capacity: '10', transactionCapacity: '10' }, ctx());
    await ch.start();
    const batch = [Event.of('a'), Event.of('b')];
    const tx = ch.transaction();
    tx.begin();
    tx.put(batch);
    tx.commit();
    tx.close();
    const t2 = ch.transaction();
    t2.begin();
    const got = t2.take(10);
    assert.ok(Array.isArray(got), 'events at hand come back synchronously');
    assert.notEqual(got, batch);
    assert.equal(got[0], batch[0]);
    got.length = 0; // the caller owns the array: emptying it must not lose the events on rollback
    t2.rollback();
    t2.close();
    assert.equal(ch.size, 2);
    await ch.stop();
  });
});
