import type { InterceptorDef } from '../catalog/ng.js';
import { setHeader } from './set-header.js';

export const timestampInterceptor: InterceptorDef = {
  kind: 'interceptor',
  type: 'timestamp',
  docs:
    'Stamps each event with the time it passed the interceptor: the header (default `timestamp`) gets the ' +
    'epoch milliseconds as decimal text, and the event timestamp is set too, so bucketing escapes (%Y, %H) use it.',
  properties: [
    { name: 'headerName', type: 'string', default: 'timestamp', docs: 'The header to write.' },
    {
      name: 'preserveExisting',
      type: 'bool',
      default: 'false',
      docs: 'Keep a header that is already there.',
    },
  ],
  create(props) {
    const header = props.string('headerName');
    const preserve = props.bool('preserveExisting');
    return (batch) => {
      const now = Date.now();
      const text = Buffer.from(String(now));
      for (const e of batch) {
        if (preserve && e.hasAttr(header)) continue;
        e.timestamp = now;
        setHeader(e, header, text, false);
      }
      return batch;
    };
  },
};
