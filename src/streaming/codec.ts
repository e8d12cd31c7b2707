/**
 * The checkpoint encoding: JSON, with Buffers (event bodies) and Maps (states whose values are maps)
 * tagged so they come back as what they were. State keys and values must be JSON-able otherwise:
 * strings, numbers, booleans, arrays, plain objects, Buffers, Maps.
 */
const BUFFER = '$buffer';
const MAP = '$map';

export function encodeCheckpoint(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    // JSON.stringify calls Buffer#toJSON before the replacer; the holder still has the Buffer.
    const raw = this[key];
    if (Buffer.isBuffer(raw)) return { [BUFFER]: raw.toString('base64') };
    if (raw instanceof Map) return { [MAP]: [...raw] };
    return v;
  });
}

export function decodeCheckpoint(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o[BUFFER] === 'string' && Object.keys(o).length === 1)
        return Buffer.from(o[BUFFER], 'base64');
      if (Array.isArray(o[MAP]) && Object.keys(o).length === 1)
        return new Map(o[MAP] as [unknown, unknown][]);
    }
    return v;
  });
}
