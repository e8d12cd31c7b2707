import { readFileSync } from 'node:fs';
import { ioError, SluiceError } from '../core/errors.js';

/** The environment variable holding the shared token of a master and its nodes and shells. */
export const TOKEN_ENV = 'SLUICE_MASTER_TOKEN';

/**
 * The shared token, from `file` (its first line) or else $SLUICE_MASTER_TOKEN; undefined when neither is
 * set. Never taken from the command line, where other users of the machine could read it.
 */
export function readToken(file: string | undefined): string | undefined {
  let token: string | undefined;
  if (file !== undefined) {
    try {
      token = readFileSync(file, 'utf8').split('\n')[0]!.trim();
    } catch (e) {
      throw ioError(e, `reading the token file ${file}`);
    }
  } else token = process.env[TOKEN_ENV];
  if (token === undefined || token === '') {
    if (file !== undefined) throw new SluiceError('SLUICE_CONFIG', `the token file ${file} is empty`);
    return undefined;
  }
  return token;
}
