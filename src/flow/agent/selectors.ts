import type { ChannelSelector, SelectorDef } from '../../catalog/ng.js';
import type { ComponentProperties } from '../../catalog/properties.js';
import type { Batch } from '../../core/event.js';

/**
 * Flume NG's channel selectors: which of a source's channels get each event. A selector is made per
 * source over the channels it lists; it copies an event only when more than one channel gets it (each
 * channel owns what it is given), and hands a channel one array per batch.
 */

/** replicating: every channel gets every event (the last one the originals, the others copies). */
export const replicatingSelector: SelectorDef = {
  kind: 'selector',
  type: 'replicating',
  docs: "Flume NG's default selector: every channel of the source gets every event.",
  properties: [],
  create<C>(_props: ComponentProperties, channels: ReadonlyMap<string, C>): ChannelSelector<C> {
    return replicateTo([...channels.values()]);
  },
};

/** The replicating selector over a list of channels. */
export function replicateTo<C>(list: readonly C[]): ChannelSelector<C> {
  return (batch) => {
    const m = new Map<C, Batch>();
    for (let i = 0; i < list.length; i++)
      m.set(list[i]!, i === list.length - 1 ? batch : batch.map((e) => e.copy()));
    return m;
  };
}

/** multiplexing: the value of one attribute picks the channels (`mapping.<value>`), else `default`. */
export const multiplexingSelector: SelectorDef = {
  kind: 'selector',
  type: 'multiplexing',
  docs:
    "Flume NG's multiplexing selector: the value of the attribute `header` picks the channels listed " +
    'by `mapping.<value>`; an event whose value has no mapping (or that lacks the attribute) goes to ' +
    'the `default` channels, or nowhere when there are none. Every channel named must be one of the ' +
    "source's channels.",
  properties: [
    { name: 'header', type: 'string', default: 'flume.selector.header', docs: 'The attribute read.' },
    {
      name: 'mapping.*',
      type: 'list',
      docs: '`mapping.<value> = c1 c2`: the channels of events whose attribute has that value.',
    },
    { name: 'default', type: 'list', docs: 'The channels of events no mapping matches.' },
  ],
  create<C>(props: ComponentProperties, channels: ReadonlyMap<string, C>): ChannelSelector<C> {
    const pick = (key: string, names: string[]) =>
      names.map((n) => {
        const ch = channels.get(n);
        if (ch === undefined)
          throw props.error(key, `selector maps to channel "${n}", which the source does not use`);
        return ch;
      });
    const mapping = new Map<string, C[]>();
    for (const [value, list] of props.withPrefix('mapping.'))
      mapping.set(value, pick(`mapping.${value}`, list.split(/[,\s]+/).filter(Boolean)));
    const fallback = pick('default', props.list('default'));
    const header = props.string('header');
    return (batch) => {
      const m = new Map<C, Batch>();
      for (const e of batch) {
        const targets = mapping.get(e.getAttrString(header) ?? '') ?? fallback;
        for (const c of targets) {
          let b = m.get(c);
          if (!b) m.set(c, (b = []));
          b.push(targets.length > 1 ? e.copy() : e);
        }
      }
      return m;
    };
  },
};

/** The built-in channel selectors, listed explicitly. */
export const SELECTORS: readonly SelectorDef[] = [replicatingSelector, multiplexingSelector];
