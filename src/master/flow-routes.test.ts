import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Script } from 'node:vm';
import { memoryLogger } from '../core/logger.js';
import { flowRoutes } from './flow-routes.js';
import { Master } from './master.js';
import { MemoryStore } from './store.js';

test('the flow routes answer the picture as JSON and the two scripts the page loads', async () => {
  const m = new Master({ store: new MemoryStore(), logger: memoryLogger() });
  await m.ready;
  await m.heartbeat({ physical: 'host1', host: 'h1', periodMs: 1000, nodes: [] });
  const routes = flowRoutes(m);
  assert.deepEqual(Object.keys(routes).sort(), ['/api/flows', '/assets/dagre.js', '/assets/flows.js']);

  const api = routes['/api/flows']!();
  assert.match(api.type, /^application\/json/);
  assert.deepEqual(JSON.parse(String(api.body)), {
    groups: [{ physical: 'host1', host: 'h1', nodes: [{ name: 'host1', state: 'HELLO', version: 0 }] }],
    links: [],
  });

  // Each script runs in a bare context: dagre defines its global, ours defines renderFlows on window.
  const dagre = routes['/assets/dagre.js']!();
  assert.match(dagre.type, /^text\/javascript/);
  assert.doesNotMatch(String(dagre.body), /sourceMappingURL/);
  const page: Record<string, unknown> = {};
  page.window = page;
  new Script(String(dagre.body)).runInNewContext(page);
  assert.equal(typeof (page.dagre as { layout?: unknown }).layout, 'function');
  const flows = routes['/assets/flows.js']!();
  new Script(String(flows.body)).runInNewContext(page);
  assert.equal(typeof page.renderFlows, 'function');
  // Text reaches the page only through textContent: names cannot inject markup.
  assert.doesNotMatch(String(flows.body), /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
});
