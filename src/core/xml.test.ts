import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSluiceError } from './errors.js';
import { parseXml } from './xml.js';

test('elements, attributes, text, self-closing tags and positions', () => {
  const root = parseXml(
    `<?xml version="1.0"?>\n<a x="1" y='two &amp; 3'>\n  hi <b/>\n  <c>t&#233;xt</c>\n</a>`,
    'f.xml',
  );
  assert.equal(root.name, 'a');
  assert.deepEqual(root.attrs, { x: '1', y: 'two & 3' });
  assert.deepEqual(
    root.children.map((c) => [c.name, c.text, c.line, c.column]),
    [
      ['b', '', 3, 6],
      ['c', 'téxt', 4, 3],
    ],
  );
  assert.equal(root.text.replace(/\s+/g, ' '), ' hi ');
  assert.deepEqual([root.line, root.column], [2, 1]);
});

test('malformed documents: SLUICE_CONFIG with file, line and column', () => {
  const cases: [string, number, number, RegExp][] = [
    ['<a>\n<b></a>', 2, 4, /<\/a> does not match <b> opened at line 2, column 1/],
    ['<a x="1" x="2"/>', 1, 10, /duplicate attribute x/],
    ['<a x="1"y="2"/>', 1, 9, /expected whitespace/],
    ['<a/><b/>', 1, 5, /a second root element/],
    ['<a><![CDATA[open</a>', 1, 4, /unterminated CDATA/],
    ['<a>&#xZZ;</a>', 1, 4, /bad character reference/],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a/>', 1, 1, /internal subset/],
    ['<1a/>', 1, 2, /expected an element name/],
  ];
  for (const [text, line, column, re] of cases) {
    assert.throws(
      () => parseXml(text, 'bad.xml'),
      (e: unknown) => {
        assert.ok(isSluiceError(e));
        assert.equal(e.code, 'SLUICE_CONFIG');
        assert.match(e.message, re);
        assert.deepEqual(e.place, { file: 'bad.xml', line, column }, text);
        return true;
      },
    );
  }
});
