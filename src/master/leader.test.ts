import assert from 'node:assert/strict';
import { test } from 'node:test';
import { electionOrder, SoleMaster, standing } from './leader.js';

test('the election recipe: the lowest sequence leads, each other watches only the one below it', () => {
  const children = ['m-0000000012', 'm-0000000003', 'other', 'm-0000000007'];
  assert.deepEqual(electionOrder(children), ['m-0000000003', 'm-0000000007', 'm-0000000012']);
  assert.deepEqual(standing(children, 'm-0000000003'), { leads: true });
  assert.deepEqual(standing(children, 'm-0000000007'), { leads: false, predecessor: 'm-0000000003' });
  assert.deepEqual(standing(children, 'm-0000000012'), { leads: false, predecessor: 'm-0000000007' });
  // The leader left: the next one leads; the last still watches only its own predecessor.
  const after = children.filter((c) => c !== 'm-0000000003');
  assert.deepEqual(standing(after, 'm-0000000007'), { leads: true });
  assert.deepEqual(standing(after, 'm-0000000012'), { leads: false, predecessor: 'm-0000000007' });
  // A candidate its expired session took away enters again.
  assert.deepEqual(standing(after, 'm-0000000003'), { gone: true });
});

test('a store only one master uses: that master leads', async () => {
  const m = new SoleMaster('127.0.0.1:35873');
  assert.equal(m.leads(), true);
  assert.deepEqual(await m.masters(4), [{ address: '127.0.0.1:35873', leads: true, self: true, nodes: 4 }]);
});
