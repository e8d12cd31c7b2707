import { SeqfileReader, SeqfileWriter } from '../../../src/formats/seqfile.js';
import { eventFields, randomEvents } from '../events.js';
import { check, errorKind, type FuzzTarget, randomChunks } from '../target.js';

function read(chunks: readonly Buffer[]): string {
  const reader = new SeqfileReader('fuzz.seq');
  const seen: string[] = [];
  try {
    for (const c of chunks) {
      reader.push(c);
      for (let e = reader.next(); e !== undefined; e = reader.next())
        seen.push(JSON.stringify(eventFields(e)));
    }
    return `${seen.join(',')} | left ${reader.finish()}`;
  } catch (e) {
    if (errorKind(e).startsWith('SluiceError')) return `${seen.join(',')} | ${(e as Error).message}`;
    throw e;
  }
}

export const seqfile: FuzzTarget = {
  name: 'seqfile',
  doc:
    'Hadoop SequenceFile reader of Flume OG events (src/formats/seqfile.ts). Property: the events, the bytes ' +
    'left over and the error are the same whether the file is pushed whole or in random pieces.',
  valid(rng) {
    const w = new SeqfileWriter({ sync: rng.bytes(16), metadata: rng.chance(0.3) ? { k: rng.text(5) } : {} });
    const parts = [w.header()];
    for (let n = rng.between(0, 3); n > 0; n--) parts.push(w.encode(randomEvents(rng, 20, { maxBody: 200 })));
    return Buffer.concat(parts);
  },
  dictionary: [Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from('SEQ\x06'), Buffer.from([0x8f])],
  run(input, rng) {
    const whole = read([input]);
    const pieces = read(randomChunks(input, rng));
    check(
      whole === pieces,
      `chunking changed the result:\n  whole:  ${whole.slice(0, 300)}\n  pieces: ${pieces.slice(0, 300)}`,
    );
  },
};
