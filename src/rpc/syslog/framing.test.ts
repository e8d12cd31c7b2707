import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../../core/event.js';
import { SyslogFramer } from './framing.js';
import { SYSLOG_PARSE_ERROR, SyslogParser } from './parse.js';
import { Zone } from './zone.js';

function framer(max = 1024): SyslogFramer {
  return new SyslogFramer(new SyslogParser({ zone: Zone.UTC }), '127.0.0.1', max);
}

/** Feeds `data` in pieces of `step` bytes (the worst case for a framer), then ends the connection. */
function frame(data: Buffer | string, step = data.length, max = 1024): Event[] {
  const f = framer(max);
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const out: Event[] = [];
  for (let i = 0; i < buf.length; i += step) f.push(buf.subarray(i, i + step), out);
  f.end(out);
  return out;
}

/** Like frame(), also recording what the framer reports lost: `cut KEPT DROPPED`, `resync COUNT SKIPPED`. */
function frameWithLoss(data: string, step: number, max: number): { out: Event[]; losses: string[] } {
  const losses: string[] = [];
  const f = new SyslogFramer(new SyslogParser({ zone: Zone.UTC }), '127.0.0.1', max, {
    cut: (_peer, kept, dropped) => losses.push(`cut ${kept} ${dropped}`),
    resynced: (_peer, announced, skipped) => losses.push(`resync ${announced} ${skipped}`),
  });
  const buf = Buffer.from(data);
  const out: Event[] = [];
  for (let i = 0; i < buf.length; i += step) f.push(buf.subarray(i, i + step), out);
  f.end(out);
  return { out, losses };
}

const bodies = (es: Event[]) => es.map((e) => e.body.toString());
const errors = (es: Event[]) => es.map((e) => e.getAttrString(SYSLOG_PARSE_ERROR));

describe('syslog framing', () => {
  const mixed = '<13>one\n7 <13>two\nx\r\n<13>three\r\n16 <14>four\nwith LF12 <15>five six';

  it('splits newline and octet-counted messages mixed on one stream', () => {
    assert.deepEqual(bodies(frame(mixed)), [
      '<13>one',
      '<13>two',
      'x',
      '<13>three',
      '<14>four\nwith LF',
      '<15>five six',
    ]);
  });

  it('gives the same messages whatever the chunk boundaries', () => {
    const want = bodies(frame(mixed));
    for (let step = 1; step <= mixed.length; step++)
      assert.deepEqual(bodies(frame(mixed, step)), want, `step ${step}`);
  });

  it('treats digits without a space as text, and skips empty lines', () => {
    assert.deepEqual(bodies(frame('12345\n\n\r\n2024-01-01 boot\n1234567890 <13>x\n')), [
      '12345',
      '2024-01-01 boot',
      '1234567890 <13>x',
    ]);
  });

  it('cuts long lines at the limit, marks them and resumes at the next line', () => {
    for (const step of [1, 7, 1000]) {
      const es = frame(`<13>${'a'.repeat(100)}\n<13>ok\n`, step, 32);
      assert.deepEqual(bodies(es), [`<13>${'a'.repeat(28)}`, '<13>ok'], `step ${step}`);
      assert.deepEqual(errors(es), ['message longer than the limit of 32 bytes; truncated', undefined]);
    }
  });

  it('resynchronises at the next newline after an octet count above the limit, reporting the skip', () => {
    const long = `<13>${'b'.repeat(60)}`;
    for (const step of [1, 5, 1000]) {
      const { out, losses } = frameWithLoss(`${long.length} ${long}\n<13>ok\n9 <13>nine`, step, 32);
      assert.deepEqual(bodies(out), ['<13>ok', '<13>nine'], `step ${step}`);
      assert.deepEqual(losses, [`resync 64 ${long.length + 4}`], `step ${step}`);
    }
  });

  it('skips a bogus 999999999 count and loses only the line it stood on', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `<13>line ${i}`).join('\n');
    for (const step of [7, 65536]) {
      const { out, losses } = frameWithLoss(`999999999 ${lines}\n`, step, 32768);
      assert.equal(out.length, 1999, `step ${step}`);
      assert.equal(bodies(out)[0], '<13>line 1');
      assert.deepEqual(losses, ['resync 999999999 21']);
    }
  });

  it('reads digits and a space not followed by "<" as text, not as a count', () => {
    assert.deepEqual(bodies(frame('2024 was a good year\n<13>next\n')), ['2024 was a good year', '<13>next']);
  });

  it('reports the bytes cut from an overlong line once its newline arrives', () => {
    for (const step of [1, 7, 1000]) {
      const { losses } = frameWithLoss(`<13>${'a'.repeat(100)}\n<13>${'c'.repeat(40)}`, step, 32);
      assert.deepEqual(losses, ['cut 32 72', 'cut 32 12'], `step ${step}`);
    }
  });

  it('says a message is pending while a line or frame is incomplete', () => {
    const f = framer(64);
    const out: Event[] = [];
    assert.equal(f.pending, false);
    f.push(Buffer.from('<13>a\n12'), out);
    assert.equal(f.pending, true, 'a count cut by the chunk');
    f.push(Buffer.from(' <13>abcd'), out);
    assert.equal(f.pending, true, 'an octet-counted frame half received');
    f.push(Buffer.from('efgh<13>x'), out);
    assert.equal(f.pending, true, 'a line without its newline');
    f.push(Buffer.from('\n'), out);
    assert.equal(f.pending, false);
    assert.deepEqual(bodies(out), ['<13>a', '<13>abcdefgh', '<13>x']);
  });

  it('keeps a last line without LF, and marks an octet-counted message cut by the close', () => {
    assert.deepEqual(bodies(frame('<13>a\n<13>tail')), ['<13>a', '<13>tail']);
    assert.deepEqual(errors(frame('<13>tail')), [undefined]);
    const cut = frame('20 <13>short');
    assert.deepEqual(bodies(cut), ['<13>short']);
    assert.deepEqual(errors(cut), ['connection closed after 9 of 20 bytes of an octet-counted message']);
    assert.deepEqual(bodies(frame('<13>a\n42')), ['<13>a', '42'], 'a dangling length is text');
  });

  it('slices bodies from the chunk without copying when a message fits in it', () => {
    const chunk = Buffer.from('<13>a\n<13>b\n');
    const f = framer();
    const out: Event[] = [];
    f.push(chunk, out);
    assert.equal(out[1]!.body.buffer, chunk.buffer);
    assert.equal(out[1]!.body.byteOffset, chunk.byteOffset + 6);
  });

  it('turns random bytes into events, never more than the stream holds', () => {
    let seed = 99;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const buf = Buffer.alloc(200_000);
    for (let i = 0; i < buf.length; i++) {
      const r = rnd() % 20;
      buf[i] = r === 0 ? 0x0a : r === 1 ? 0x20 : r === 2 ? 0x31 + (rnd() % 9) : rnd() & 0xff;
    }
    for (const step of [1, 333, 65536]) {
      const es = frame(buf, step, 256);
      assert.ok(es.length > 1000, `${es.length} events`);
      let bytes = 0;
      for (const e of es) {
        assert.ok(e.body.length > 0 && e.body.length <= 256);
        bytes += e.body.length;
      }
      assert.ok(bytes <= buf.length);
      if (step > 1) assert.deepEqual(bodies(es), bodies(frame(buf, 1, 256)));
    }
  });
});
