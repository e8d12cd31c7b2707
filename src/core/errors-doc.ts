import { ERROR_CODES } from './errors.js';

/** docs/errors.md, generated from ERROR_CODES so the reference cannot miss a code. */
export function renderErrorsMarkdown(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from src/core/errors.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Every error Sluice reports to a user is a `SluiceError` with one of these stable codes, a one-line',
    'message and, where it applies, the place: file, line and column, component, field. The CLI prints',
    '`sluice <command>: <place>: <message>` and, for spec errors, the offending line with a caret.',
    '',
    '| code | meaning |',
    '| --- | --- |',
    ...Object.entries(ERROR_CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`),
  ];
  return `${lines.join('\n')}\n`;
}
