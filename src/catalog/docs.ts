import { signature } from './bind.js';
import type { Catalog } from './registry.js';
import type { ComponentDef, ComponentKind } from './types.js';

export interface ExtraDoc {
  name: string;
  syntax: string;
  docs: string;
}

const TITLES: Record<ComponentKind, string> = {
  source: 'Sources',
  sink: 'Sinks',
  decorator: 'Sink decorators',
};

/** docs/components.md, generated from the catalog (a test fails when the committed file is stale). */
export function renderComponentsMarkdown(catalog: Catalog, special: readonly ExtraDoc[]): string {
  const out: string[] = [
    '# Components',
    '',
    '<!-- Generated from the catalog by `npm run docs`; do not edit by hand. -->',
    '',
    'Every source, sink and decorator Sluice knows, with its signature as the dataflow language takes it.',
    'Optional arguments are in brackets with their defaults; `name=value` keyword arguments work for any of',
    'them (`tail("app.log", startFromEnd=true)`).',
    '',
  ];
  for (const kind of ['source', 'sink', 'decorator'] as const) {
    out.push(`## ${TITLES[kind]}`, '');
    for (const def of sorted(catalog.list(kind))) out.push(...renderDef(def));
    if (kind === 'sink') {
      out.push('## Special sinks', '');
      for (const s of special) out.push(`### ${s.name}`, '', `\`${s.syntax}\``, '', s.docs, '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function renderDef(def: ComponentDef): string[] {
  const lines = [`### ${def.name}`, '', `\`${signature(def)}\``, '', def.docs, ''];
  if (def.aliases && def.aliases.length > 0)
    lines.push(`Also known as: ${def.aliases.map((a) => `\`${a}\``).join(', ')}.`, '');
  if (def.params.length > 0) {
    lines.push('| argument | type | default | meaning |', '| --- | --- | --- | --- |');
    for (const p of def.params) {
      const dflt = p.configDefault
        ? `\`${p.configDefault}\``
        : p.default !== undefined
          ? `\`${JSON.stringify(p.default)}\``
          : p.optional
            ? ''
            : 'required';
      lines.push(
        `| ${p.name}${p.variadic ? '...' : ''} | ${p.type} | ${dflt} | ${p.docs.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
      );
    }
    lines.push('');
  }
  return lines;
}

/** One line per component for `sluice help components`. */
export function renderComponentsText(catalog: Catalog, special: readonly ExtraDoc[]): string {
  const out: string[] = [];
  for (const kind of ['source', 'sink', 'decorator'] as const) {
    out.push(`${TITLES[kind]}:`);
    for (const def of sorted(catalog.list(kind)))
      out.push(`  ${signature(def).padEnd(48)} ${firstSentence(def.docs)}`);
    if (kind === 'sink')
      for (const s of special) out.push(`  ${s.syntax.padEnd(48)} ${firstSentence(s.docs)}`);
    out.push('');
  }
  return out.join('\n');
}

function sorted(defs: readonly ComponentDef[]): ComponentDef[] {
  return [...defs].sort((a, b) => a.name.localeCompare(b.name));
}

function firstSentence(s: string): string {
  const m = /^(.*?[.!?])(\s|$)/s.exec(s);
  return (m ? m[1]! : s).replace(/\s+/g, ' ');
}
