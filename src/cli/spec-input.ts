import { readFileSync } from 'node:fs';
import { ioError, SluiceError } from '../core/errors.js';
import type { ParsedArgs } from './args.js';
import { optString } from './args.js';

/** The spec text of a command: `-c 'SPEC'` / `-e 'SPEC'` inline, or a file, with a name for error places. */
export function specInput(
  p: ParsedArgs,
  inlineOption: string,
  fileArg?: string,
): { text: string; file: string } {
  const inline = optString(p, inlineOption);
  if (inline !== undefined) return { text: inline, file: '<spec>' };
  const file = fileArg ?? optString(p, 'file');
  if (file === undefined)
    throw new SluiceError('SLUICE_CONFIG', `give a spec with -${inlineOption[0]} 'SPEC' or a spec file`);
  try {
    return { text: readFileSync(file, 'utf8'), file };
  } catch (e) {
    throw ioError(e, `cannot read spec file ${file}`);
  }
}
