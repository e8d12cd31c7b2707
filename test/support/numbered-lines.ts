import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** Lines in `file` so far (0 when it does not exist yet). */
export const lines = (file: string): number =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;

/** Appends `line <from>` .. `line <from + n - 1>` to `file`, for a tailing source to read. */
export function feed(file: string, from: number, n: number): void {
  let text = '';
  for (let i = from; i < from + n; i++) text += `line ${i}\n`;
  appendFileSync(file, text);
}
