/** A small deterministic generator for tests whose counts must not vary between runs. */
export { seededRng as seeded } from '../support/arbitrary.js';
