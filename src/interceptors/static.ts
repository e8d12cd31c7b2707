import type { InterceptorDef } from '../catalog/ng.js';
import { setHeader } from './set-header.js';

export const staticInterceptor: InterceptorDef = {
  kind: 'interceptor',
  type: 'static',
  docs: 'Adds a fixed header to every event.',
  properties: [
    { name: 'key', type: 'string', default: 'key', docs: 'The header name.' },
    { name: 'value', type: 'string', default: 'value', docs: 'The header value.' },
    { name: 'preserveExisting', type: 'bool', default: 'true', docs: 'Keep a header that is already there.' },
  ],
  create(props) {
    const key = props.string('key');
    const value = Buffer.from(props.string('value'));
    const preserve = props.bool('preserveExisting');
    return (batch) => {
      for (const e of batch) setHeader(e, key, value, preserve);
      return batch;
    };
  },
};
