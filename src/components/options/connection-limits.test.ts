import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComponentProperties } from '../../catalog/properties.js';
import { BoundArgs } from '../../catalog/types.js';
import { DEFAULT_CONNECTION_LIMITS } from '../../rpc/connection-guard.js';
import {
  CONNECTION_LIMIT_PROPERTIES,
  connectionLimitParams,
  connectionLimitProperties,
  readConnectionLimits,
} from './connection-limits.js';

test('both spellings read the same limits; absent ones take the defaults of the one table', () => {
  const props = new ComponentProperties('source r1', CONNECTION_LIMIT_PROPERTIES, {
    'max-connections': '3',
    'idle-timeout': '500',
  });
  const args = BoundArgs.of('syslogTcp', { maxConnections: 3, idleTimeout: 500 });
  const want = { ...DEFAULT_CONNECTION_LIMITS, maxConnections: 3, idleTimeoutMs: 500 };
  assert.deepEqual(readConnectionLimits(props), want);
  assert.deepEqual(readConnectionLimits(args), want);
  assert.deepEqual(readConnectionLimits(BoundArgs.of('x', {})), DEFAULT_CONNECTION_LIMITS);
  // A keyword below its minimum is raised to it (the agent file refuses it with the key named).
  assert.equal(readConnectionLimits(BoundArgs.of('x', { maxConnections: 0 })).maxConnections, 1);
  assert.throws(
    () => new ComponentProperties('source r1', CONNECTION_LIMIT_PROPERTIES, { 'max-connections': '0' }),
    /max-connections must be at least 1/,
  );
});

test('a component with its own defaults has them in its properties, keywords and reading', () => {
  const own = { ...DEFAULT_CONNECTION_LIMITS, idleTimeoutMs: 0 };
  const props = connectionLimitProperties(own, { idleTimeoutMs: 'never by default' });
  const idle = props.find((p) => p.name === 'idle-timeout')!;
  assert.deepEqual([idle.default, idle.docs], ['0', 'never by default']);
  const param = connectionLimitParams(own).find((p) => p.name === 'idleTimeout')!;
  assert.equal(param.default, 0);
  assert.equal(readConnectionLimits(BoundArgs.of('x', {}), own).idleTimeoutMs, 0);
  assert.equal(readConnectionLimits(new ComponentProperties('source r1', props, {}), own).idleTimeoutMs, 0);
});
