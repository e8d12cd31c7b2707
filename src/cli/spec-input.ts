import { readFileSync } from 'node:fs';
import { ioError } from '../core/errors.js';
import { optList, optString, type ParsedArgs, UsageError } from './args.js';

/** A spec to check or run, with the name its error places use (`<spec>` for -e). */
export interface SpecInput {
  file: string;
  read(): string;
}

/** Every spec the command line names: -e SPEC first, then -f FILE and positional files in order. */
export function specInputs(p: ParsedArgs): SpecInput[] {
  const inline = optString(p, 'spec');
  const inputs: SpecInput[] = inline === undefined ? [] : [{ file: '<spec>', read: () => inline }];
  for (const file of [...optList(p, 'file'), ...p.positionals])
    inputs.push({
      file,
      read: () => {
        try {
          return readFileSync(file, 'utf8');
        } catch (e) {
          throw ioError(e, `cannot read spec file ${file}`);
        }
      },
    });
  if (inputs.length === 0) throw new UsageError("give a spec with -e 'SPEC' or a spec file with -f FILE");
  return inputs;
}

/** The one spec of a command that runs a single spec (`node`). */
export function oneSpec(p: ParsedArgs): SpecInput {
  const inputs = specInputs(p);
  if (inputs.length > 1)
    throw new UsageError(
      `give one spec, not ${inputs.length} (${inputs.map((i) => (i.file === '<spec>' ? '-e' : i.file)).join(', ')})`,
    );
  return inputs[0]!;
}
