// The registry walk: every source and sink of the built-in catalog binds from a spec and from an agent
// file to the same values, or its docs say why one front end cannot name it; the generated docs show both.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bindArgs, bindProperties, type PropertyInput } from '../catalog/bind.js';
import type { AgentDef } from '../catalog/ng.js';
import { ComponentProperties, type PropertySpec } from '../catalog/properties.js';
import { paramsOfProperties, propertiesOf } from '../catalog/spellings.js';
import type { ArgValue, ComponentDef, ParamSpec } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { parseSpec } from '../spec/parser.js';
import { quoteJava } from '../spec/printer.js';
import { builtinCatalog } from './builtins.js';

const catalog = builtinCatalog();

function sample(p: ParamSpec): ArgValue {
  if (p.type === 'int') return 2;
  if (p.type === 'float') return 1.5;
  if (p.type === 'bool') return true;
  return 'x';
}

function sampleProperty(p: PropertySpec): string {
  if (p.choices) return p.choices[0]!;
  if (p.type === 'int' || p.type === 'float') return String(Math.max(p.min ?? 2, 2));
  if (p.type === 'bool') return 'true';
  return 'x';
}

/** A spec call giving every parameter by keyword. */
function callOf(kind: 'source' | 'sink', name: string, values: [string, ArgValue][]) {
  const lit = (v: ArgValue) => (typeof v === 'string' ? quoteJava(v) : String(v));
  const call = `${name}(${values.map(([k, v]) => `${k}=${lit(v)}`).join(', ')})`;
  const text = kind === 'source' ? `n : ${call} | null;` : `n : null | ${call};`;
  const node = parseSpec(text, 'walk.spec').nodes[0]!;
  return kind === 'source' ? node.source : (node.sink as { call: typeof node.source }).call;
}

function propsInput(values: Record<string, string>): PropertyInput {
  return {
    prefix: 'a1.sources.r1.',
    optString: (k) => values[k],
    error: (k, m) => new SluiceError('SLUICE_AGENT_CONFIG', m, { place: { field: k } }),
  };
}

for (const kind of ['source', 'sink'] as const) {
  test(`every spec-defined ${kind} binds from a spec and from an agent file to the same values`, () => {
    const specDefs = catalog.list(kind).filter((d) => d.agentType === undefined);
    assert.ok(specDefs.length > 5);
    for (const def of specDefs as ComponentDef[]) {
      // Each front end resolves the name the way it does for a user: a spec exactly, a file without case.
      assert.equal(catalog.lookup(kind, def.name), def);
      const inFile = catalog.agentFind(kind, def.name.toUpperCase());
      assert.ok(
        inFile?.def === def || inFile?.agent !== undefined,
        `${def.name}: an agent file cannot name it`,
      );
      const values = def.params.map((p): [string, ArgValue] => [p.name, sample(p)]);
      const fromSpec = bindArgs(def, callOf(kind, def.name, values));
      const props = Object.fromEntries(def.params.map((p) => [p.property ?? p.name, String(sample(p))]));
      const fromFile = bindProperties(def, propsInput(props));
      for (const p of def.params)
        assert.deepEqual(fromFile.value(p.name), fromSpec.value(p.name), `${def.name}.${p.name}`);
    }
  });

  test(`every property-defined ${kind} binds from both front ends, or says why a spec cannot name it`, () => {
    const agentDefs: AgentDef[] = catalog.agentList(kind);
    assert.ok(agentDefs.length >= 5);
    for (const a of agentDefs) {
      if (a.kind !== 'ng-source' && a.kind !== 'ng-sink') continue;
      assert.equal(catalog.agentFind(kind, a.type)?.agent, a, `${a.type}: an agent file cannot name it`);
      const spelled = catalog.list(kind).find((d) => d.agentType === a.type);
      const namesake = catalog.find(kind, a.type, { ignoreCase: true });
      if (!spelled) {
        assert.ok(
          a.specUnavailable !== undefined || (namesake !== undefined && namesake.agentType === undefined),
          `${a.type}: no spec spelling, no namesake and no reason`,
        );
        continue;
      }
      const plain = a.properties.filter((p) => !p.name.endsWith('.*'));
      const direct = Object.fromEntries(plain.map((p) => [p.name, sampleProperty(p)]));
      const params = paramsOfProperties(a.properties);
      const values = params.map((p): [string, ArgValue] => {
        const raw = direct[p.property!]!;
        return [p.name, p.type === 'string' ? raw : p.type === 'bool' ? raw === 'true' : Number(raw)];
      });
      assert.equal(catalog.lookup(kind, spelled.name), spelled);
      const fromSpec = propertiesOf(params, bindArgs(spelled, callOf(kind, spelled.name, values)));
      const viaSpec = new ComponentProperties(a.type, a.properties, fromSpec);
      const viaFile = new ComponentProperties(a.type, a.properties, direct);
      for (const p of plain)
        assert.equal(viaSpec.string(p.name), viaFile.string(p.name), `${a.type}.${p.name}`);
    }
  });
}

test('the generated docs show every source and sink in both spellings', () => {
  const text = readFileSync('docs/components.md', 'utf8');
  const sections = text.split(/^### /m).slice(1);
  const end = text.indexOf('## Sink decorators');
  let checked = 0;
  for (const s of text.slice(0, end).split(/^### /m).slice(1)) {
    const heading = s.split('\n')[0]!;
    if (!s.includes('Agent file:') && !s.includes('Spec:')) continue; // special sinks
    assert.match(s, /^Spec: /m, `${heading}: no spec spelling`);
    assert.match(s, /^Agent file: /m, `${heading}: no agent-file spelling`);
    checked++;
  }
  assert.ok(checked >= catalog.list('source').length, `${checked} of ${sections.length}`);
  // Every source and sink has its section, and one that a spec cannot name gives its reason there.
  const headings = new Set(sections.map((s) => s.split('\n')[0]!.replace(/ \(Flume NG\)$/, '')));
  for (const kind of ['source', 'sink'] as const) {
    for (const d of catalog.list(kind))
      if (d.agentType === undefined) assert.ok(headings.has(d.name), `${kind} ${d.name} is not in the docs`);
    for (const a of catalog.agentList(kind)) {
      assert.ok(headings.has(a.type), `${kind} ${a.type} is not in the docs`);
      if (a.specUnavailable !== undefined)
        assert.ok(text.includes(`Spec: not available. ${a.specUnavailable}`), `${a.type}: reason not shown`);
    }
  }
  assert.doesNotMatch(text, /^Spec: not available\.$/m, 'a component a spec cannot name says why');
  assert.match(text, /Spec: `tail\(filename: string/);
  assert.match(text, /Agent file: `a1\.sources\.x\.type = spooldir`/);
});

test('the generated docs show every output format, channel selector and sink processor of the catalog', () => {
  const components = readFileSync('docs/components.md', 'utf8');
  const formats = components.slice(components.indexOf('## Output formats'));
  assert.ok(catalog.formats().length >= 8);
  for (const f of catalog.formats()) assert.match(formats, new RegExp(`^### ${f.name}$`, 'm'));
  const agent = readFileSync('docs/agent-components.md', 'utf8');
  for (const [kind, title] of [
    ['selector', '## Channel selectors'],
    ['processor', '## Sink processors'],
  ] as const) {
    const section = agent.slice(agent.indexOf(title)).split(/^## /m)[1]!;
    assert.ok(catalog.agentList(kind).length >= 2);
    for (const d of catalog.agentList(kind)) assert.match(section, new RegExp(`^### ${d.type}$`, 'm'));
  }
});
