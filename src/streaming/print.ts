/** What `print(n)` writes for one batch, laid out as Spark Streaming's DStream.print. */
export function formatBatch(records: readonly unknown[], time: number, n: number): string {
  const rule = '-------------------------------------------';
  const lines = [rule, `Time: ${time} ms`, rule];
  const shown = Math.min(n, records.length);
  for (let i = 0; i < shown; i++) lines.push(formatRecord(records[i]));
  if (records.length > n) lines.push('...');
  return `${lines.join('\n')}\n\n`;
}

/** Pairs and tuples as `(a,b)` like Spark's Scala output; strings as they are; the rest as JSON. */
export function formatRecord(r: unknown): string {
  if (typeof r === 'string') return r;
  if (Array.isArray(r)) return `(${r.map(formatRecord).join(',')})`;
  if (Buffer.isBuffer(r)) return r.toString('utf8');
  if (r === undefined) return 'undefined';
  if (typeof r === 'object' && r !== null) {
    try {
      return JSON.stringify(r);
    } catch {
      return String(r);
    }
  }
  return String(r);
}
