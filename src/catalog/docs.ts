import { signature } from './bind.js';
import type { AgentDef } from './ng.js';
import type { Catalog } from './registry.js';
import { keywordOf, propertyOf } from './spellings.js';
import type { ComponentDef, ComponentKind, ParamSpec } from './types.js';

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
    'Every source, sink and decorator Sluice knows, each in both spellings: as the dataflow language takes it',
    '(a spec: `tail("app.log", startFromEnd=true)`; optional arguments in brackets with their defaults,',
    '`name=value` keyword arguments for any of them) and as an agent file names it',
    '(`a1.sources.r1.type = tail`, `a1.sources.r1.filename = app.log`). Components first defined by Flume NG',
    'properties take their properties in camelCase as keyword arguments in a spec (`max-connections` is',
    '`maxConnections`). A component that one front end cannot name says why. The output formats close the',
    'page. Channels, interceptors, channel selectors and sink processors, which only agent files have, are',
    'in docs/agent-components.md.',
    '',
  ];
  for (const kind of ['source', 'sink', 'decorator'] as const) {
    out.push(`## ${TITLES[kind]}`, '');
    if (kind === 'decorator') for (const def of sorted(catalog.list(kind))) out.push(...renderDef(def));
    else out.push(...renderBoth(catalog, kind));
    if (kind === 'sink') {
      out.push('## Special sinks', '');
      for (const s of special) out.push(`### ${s.name}`, '', `\`${s.syntax}\``, '', s.docs, '');
    }
  }
  out.push(...renderFormats(catalog));
  return `${out.join('\n').trimEnd()}\n`;
}

function renderDef(def: ComponentDef, agent?: string, withProperty = false): string[] {
  const lines = [`### ${def.name}`, '', `${agent ? 'Spec: ' : ''}\`${signature(def)}\``, ''];
  if (agent) lines.push(agent, '');
  lines.push(def.docs, '');
  if (def.aliases && def.aliases.length > 0)
    lines.push(`Also known as: ${def.aliases.map((a) => `\`${a}\``).join(', ')}.`, '');
  if (def.params.length > 0) {
    lines.push(
      withProperty
        ? '| argument | property | type | default | meaning |'
        : '| argument | type | default | meaning |',
      withProperty ? '| --- | --- | --- | --- | --- |' : '| --- | --- | --- | --- |',
    );
    for (const p of def.params) {
      const dflt = p.configDefault
        ? `\`${p.configDefault}\``
        : p.default !== undefined
          ? `\`${JSON.stringify(p.default)}\``
          : p.optional
            ? ''
            : 'required';
      const property = withProperty ? ` \`${propertyKeys(p)}\` |` : '';
      lines.push(
        `| ${p.name}${p.variadic ? '...' : ''} |${property} ${p.type} | ${dflt} | ${cell(p.docs)} |`,
      );
    }
    lines.push('');
  }
  return lines;
}

/** Sources or sinks: spec-defined ones and property-defined ones, each with both spellings. */
function renderBoth(catalog: Catalog, kind: 'source' | 'sink'): string[] {
  const section = kind === 'source' ? 'sources' : 'sinks';
  const agentDefs = catalog.agentList(kind);
  const ngNamed = (name: string) => agentDefs.find((a) => a.type.toLowerCase() === name.toLowerCase());
  const entries: { name: string; lines: () => string[] }[] = [];
  for (const def of catalog.list(kind)) {
    if (def.agentType !== undefined) continue;
    entries.push({
      name: def.name,
      lines: () => {
        const ng = ngNamed(def.name);
        const agent = ng
          ? `Agent file: \`type = ${def.name}\` names the Flume NG ${ng.type} ${kind}, with its NG properties.`
          : `Agent file: \`a1.${section}.x.type = ${def.name}\`${def.params.length > 0 ? ', each argument a property (the table gives its key)' : ''}.`;
        return renderDef(def, agent, true);
      },
    });
  }
  for (const a of agentDefs) {
    const spelled = catalog.list(kind).find((d) => d.agentType === a.type);
    const namesake = spelled ? undefined : catalog.find(kind, a.type, { ignoreCase: true });
    const heading = namesake ? `${a.type} (Flume NG)` : a.type;
    entries.push({ name: a.type, lines: () => renderAgentDef(a, heading, section, spelled, namesake) });
  }
  return entries.sort((x, y) => x.name.localeCompare(y.name)).flatMap((e) => e.lines());
}

function renderAgentDef(
  a: AgentDef,
  heading: string,
  section: string,
  spelled: ComponentDef | undefined,
  namesake: ComponentDef | undefined,
): string[] {
  const spec = spelled
    ? `Spec: \`${shortSignature(spelled)}\``
    : a.specUnavailable
      ? `Spec: not available. ${a.specUnavailable}`
      : namesake
        ? `Spec: \`${namesake.name}\` is the same component with the dataflow arguments.`
        : 'Spec: not available.';
  const also = a.aliases?.length ? ` (also ${a.aliases.map((x) => `\`${x}\``).join(', ')})` : '';
  const lines = [
    `### ${heading}`,
    '',
    `Agent file: \`a1.${section}.x.type = ${a.type}\`${also}.`,
    '',
    spec,
    '',
    a.docs,
    '',
  ];
  if (a.properties.length > 0) {
    lines.push('| property | spec keyword | type | default | meaning |', '| --- | --- | --- | --- | --- |');
    for (const p of a.properties) {
      const dflt = p.required ? 'required' : p.default !== undefined ? `\`${p.default}\`` : '';
      const kw = spelled && !p.name.endsWith('.*') ? keywordOf(p.name) : '';
      const choices = p.choices ? ` One of ${p.choices.join(', ')}.` : '';
      lines.push(`| \`${p.name}\` | ${kw} | ${p.type} | ${dflt} | ${cell(p.docs + choices)} |`);
    }
    lines.push('');
  }
  return lines;
}

/** `spooldir(spoolDir: string[, keyword=value ...])`: the required arguments, then the keywords. */
function shortSignature(def: ComponentDef): string {
  const required = def.params.filter(
    (p) => !p.optional && p.default === undefined && p.configDefault === undefined,
  );
  const head = required.map((p) => `${p.name}: ${p.type}`).join(', ');
  const more = def.params.length > required.length ? `${head ? '[, ' : '['}keyword=value ...]` : '';
  return `${def.name}(${head}${more})`;
}

/** Output formats: named by a sink's format argument in a spec, by a serializer property in an agent file. */
function renderFormats(catalog: Catalog): string[] {
  const out = [
    '## Output formats',
    '',
    'What sinks that write text or files write. Spec: a format argument (`text("f", "avrojson")`,',
    '`console("log4j")`, or `flume.collector.output.format` for collectors), names exact. Agent file: a',
    'serializer property (`a1.sinks.k1.sink.serializer = avrojson` for file_roll, `serializer` for hdfs),',
    'names without case. Bytes of each format for a sample event: docs/output.md.',
    '',
  ];
  for (const f of catalog.formats()) {
    out.push(`### ${f.name}`, '', f.docs, '');
    if (f.aliases?.length) out.push(`Also known as: ${f.aliases.map((a) => `\`${a}\``).join(', ')}.`, '');
    if (f.extension)
      out.push(`Files written in it end in \`${f.extension}\` where the sink adds a suffix.`, '');
  }
  return out;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** One line per component for `sluice help components`. */
export function renderComponentsText(catalog: Catalog, special: readonly ExtraDoc[]): string {
  const out: string[] = [];
  for (const kind of ['source', 'sink', 'decorator'] as const) {
    out.push(`${TITLES[kind]}:`);
    for (const def of sorted(catalog.list(kind)))
      out.push(
        `  ${(def.agentType === undefined ? signature(def) : shortSignature(def)).padEnd(48)} ${firstSentence(def.docs)}`,
      );
    if (kind === 'sink')
      for (const s of special) out.push(`  ${s.syntax.padEnd(48)} ${firstSentence(s.docs)}`);
    out.push('');
  }
  out.push('Output formats:');
  for (const f of catalog.formats()) out.push(`  ${f.name.padEnd(48)} ${firstSentence(f.docs)}`);
  out.push('');
  return out.join('\n');
}

function propertyKeys(p: ParamSpec): string {
  return [propertyOf(p), ...(p.propertyAliases ?? [])].join('`, `');
}

function sorted(defs: readonly ComponentDef[]): ComponentDef[] {
  return [...defs].sort((a, b) => a.name.localeCompare(b.name));
}

function firstSentence(s: string): string {
  const m = /^(.*?[.!?])(\s|$)/s.exec(s);
  return (m ? m[1]! : s).replace(/\s+/g, ' ');
}
