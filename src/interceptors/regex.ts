import type { InterceptorDef } from '../catalog/ng.js';
import type { ComponentProperties } from '../catalog/properties.js';
import type { Batch } from '../core/event.js';
import { setHeader } from './set-header.js';

function compile(props: ComponentProperties): RegExp {
  const source = props.string('regex');
  try {
    return new RegExp(source);
  } catch (e) {
    throw props.error('regex', `bad regex /${source}/: ${(e as Error).message}`);
  }
}

export const regexFilterInterceptor: InterceptorDef = {
  kind: 'interceptor',
  type: 'regex_filter',
  docs: 'Keeps the events whose body (as UTF-8) matches `regex`, or drops them with excludeEvents = true.',
  properties: [
    { name: 'regex', type: 'string', default: '.*', docs: 'A regular expression matched against the body.' },
    {
      name: 'excludeEvents',
      type: 'bool',
      default: 'false',
      docs: 'Drop matching events instead of keeping them.',
    },
  ],
  create(props) {
    const re = compile(props);
    const exclude = props.bool('excludeEvents');
    return (batch) => batch.filter((e) => re.test(e.body.toString('utf8')) !== exclude);
  },
};

export const regexExtractorInterceptor: InterceptorDef = {
  kind: 'interceptor',
  type: 'regex_extractor',
  docs:
    'Matches `regex` against the body and writes capture group i to the header named by ' +
    '`serializers.<s_i>.name`, for the serializers listed in `serializers` (in group order).',
  properties: [
    { name: 'regex', type: 'string', required: true, docs: 'A regular expression with capture groups.' },
    { name: 'serializers', type: 'list', required: true, docs: 'Serializer names, one per capture group.' },
    { name: 'serializers.*', type: 'string', docs: '`serializers.<s>.name`: the header for that group.' },
  ],
  create(props) {
    const re = compile(props);
    const names = props.list('serializers').map((s) => {
      const n = props.withPrefix(`serializers.${s}.`).get('name');
      if (!n) throw props.error(`serializers.${s}.name`, `serializers.${s}.name is required`);
      return n;
    });
    return (batch: Batch) => {
      for (const e of batch) {
        const m = re.exec(e.body.toString('utf8'));
        if (!m) continue;
        for (let i = 0; i < names.length; i++) {
          const g = m[i + 1];
          if (g !== undefined) setHeader(e, names[i]!, g, false);
        }
      }
      return batch;
    };
  },
};
