import type { DecoratorDef } from '../catalog/types.js';
import type { Batch } from '../core/event.js';
import { DecoratorSink } from '../core/pipeline.js';
import { beginMarker, endMarker, newGroupTag, tagMessages } from './ack-group.js';

/**
 * ackInjector: one ack group per open/close of the sink: "beg" with the first events, every appended
 * event tagged as a "msg" of the group with its body in the checksum, "end" with the checksum before
 * the sub sink closes. It keeps nothing on disk: pair it with a roll for periodic groups, or use
 * ackedWriteAhead, which also keeps and resends groups.
 */
export class AckInjectorSink extends DecoratorSink {
  private tag: Buffer | undefined;
  private begun = false;
  private sum = 0;
  /** Tags of the groups this sink completed, oldest first (for tests and reports). */
  readonly groups: string[] = [];

  constructor(
    child: DecoratorSink['child'],
    private readonly node: string,
  ) {
    super(child);
  }

  override async open(): Promise<void> {
    await this.child.open();
    this.tag = Buffer.from(newGroupTag(this.node));
    this.begun = false;
    this.sum = 0;
  }

  append(batch: Batch): void | Promise<void> {
    const tag = this.tag;
    if (tag === undefined) return this.child.append(batch);
    this.sum = tagMessages(batch, tag, this.sum);
    if (this.begun) return this.child.append(batch);
    // The group's "beg" travels with its first events (an open that sends nothing cannot fail).
    this.begun = true;
    return this.child.append([beginMarker(tag), ...batch]);
  }

  override async close(): Promise<void> {
    const tag = this.tag;
    this.tag = undefined;
    if (tag !== undefined && this.begun) {
      try {
        const r = this.child.append([endMarker(tag, this.sum)]);
        if (r) await r;
        this.groups.push(tag.toString('utf8'));
      } catch (e) {
        await this.child.close().catch(() => {});
        throw e;
      }
    }
    await this.child.close();
  }
}

export const ackInjectorDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'ackInjector',
  docs:
    'Makes one ack group of everything appended between open and close: injects a group begin message on ' +
    'open, tags each event with the group (AckType, AckTag) and adds its body to the checksum, and injects ' +
    'the group end message with the checksum (AckChecksum) on close. ackChecker (or collectorSink) checks ' +
    'the group at the other end.',
  params: [],
  build: (_args, ctx, child) => new AckInjectorSink(child, ctx.nodeName),
};
