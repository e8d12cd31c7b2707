import { get } from 'node:https';
import { authority, issue } from '../../test/fixtures/tls.js';
import { memoryLogger } from '../core/logger.js';
import { nodeSnapshot, StatusServer } from './server.js';

const ca = authority()!;
const other = authority('other')!;
const srv = issue(ca, 'server', 'server')!;
const cli = issue(ca, 'client', 'client')!;
const bad = issue(other, 'bad', 'client')!;
const logger = memoryLogger();
const server = await StatusServer.start({
  host: '127.0.0.1',
  port: 0,
  nextFree: false,
  logger,
  snapshot: () => nodeSnapshot({ node: 'n', runs: 'agent', reports: () => [], version: () => 1 }),
  tls: { key: srv.key, cert: srv.cert, ca: ca.cert },
});
const one = (o: object) =>
  new Promise<string>((res) => {
    const r = get(new URL('/metrics', server.url), { ca: ca.cert, ...o }, (x) => {
      x.resume();
      x.on('end', () => res(`status ${x.statusCode}`));
    });
    r.on('error', (e) => res(`error ${(e as NodeJS.ErrnoException).code} ${e.message}`));
  });
for (let i = 0; i < Number(process.argv[2] ?? 3); i++) {
  console.log('none', await one({}));
  console.log('bad', await one({ key: bad.key, cert: bad.cert }));
  console.log('good', await one({ key: cli.key, cert: cli.cert }));
  console.log('tls12 none', await one({ maxVersion: 'TLSv1.2' }));
}
console.log(logger.lines);
await server.close();

import { connect } from 'node:tls';

const raw = (o: object) =>
  new Promise<string>((res) => {
    const got: string[] = [];
    const s = connect({ host: '127.0.0.1', port: server.port, ca: ca.cert, ...o }, () => {
      got.push('secure');
      s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    s.on('data', (d) => got.push(`data ${d.length}`));
    s.on('error', (e) => got.push(`error ${(e as NodeJS.ErrnoException).code}`));
    s.on('close', () => res(got.join(', ')));
  });
const server2 = await StatusServer.start({
  host: '127.0.0.1',
  port: 0,
  nextFree: false,
  logger,
  snapshot: () => nodeSnapshot({ node: 'n', runs: 'agent', reports: () => [], version: () => 1 }),
  tls: { key: srv.key, cert: srv.cert, ca: ca.cert },
});
Object.assign(server, { port: server2.port });
for (let i = 0; i < 3; i++) {
  console.log('raw none', await raw({}));
  console.log('raw bad', await raw({ key: bad.key, cert: bad.cert }));
  console.log('raw good', await raw({ key: cli.key, cert: cli.cert }));
}
console.log(logger.lines);
await server2.close();
