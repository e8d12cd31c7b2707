import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundArgs } from '../catalog/types.js';
import { nullSource } from './null.js';
import { testContext } from './test-helpers.js';

describe('null source', () => {
  it('is drained at once', async () => {
    const src = nullSource.build(BoundArgs.of('null', {}), testContext());
    await src.open();
    assert.equal(src.next(), null);
    assert.equal(src.next(), null);
    await src.close();
  });
});
