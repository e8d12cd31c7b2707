import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { regexDeco } from './regex.js';

const build = (regex: string, idx: number, attr: string, child: EventSink = new CollectingSink()) =>
  regexDeco.build(BoundArgs.of('regex', { regex, idx, attr }), testContext(), child);

test('regex writes the chosen group of the first match, "" when nothing matches', async () => {
  const child = new CollectingSink();
  const deco = build('(\\d+):(\\d+):(\\d+)', 3, 'third', child);
  await deco.open();
  await deco.append([
    Event.of('123:456:789'),
    Event.of('abc:def:xyz'),
    Event.of('55:66:33:22'),
    Event.of('time 1:2:3 then 4:5:6'),
  ]);
  assert.deepEqual(
    child.events.map((e) => e.getAttrString('third')),
    ['789', '', '33', '3'],
  );
});

test('group 0 is the whole match; an optional group that did not take part gives ""', async () => {
  const child = new CollectingSink();
  const deco = build('ERROR(?: (\\w+))?', 0, 'all', build('ERROR(?: (\\w+))?', 1, 'word', child));
  await deco.append([Event.of('x ERROR disk'), Event.of('ERROR')]);
  assert.deepEqual(
    child.events.map((e) => [e.getAttrString('all'), e.getAttrString('word')]),
    [
      ['ERROR disk', 'disk'],
      ['ERROR', ''],
    ],
  );
});

test('regex does not overwrite an upstream attribute', async () => {
  const child = new CollectingSink();
  await build('(\\w+)', 1, 'w', child).append([Event.of('new', { attrs: { w: 'old' } })]);
  assert.equal(child.events[0]!.getAttrString('w'), 'old');
});

function badArgument(field: string, message: RegExp) {
  return (e: unknown) =>
    e instanceof SluiceError &&
    e.code === 'SLUICE_SPEC_BAD_ARGUMENT' &&
    e.place?.component === 'regex' &&
    e.place.field === field &&
    message.test(e.message);
}

test('a bad regex fails at build time naming the argument', () => {
  assert.throws(
    () => build('(\\d+', 1, 'a'),
    badArgument('regex', /^bad regular expression "\(\\d\+": Unterminated group$/),
  );
  assert.throws(() => build('a*+', 0, 'a'), badArgument('regex', /possessive/));
});

test('a group index beyond the pattern is refused at build time', () => {
  assert.throws(
    () => build('(a)(b)', 3, 'x'),
    badArgument('idx', /idx 3 is out of range: "\(a\)\(b\)" has 2 capture groups/),
  );
  assert.throws(() => build('(a)', -1, 'x'), badArgument('idx', /idx must be an integer >= 0/));
});
