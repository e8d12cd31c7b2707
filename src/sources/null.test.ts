import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testContext } from '../../test/support/source-helpers.js';
import { BoundArgs } from '../catalog/types.js';
import { nullSource } from './null.js';

describe('null source', () => {
  it('is drained at once', async () => {
    const src = nullSource.build(BoundArgs.of('null', {}), testContext());
    await src.open();
    assert.equal(src.next(), null);
    assert.equal(src.next(), null);
    await src.close();
  });
});
