import { networkInterfaces } from 'node:os';
import type { InterceptorDef } from '../catalog/ng.js';
import { localHost } from '../core/event.js';
import { setHeader } from './set-header.js';

function firstAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  return '127.0.0.1';
}

export const hostInterceptor: InterceptorDef = {
  kind: 'interceptor',
  type: 'host',
  docs: "Adds the agent's host (its IP address, or its name with useIP = false) as a header (default `host`).",
  properties: [
    { name: 'hostHeader', type: 'string', default: 'host', docs: 'The header to write.' },
    { name: 'useIP', type: 'bool', default: 'true', docs: 'Write the IP address instead of the host name.' },
    {
      name: 'preserveExisting',
      type: 'bool',
      default: 'false',
      docs: 'Keep a header that is already there.',
    },
  ],
  create(props) {
    const header = props.string('hostHeader');
    const value = Buffer.from(props.bool('useIP') ? firstAddress() : localHost());
    const preserve = props.bool('preserveExisting');
    return (batch) => {
      for (const e of batch) setHeader(e, header, value, preserve);
      return batch;
    };
  },
};
