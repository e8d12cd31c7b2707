import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ack, acked, ackOf, takeAck, takenAck, withAck } from './ack.js';
import { Event } from './event.js';

test('an ack settles once: the first ok or fail wins and listeners hear it once', () => {
  const heard: (string | undefined)[] = [];
  const a = new Ack((e) => heard.push(e?.message));
  a.onSettle((e) => heard.push(`second ${e?.message}`));
  assert.equal(a.isSettled, false);
  assert.equal(a.ok(), true);
  assert.equal(a.fail(new Error('late')), false);
  assert.equal(a.ok(), false);
  assert.deepEqual(heard, [undefined, 'second undefined']);
  assert.equal(a.isOk, true);
  assert.equal(a.error, undefined);
  // A listener added after settling hears the outcome at once.
  a.onSettle((e) => heard.push(`late ${e?.message}`));
  assert.deepEqual(heard.at(-1), 'late undefined');
});

test('a failed ack carries its error to listeners and to settled()', async () => {
  const a = new Ack();
  const p = a.settled();
  a.fail(new Error('channel full'));
  assert.equal((await p)?.message, 'channel full');
  assert.equal(a.isOk, false);
  assert.equal(a.error?.message, 'channel full');
  assert.equal((await a.settled())?.message, 'channel full');
});

test('a split batch is ok when every part is ok, failed at the first failing part', () => {
  const outcomes: (string | undefined)[] = [];
  const whole = new Ack((e) => outcomes.push(e?.message ?? 'ok'));
  const parts = whole.split(3);
  parts[0]!.ok();
  parts[2]!.ok();
  assert.equal(whole.isSettled, false);
  parts[1]!.ok();
  assert.deepEqual(outcomes, ['ok']);

  const failed = new Ack((e) => outcomes.push(e?.message ?? 'ok'));
  const [p, q, r] = failed.split(3);
  p!.ok();
  q!.fail(new Error('sink down'));
  r!.ok();
  assert.deepEqual(outcomes, ['ok', 'sink down']);
  assert.equal(failed.isOk, false);

  const empty = new Ack();
  assert.deepEqual(empty.split(0), []);
  assert.equal(empty.isOk, true);
});

test('a listener that throws does not keep the others from hearing; the settler gets the error', () => {
  const heard: string[] = [];
  const a = new Ack(() => {
    throw new Error('source bug');
  });
  a.onSettle(() => heard.push('second'));
  assert.throws(() => a.ok(), /source bug/);
  assert.deepEqual(heard, ['second']);
  assert.equal(a.isOk, true);
});

test('an ack travels with its batch until taken, once', () => {
  const b = [Event.of('x')];
  assert.equal(ackOf(b), undefined);
  let outcome = '';
  assert.equal(
    acked(b, (e) => (outcome = e ? 'failed' : 'ok')),
    b,
  );
  const a = takeAck(b);
  assert.ok(a instanceof Ack);
  assert.equal(takeAck(b), undefined, 'a batch is taken once');
  a.ok();
  assert.equal(outcome, 'ok');
  const ack = new Ack();
  const c = withAck([Event.of('y')], ack);
  // ackOf leaves it attached; takeAck removes it.
  assert.equal(ackOf(c), ack);
  assert.equal(ackOf(c), ack);
  assert.equal(takeAck(c), ack);
  assert.equal(ackOf(c), undefined);
});

test('a sink learns whether the array it got was taken, and with which ack', () => {
  const bare = [Event.of('a')];
  const made = [Event.of('b')];
  assert.equal(takeAck(bare), undefined);
  assert.equal(takenAck(bare), null, 'taken without an ack: safe to make it durable later');
  assert.equal(takenAck(made), undefined, 'an array no runner took: unknown');
  const ack = new Ack();
  const withOne = withAck([Event.of('c')], ack);
  assert.equal(takeAck(withOne), ack);
  assert.equal(takenAck(withOne), ack);
  assert.equal(takenAck(bare), null, 'a take with an ack leaves the last bare batch known');
  const next = [Event.of('d')];
  takeAck(next);
  assert.equal(takenAck(next), null);
  assert.equal(takenAck(bare), undefined, 'displaced by a later take: unknown, never a wrong null');
  // The same array handed out again with an ack is no longer bare.
  withAck(next, ack);
  assert.equal(takeAck(next), ack);
  assert.equal(takenAck(next), ack);
});
