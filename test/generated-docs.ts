import { renderComponentsMarkdown } from '../src/catalog/docs.js';
import { renderAgentComponentsMarkdown } from '../src/catalog/ng-docs.js';
import { renderErrorsMarkdown } from '../src/core/errors-doc.js';
import { renderDefaultsXml } from '../src/core/site-xml.js';
import { builtinCatalog } from '../src/flow/builtins.js';
import { SPECIAL_SINKS } from '../src/flow/special.js';
import { renderOutputReference } from '../src/formats/reference.js';

/** Every committed file generated from code, with its renderer. */
export const GENERATED_DOCS: [string, () => string][] = [
  ['docs/components.md', () => renderComponentsMarkdown(builtinCatalog(), SPECIAL_SINKS)],
  ['docs/errors.md', renderErrorsMarkdown],
  ['conf/flume-conf.xml', renderDefaultsXml],
  ['docs/output.md', renderOutputReference],
  ['docs/agent-components.md', () => renderAgentComponentsMarkdown(builtinCatalog())],
];
