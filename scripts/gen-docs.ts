// Regenerates the docs derived from code: docs/components.md (the catalog), docs/errors.md (error
// codes) and conf/flume-conf.xml (site properties). `npm run docs` writes them; test/docs.test.ts fails when the committed files are stale.
import { writeFileSync } from 'node:fs';
import { GENERATED_DOCS } from '../test/generated-docs.js';

for (const [path, render] of GENERATED_DOCS) {
  writeFileSync(path, render());
  console.log(`wrote ${path}`);
}
