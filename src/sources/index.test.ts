import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SOURCES } from './index.js';

describe('SOURCES', () => {
  it('lists every source once, each documented with ordered parameters', () => {
    const names = SOURCES.map((s) => s.name);
    assert.deepEqual(names, [
      'null',
      'console',
      'text',
      'tail',
      'multitail',
      'tailDir',
      'synth',
      'nonlsynth',
      'asciisynth',
      'exec',
      'execStream',
      'execPeriodic',
      'seqfile',
      'syslogUdp',
      'syslogTcp',
      'syslogTcp1',
      'rpcSource',
      'avroSource',
      'collectorSource',
      'logicalSource',
      'report',
    ]);
    for (const s of SOURCES) {
      assert.equal(s.kind, 'source');
      assert.ok(s.docs.length > 40, `${s.name} has docs`);
      let optionalSeen = false;
      for (const p of s.params) {
        assert.ok(p.docs.length > 0, `${s.name}.${p.name} has docs`);
        if (p.optional) optionalSeen = true;
        else assert.ok(!optionalSeen, `${s.name}: required ${p.name} after an optional parameter`);
      }
    }
  });
});
