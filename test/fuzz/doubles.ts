import { SluiceError } from '../../src/core/errors.js';
import type { FuzzTarget } from './target.js';

/** Targets with known faults, for the harness's own tests. */
const leaked: Buffer[] = [];
let calls = 0;

function double(name: string, run: FuzzTarget['run']): FuzzTarget {
  return { name, doc: 'a test double', valid: (rng) => rng.bytes(rng.size(64)), run };
}

export const TARGETS: readonly FuzzTarget[] = [
  double('crashes-on-ff', (input) => {
    if (input.includes(0xff)) throw new TypeError('saw 0xff');
  }),
  double('typed-errors', () => {
    throw new SluiceError('SLUICE_FORMAT', 'always');
  }),
  double('hangs-on-input-3', (input) => {
    if (calls++ === 3) for (;;) input.reverse();
  }),
  double('leaks', () => {
    leaked.push(Buffer.alloc(4096, 1));
  }),
];
