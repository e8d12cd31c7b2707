import { SluiceError } from './errors.js';
import { PROPERTIES } from './site-properties.js';
import { badValue, checkValue, propertyDef, propertyNames } from './site-values.js';
import { closest } from './suggest.js';
import { parseXml, type XmlElement } from './xml.js';

/**
 * The Hadoop configuration XML of a site (`<configuration><property><name>..</name><value>..</value>`):
 * reading one document, checked against the property table, and writing `conf/flume-conf.xml` from it.
 */

export interface RawProperty {
  name: string;
  value: string;
  final: boolean;
  line: number;
  column: number;
}

const PROPERTY_CHILDREN = new Set(['name', 'value', 'description', 'final', 'source']);

/**
 * The properties of one Hadoop configuration document, checked against PROPERTIES. Unknown names,
 * unknown elements and duplicates go to `warnings`; malformed structure and bad values throw.
 */
export function readConfigXml(text: string, file: string, warnings: string[] = []): RawProperty[] {
  const root = parseXml(text, file);
  const at = (el: XmlElement) => ({ file, line: el.line, column: el.column });
  if (root.name !== 'configuration') {
    throw new SluiceError('SLUICE_CONFIG', `the root element must be <configuration>, not <${root.name}>`, {
      place: at(root),
    });
  }
  const out: RawProperty[] = [];
  const seen = new Map<string, number>();
  for (const el of root.children) {
    if (el.name !== 'property') {
      warnings.push(`${file}:${el.line}: ignoring <${el.name}> (only <property> elements are read)`);
      continue;
    }
    let name: XmlElement | undefined;
    let value: XmlElement | undefined;
    let final: XmlElement | undefined;
    for (const c of el.children) {
      if (!PROPERTY_CHILDREN.has(c.name)) {
        warnings.push(`${file}:${c.line}: ignoring <${c.name}> in <property>`);
        continue;
      }
      if ((c.name === 'name' && name) || (c.name === 'value' && value)) {
        throw new SluiceError('SLUICE_CONFIG', `<property> has two <${c.name}> elements`, { place: at(c) });
      }
      if (c.name === 'name') name = c;
      else if (c.name === 'value') value = c;
      else if (c.name === 'final') final = c;
    }
    const key = name?.text.trim() ?? '';
    if (key === '') {
      throw new SluiceError('SLUICE_CONFIG', '<property> without a <name>', { place: at(name ?? el) });
    }
    const v = value?.text.trim() ?? '';
    const where = value ?? el;
    const def = propertyDef(key);
    if (def === undefined) {
      const hint = closest(key, propertyNames(), 1)[0];
      warnings.push(
        `${file}:${name!.line}: unknown property ${key}${hint ? ` (did you mean ${hint}?)` : ''}`,
      );
    } else {
      const problem = checkValue(key, v);
      if (problem) throw badValue(key, v, problem, at(where));
    }
    const earlier = seen.get(key);
    if (earlier !== undefined)
      warnings.push(`${file}:${name!.line}: ${key} is set again (line ${earlier} is ignored)`);
    seen.set(key, name!.line);
    out.push({
      name: key,
      value: v,
      final: final?.text.trim() === 'true',
      line: name!.line,
      column: name!.column,
    });
  }
  return out;
}

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The text of `conf/flume-conf.xml`: every property with its default and description. */
export function renderDefaultsXml(): string {
  const lines = [
    '<?xml version="1.0"?>',
    '<?xml-stylesheet type="text/xsl" href="configuration.xsl"?>',
    '<!--',
    '  Sluice default site configuration, generated from PROPERTIES in src/core/site-properties.ts by',
    '  `npm run docs`. Do not edit: put site-specific values in',
    '  flume-site.xml (see flume-site.xml.template), which overrides this file.',
    '-->',
    '<configuration>',
  ];
  for (const p of PROPERTIES) {
    lines.push(
      '',
      '  <property>',
      `    <name>${p.name}</name>`,
      `    <value>${xmlText(p.default)}</value>`,
      `    <description>${xmlText(p.docs)}</description>`,
      '  </property>',
    );
  }
  lines.push('</configuration>', '');
  return lines.join('\n');
}
