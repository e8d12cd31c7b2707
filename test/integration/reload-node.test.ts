// Live reload of a spec file with real processes: `sluice node -1 -f FILE` runs two logical nodes, each
// an avro source fed by its own sender process and an avro sink to its own receiving server. Mid-stream
// one node's spec gains a decorator and SIGHUP applies the file: the unchanged node keeps running
// untouched (its sink never reconnects), the changed node is drained and replaced; every event of
// both arrives once, and the changed node's events carry the new attribute from one event on.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AvroReceiver } from '../support/avro-receiver.js';
import { byHeader, exited, listeningPort, output, sender, sluice } from '../support/processes.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const TOTAL = Number(process.env.SLUICE_RELOAD_EVENTS ?? 100_000);
// About 10 s of sending, most of it after the reload is asked for: a reload slowed by a loaded
// machine still lands mid-stream.
const RATE = Math.max(2000, TOTAL / 10);

function spec(p1: number, r1: number, p2: number, r2: number, tagged: boolean): string {
  const sink2 = `avroSink("127.0.0.1", ${r2})`;
  return [
    '// keep never changes; change gains a decorator on reload',
    `keep : avroSource(${p1}, bind="127.0.0.1") | avroSink("127.0.0.1", ${r1}) ;`,
    `change : avroSource(${p2}, bind="127.0.0.1") | ${tagged ? `{ value("reload", "v2") => ${sink2} }` : sink2} ;`,
    '',
  ].join('\n');
}

test(`node -1 -f reload on SIGHUP: ${TOTAL} events per node, the unchanged node untouched, the changed one drained and replaced: 0 lost, 0 duplicated`, {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir('reload-node', t);
  const r1 = new AvroReceiver();
  const r2 = new AvroReceiver();
  const k1 = await r1.listen();
  const k2 = await r2.listen();
  t.after(() => Promise.all([r1.close(), r2.close()]));
  const file = join(dir, 'nodes.flume');
  // Port 0: the kernel picks the ports, so no other test can take one while the node starts. keep's
  // text stays as it is; change, replaced anyway, gets the port it had.
  writeFileSync(file, spec(0, k1, 0, k2, false));
  const node = sluice(['node', '-1', '-f', file, '--no-reload-conf'], dir);
  const log = output(node);
  t.after(() => {
    if (node.exitCode === null) node.kill('SIGKILL');
  });
  const p1 = await listeningPort(node, log.text, 'keep/avroSource');
  const p2 = await listeningPort(node, log.text, 'change/avroSource');

  const senders = [sender(p1, TOTAL, RATE), sender(p2, TOTAL, RATE)];
  const sent = senders.map(output);
  t.after(() => {
    for (const s of senders) if (s.exitCode === null) s.kill('SIGKILL');
  });

  await waitFor(
    () => r2.distinct >= TOTAL / 5,
    () => `a fifth of the events at r2 (${r2.distinct})`,
    60_000,
  );
  writeFileSync(file, spec(0, k1, p2, k2, true));
  node.kill('SIGHUP');
  await waitFor(
    () => /reloaded \(SIGHUP\): version 2/.test(log.text()),
    () => `the reload in:\n${log.text()}`,
    30_000,
  );
  assert.match(log.text(), /replaced: change; unchanged: keep/);
  assert.ok(r2.distinct < TOTAL, 'the reload happened mid-stream');

  for (const [i, s] of senders.entries()) assert.equal(await exited(s), 0, sent[i]!.text());
  await waitFor(
    () => r1.distinct >= TOTAL && r2.distinct >= TOTAL,
    () => `every event at both receivers (${r1.distinct}, ${r2.distinct} of ${TOTAL})`,
    60_000,
  );
  node.kill('SIGTERM');
  assert.equal(await exited(node), 0, log.text());

  assert.deepEqual(r1.duplicates(), [], 'no event twice from keep');
  assert.deepEqual(r2.duplicates(), [], 'no event twice from change');
  assert.equal(r1.peers.size, 1, `keep's sink kept its one connection (peers: ${[...r1.peers].join(' ')})`);
  assert.equal(r2.peers.size, 2, "change's sink was replaced: a second connection");
  assert.deepEqual(byHeader(r1).tagged, [], 'keep runs its old spec');
  const at2 = byHeader(r2);
  assert.ok(at2.plain.length > 0 && at2.tagged.length > 0, 'events on both sides of the reload');
  assert.ok(at2.plain.at(-1)! < at2.tagged[0]!, 'the attribute appears from one event on');
});
