import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComponentProperties } from '../../catalog/properties.js';
import { BoundArgs } from '../../catalog/types.js';
import { memoryLogger } from '../../core/logger.js';
import {
  NG_CLIENT_TLS_PROPERTIES,
  NG_SERVER_TLS_PROPERTIES,
  readNgClientTls,
  readNgServerTls,
  readTlsArgs,
} from './tls.js';

test('readTlsArgs: a file named implies ssl; a client needs no key, a server does', () => {
  const args = (a: Record<string, string | boolean>) => BoundArgs.of('syslogTcp', a);
  assert.deepEqual(readTlsArgs(args({}), 'client'), {
    ssl: false,
    keyFile: undefined,
    certFile: undefined,
    caFile: undefined,
    trustAllCerts: false,
  });
  assert.equal(readTlsArgs(args({ caFile: 'ca.pem' }), 'client').ssl, true);
  assert.equal(readTlsArgs(args({ ssl: true }), 'client').ssl, true);
  assert.throws(() => readTlsArgs(args({ caFile: 'ca.pem' }), 'server'), {
    message: 'ssl needs keyFile and certFile on a listening port',
  });
  assert.throws(
    () => readTlsArgs(args({ certFile: 'c.pem' }), 'client'),
    (e: unknown) => {
      assert.equal((e as { place?: { field?: string } }).place?.field, 'keyFile');
      return true;
    },
  );
});

test('readNgServerTls: keys without ssl = true are ignored with a warning; ssl-key/ssl-cert work like keystore', () => {
  const logger = memoryLogger();
  const read = (p: Record<string, string>) =>
    readNgServerTls(new ComponentProperties('source r1', NG_SERVER_TLS_PROPERTIES, p), logger);
  assert.equal(read({ keystore: 'ks.pem' }).ssl, false);
  assert.deepEqual(logger.lines, [
    'WARN source r1: keystore, ssl-key, ssl-cert and ssl-ca have no effect without ssl = true',
  ]);
  const t = read({ ssl: 'true', 'ssl-key': 'k.pem', 'ssl-cert': 'c.pem', 'ssl-ca': 'ca.pem' });
  assert.deepEqual([t.ssl, t.keyFile, t.certFile, t.caFile], [true, 'k.pem', 'c.pem', 'ca.pem']);
  assert.throws(() => read({ ssl: 'true', keystore: 'ks.pem', 'ssl-key': 'k.pem' }), {
    message: 'source r1: give either keystore or ssl-key and ssl-cert, not both',
  });
});

test('readNgClientTls: truststore is the CA only with ssl = true; JKS is refused naming the key', () => {
  const logger = memoryLogger();
  const read = (p: Record<string, string>) =>
    readNgClientTls(new ComponentProperties('sink k1', NG_CLIENT_TLS_PROPERTIES, p), logger);
  const off = read({ truststore: 'ca.pem', 'trust-all-certs': 'true' });
  assert.deepEqual([off.ssl, off.caFile, off.trustAllCerts], [false, undefined, false]);
  assert.deepEqual(logger.lines, [
    'WARN sink k1: trust-all-certs and truststore have no effect without ssl = true',
  ]);
  const on = read({ ssl: 'true', truststore: 'ca.pem', 'exclude-protocols': 'SSLv3 TLSv1 TLSv1.1' });
  assert.deepEqual([on.ssl, on.caFile, on.trustAllCerts], [true, 'ca.pem', false]);
  assert.equal(on.tlsLimits?.minVersion, 'TLSv1.2');
  assert.throws(() => read({ ssl: 'true', 'truststore-type': 'JKS' }), {
    code: 'SLUICE_CONFIG',
    message: 'sink k1: truststore-type "JKS" is not supported: Sluice reads PEM files',
  });
});
