import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GENERATED_DOCS } from './generated-docs.js';

for (const [path, render] of GENERATED_DOCS) {
  test(`${path} is up to date (run \`npm run docs\` after changing the code it comes from)`, () => {
    assert.equal(readFileSync(path, 'utf8'), render(), `${path} is stale: run npm run docs`);
  });
}
