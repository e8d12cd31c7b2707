import type { PropertySpec } from './properties.js';
import type { Catalog } from './registry.js';

interface Documented {
  type: string;
  aliases?: string[];
  docs: string;
  properties: readonly PropertySpec[];
}

/**
 * docs/agent-components.md: every type an agent file can name, with its properties (generated from the
 * same catalog as docs/components.md, which shows the sources and sinks in both spellings).
 */
export function renderAgentComponentsMarkdown(catalog: Catalog): string {
  const out = [
    '# Agent file components',
    '',
    '<!-- Generated from the catalog by `npm run docs`; do not edit by hand. -->',
    '',
    'The types an agent file (`sluice agent --conf-file f --name a1`) can name, with every property, its',
    'default and meaning. Keys go after `<agent>.<sources|channels|sinks>.<name>.` (interceptors after',
    '`<agent>.sources.<name>.interceptors.<i>.`). Every source and sink of the dataflow language',
    '(docs/components.md) can be named too, its arguments given as properties (`type = tail`,',
    '`filename = /var/log/app.log`); docs/components.md shows every source and sink in both spellings.',
    'Semantics and examples: docs/agent.md.',
    '',
  ];
  const section = (title: string, defs: readonly Documented[], intro: string[] = []) => {
    out.push(`## ${title}`, '');
    if (intro.length > 0) out.push(...intro, '');
    for (const d of [...defs].sort((a, b) => a.type.localeCompare(b.type))) {
      out.push(`### ${d.type}`, '', d.docs, '');
      if (d.aliases?.length) out.push(`Also: ${d.aliases.map((a) => `\`${a}\``).join(', ')}.`, '');
      if (d.properties.length === 0) continue;
      out.push('| property | type | default | meaning |', '| --- | --- | --- | --- |');
      for (const p of d.properties) {
        const dflt = p.required ? 'required' : p.default !== undefined ? `\`${p.default}\`` : '';
        const choices = p.choices ? ` One of ${p.choices.join(', ')}.` : '';
        out.push(`| \`${p.name}\` | ${p.type} | ${dflt} | ${(p.docs + choices).replace(/\|/g, '\\|')} |`);
      }
      out.push('');
    }
  };
  section('Sources', catalog.agentList('source'));
  section('Channels', catalog.agentList('channel'));
  section('Interceptors', catalog.agentList('interceptor'));
  section('Sinks', catalog.agentList('sink'));
  section('Channel selectors', catalog.agentList('selector'), [
    '`<agent>.sources.<s>.selector.type =` (replicating when absent); properties after',
    '`<agent>.sources.<s>.selector.`.',
  ]);
  section('Sink processors', catalog.agentList('processor'), [
    '`<agent>.sinkgroups = g`, `<agent>.sinkgroups.g.sinks = k1 k2`, `<agent>.sinkgroups.g.processor.type =`',
    '(default when absent); properties after `<agent>.sinkgroups.g.processor.`. A batch taken from the',
    'channel goes to the first sink the processor offers, then to the next on failure; the transaction',
    'commits once a sink accepted it and rolls back (events stay, in order) when all failed. All sinks of',
    'a group take from the same channel.',
  ]);
  out.push(
    '## Serializers',
    '',
    'A sink that writes files (`file_roll`: `sink.serializer`, `hdfs`: `serializer`) takes any output',
    "format of the catalog, matched without case, Flume NG's `TEXT` and `HEADER_AND_TEXT` included:",
    catalog
      .formats()
      .map((f) => [f.name, ...(f.aliases ?? [])].map((n) => `\`${n}\``).join(' / '))
      .join(', ')
      .concat('. docs/components.md describes each.'),
  );
  return `${out.join('\n').trimEnd()}\n`;
}
