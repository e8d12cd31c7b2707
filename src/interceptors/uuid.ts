import { randomUUID } from 'node:crypto';
import type { InterceptorDef } from '../catalog/ng.js';
import { setHeader } from './set-header.js';

export const uuidInterceptor: InterceptorDef = {
  kind: 'interceptor',
  type: 'uuid',
  aliases: ['org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder'],
  docs: 'Gives each event a unique id header (default `id`), for deduplication downstream.',
  properties: [
    { name: 'headerName', type: 'string', default: 'id', docs: 'The header to write.' },
    { name: 'preserveExisting', type: 'bool', default: 'true', docs: 'Keep an id that is already there.' },
    { name: 'prefix', type: 'string', default: '', docs: 'Text put before every id.' },
  ],
  create(props) {
    const header = props.string('headerName');
    const preserve = props.bool('preserveExisting');
    const prefix = props.string('prefix');
    return (batch) => {
      for (const e of batch) setHeader(e, header, prefix + randomUUID(), preserve);
      return batch;
    };
  },
};
