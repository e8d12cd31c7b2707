/**
 * The undo record of one change to the master's state: each place a change writes is kept (`keep`)
 * before it is written, so a change that throws, or whose save fails, is taken back by writing the kept
 * values again. It costs what the change touches, where a copy of the state would cost the whole fleet.
 * Containers hold values a change replaces rather than edits (a mapping's list is a new array), so
 * keeping the key is enough; a change that edits an object in place keeps that object's keys instead.
 */
export class Undo {
  private readonly objs: Record<string, unknown>[] = [];
  private readonly keys: string[] = [];
  private readonly olds: unknown[] = [];
  private readonly had: boolean[] = [];

  /** Remembers `obj[key]` as it is now (or that it is absent), before the caller changes it. */
  keep<O extends object>(obj: O, key: string & keyof O): void;
  keep(obj: Record<string, unknown>, key: string): void;
  keep(obj: object, key: string): void {
    const o = obj as Record<string, unknown>;
    this.objs.push(o);
    this.keys.push(key);
    this.had.push(Object.hasOwn(o, key));
    this.olds.push(o[key]);
  }

  get empty(): boolean {
    return this.objs.length === 0;
  }

  /** Writes back every kept value, newest first, so a key kept twice ends as it was first. */
  undo(): void {
    for (let i = this.objs.length - 1; i >= 0; i--) {
      const o = this.objs[i]!;
      if (this.had[i]) o[this.keys[i]!] = this.olds[i];
      else delete o[this.keys[i]!];
    }
  }
}
