// The seeded uniform generator test fixtures use (one copy, in src/fixtures/prng.ts).
export { mulberry32 as rng } from '../../src/fixtures/prng.js';
