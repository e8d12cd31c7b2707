// An example Sluice plugin (docs/plugins.md). Name it in the site property flume.plugin.classes (a file
// path, or the package name once installed) and its exports become components: every export must be a
// component definition, the same shape the built-in ones have (src/catalog/types.ts and ng.ts).
//
// A plugin needs nothing from Sluice at run time: events come with withBody(buffer) and body, batches are
// arrays. It is plain JavaScript so it loads into the compiled CLI as well as into tests.

/** Reverses the bytes of each line-sized body; from a spec: `{ reverse => text("out") }`. */
class ReverseSink {
  constructor(child, keep) {
    this.child = child;
    this.keep = keep;
  }
  open() {
    return this.child.open();
  }
  append(batch) {
    // One new array per batch, not per event: batches are the unit events move in.
    const out = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i];
      const body = Buffer.from(e.body);
      out[i] = e.withBody(
        this.keep > 0
          ? Buffer.concat([body.subarray(0, this.keep), body.subarray(this.keep).reverse()])
          : body.reverse(),
      );
    }
    return this.child.append(out);
  }
  flush() {
    return this.child.flush ? this.child.flush() : Promise.resolve();
  }
  close() {
    return this.child.close();
  }
}

/** A sink decorator: usable from a spec, and (decorators being spec-only) documented as such. */
export const reverse = {
  kind: 'decorator',
  name: 'reverse',
  docs: 'Reverses the bytes of every event body (an example plugin); keep leaves a prefix as it is.',
  params: [
    {
      name: 'keep',
      type: 'int',
      default: 0,
      docs: 'Bytes at the start of each body left in place.',
    },
  ],
  build(args, _ctx, child) {
    return new ReverseSink(child, args.int('keep'));
  },
};

/** An agent-file interceptor: `a1.sources.r1.interceptors.u.type = upper`. */
export const upper = {
  kind: 'interceptor',
  type: 'upper',
  docs: 'Upper-cases every event body (an example plugin); header, when set, names a header that gets the original length.',
  properties: [
    { name: 'header', type: 'string', docs: 'Header to receive the body length before the change.' },
  ],
  create(props) {
    const header = props.optString('header');
    return (batch) =>
      batch.map((e) => {
        const out = e.withBody(Buffer.from(e.body.toString('utf8').toUpperCase()));
        if (header !== undefined) out.setAttr(header, String(e.bodyLength));
        return out;
      });
  },
};

const EMPTY = Buffer.alloc(0);

/**
 * An output format: any sink that takes a format writes it, from a spec (`text("out", "tsv")`) or an
 * agent file (`sink.serializer = tsv` for file_roll). One Buffer per batch.
 */
export const tsv = {
  kind: 'format',
  name: 'tsv',
  docs: 'Tab-separated lines: the timestamp in ms, the host, the body (an example plugin).',
  extension: '.tsv',
  create() {
    return {
      name: 'tsv',
      header: () => EMPTY,
      footer: () => EMPTY,
      encode(batch) {
        let text = '';
        for (const e of batch) text += `${e.timestamp}\t${e.host}\t${e.body.toString('utf8')}\n`;
        return Buffer.from(text);
      },
    };
  },
};
