import { createHash } from 'node:crypto';
import avro from 'avsc';
import { SluiceError } from '../../core/errors.js';

/**
 * The Avro protocols Sluice speaks, as the exact JSON Java's IDL compiler (Avro 1.8) produces: the
 * handshake identifies a protocol by the MD5 of that JSON text, so a Java peer answers BOTH on the first
 * request only when every byte (key order, the license `doc`, no whitespace) is the same.
 *
 * Facts verified for this file (see protocols.test.ts):
 * - Java's IDL parser turns the `/** ... *\/` license header above `protocol` into the protocol's `doc`:
 *   the text between the comment markers, trimmed, with its ` * ` line prefixes left in place.
 * - Java's Protocol.toString() key order: protocol, namespace, doc, types, messages; inside a message:
 *   request, response; named types omit the protocol's namespace.
 * - Flume's flume.avdl declares namespace org.apache.flume.source.avro; Spark 2.x's sparkflume.avdl
 *   declares org.apache.spark.streaming.flume.sink (later Spark trees changed it, which changes the hash).
 */
const APACHE_LICENSE_DOC = [
  '* Licensed to the Apache Software Foundation (ASF) under one',
  ' * or more contributor license agreements.  See the NOTICE file',
  ' * distributed with this work for additional information',
  ' * regarding copyright ownership.  The ASF licenses this file',
  ' * to you under the Apache License, Version 2.0 (the',
  ' * "License"); you may not use this file except in compliance',
  ' * with the License.  You may obtain a copy of the License at',
  ' *',
  ' * http://www.apache.org/licenses/LICENSE-2.0',
  ' *',
  ' * Unless required by applicable law or agreed to in writing,',
  ' * software distributed under the License is distributed on an',
  ' * "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY',
  ' * KIND, either express or implied.  See the License for the',
  ' * specific language governing permissions and limitations',
  ' * under the License.',
].join('\n');

export const AVRO_SOURCE_PROTOCOL_JSON = JSON.stringify({
  protocol: 'AvroSourceProtocol',
  namespace: 'org.apache.flume.source.avro',
  doc: APACHE_LICENSE_DOC,
  types: [
    { type: 'enum', name: 'Status', symbols: ['OK', 'FAILED', 'UNKNOWN'] },
    {
      type: 'record',
      name: 'AvroFlumeEvent',
      fields: [
        { name: 'headers', type: { type: 'map', values: 'string' } },
        { name: 'body', type: 'bytes' },
      ],
    },
  ],
  messages: {
    append: { request: [{ name: 'event', type: 'AvroFlumeEvent' }], response: 'Status' },
    appendBatch: {
      request: [{ name: 'events', type: { type: 'array', items: 'AvroFlumeEvent' } }],
      response: 'Status',
    },
  },
});

export const SPARK_FLUME_PROTOCOL_JSON = JSON.stringify({
  protocol: 'SparkFlumeProtocol',
  namespace: 'org.apache.spark.streaming.flume.sink',
  doc: APACHE_LICENSE_DOC,
  types: [
    {
      type: 'record',
      name: 'SparkSinkEvent',
      fields: [
        { name: 'headers', type: { type: 'map', values: 'string' } },
        { name: 'body', type: 'bytes' },
      ],
    },
    {
      type: 'record',
      name: 'EventBatch',
      fields: [
        { name: 'errorMsg', type: 'string', default: '' },
        { name: 'sequenceNumber', type: 'string' },
        { name: 'events', type: { type: 'array', items: 'SparkSinkEvent' } },
      ],
    },
  ],
  messages: {
    getEventBatch: { request: [{ name: 'n', type: 'int' }], response: 'EventBatch' },
    ack: { request: [{ name: 'sequenceNumber', type: 'string' }], response: 'null' },
    nack: { request: [{ name: 'sequenceNumber', type: 'string' }], response: 'null' },
  },
});

/** Flume NG's `Status` enum as its Avro index (the byte on the wire is the zig-zag of it). */
export const Status = { OK: 0, FAILED: 1, UNKNOWN: 2 } as const;
export type StatusValue = (typeof Status)[keyof typeof Status];

export interface MessageInfo {
  name: string;
  oneWay: boolean;
  requestType: avro.Type;
  responseType: avro.Type;
}

/** A protocol as the transport needs it: its JSON text, MD5 and messages. */
export interface AvroProtocol {
  name: string;
  json: string;
  hash: Buffer;
  messages: ReadonlyMap<string, MessageInfo>;
}

interface AvscMessage {
  name: string;
  oneWay: boolean;
  requestType: avro.Type;
  responseType: avro.Type;
}

export function md5(text: string): Buffer {
  return createHash('md5').update(text, 'utf8').digest();
}

/** Parses a protocol's JSON (ours, or one a peer sent in a handshake). The hash is of the text as given. */
export function protocolFromJson(json: string): AvroProtocol {
  let svc: avro.Service;
  try {
    svc = avro.Service.forProtocol(JSON.parse(json));
  } catch (e) {
    throw new SluiceError('SLUICE_FORMAT', `invalid avro protocol: ${(e as Error).message}`, { cause: e });
  }
  const messages = new Map<string, MessageInfo>();
  for (const m of svc.messages as AvscMessage[]) {
    messages.set(m.name, {
      name: m.name,
      oneWay: m.oneWay,
      requestType: m.requestType,
      responseType: m.responseType,
    });
  }
  return { name: svc.name, json, hash: md5(json), messages };
}

export const avroSourceProtocol: AvroProtocol = protocolFromJson(AVRO_SOURCE_PROTOCOL_JSON);
export const sparkFlumeProtocol: AvroProtocol = protocolFromJson(SPARK_FLUME_PROTOCOL_JSON);
