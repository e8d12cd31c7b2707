import type { BuildContext } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { compileEscapes } from '../core/escapes.js';
import type { EventSink } from '../core/pipeline.js';
import { BucketedWriter, type FileFormat } from '../storage/bucketed-writer.js';
import { lastPathSlash } from '../storage/path-pattern.js';

/** The same error with the sink and argument as its place, so `validate` points at the argument. */
export function placedAt(e: unknown, component: string, field: string): never {
  if (!(e instanceof SluiceError)) throw e;
  throw new SluiceError(e.code, e.message, {
    place: { ...e.place, component, field },
    cause: e,
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
  });
}

/**
 * `hdfs://nn/a/%Y/file-%{host}` -> dir `hdfs://nn/a/%Y`, file `file-%{host}`. The last slash outside an
 * escape splits it (`literal`: the last slash at all, for paths without escapes). A pattern ending in a
 * slash, or a namenode without a path, names a directory: an error naming the argument.
 */
export function splitPath(
  component: string,
  field: string,
  pattern: string,
  literal = false,
): { dir: string; file: string } {
  const slash = literal ? pattern.lastIndexOf('/') : lastPathSlash(pattern);
  const file = pattern.slice(slash + 1);
  const dir = slash < 0 ? '.' : pattern.slice(0, slash) || '/';
  // `hdfs://nn` splits into `hdfs:/` and `nn`: a namenode without a path, not a file name.
  const schemeOnly = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/{0,2}$/.exec(dir);
  if (file === '' || (schemeOnly && schemeOnly[1]!.toLowerCase() !== 'file')) {
    throw new SluiceError(
      'SLUICE_SPEC_BAD_ARGUMENT',
      `"${pattern}" names a directory; give a file name after the last /`,
      {
        place: { component, field },
      },
    );
  }
  return { dir, file };
}

/**
 * A single-file sink's path (`text`, `seqfile`) with escapes. Without escapes the sink writes exactly
 * that file (`%%` is a percent sign). With escapes (`/tmp/part-%{rolltag}`, `/logs/%{host}.log`) the
 * events go through a BucketedWriter instead: one file per distinct escaped path, values confined to
 * the directory before the first escape, each file written under a hidden temporary name and given
 * its name when the sink closes (a roll closes it every period); a name already taken gets a unique
 * tag, so nothing is truncated. A malformed pattern fails when the spec is checked.
 */
export function escapedFileSink(
  component: string,
  field: string,
  pattern: string,
  ctx: BuildContext,
  format: () => FileFormat,
  plain: (path: string) => EventSink,
): EventSink {
  const timeZone = ctx.config.get('sluice.time.zone');
  let hasEscapes: boolean;
  let literal: string;
  try {
    const esc = compileEscapes(pattern);
    hasEscapes = esc.hasEscapes;
    literal = esc.fixedPrefix;
  } catch (e) {
    placedAt(e, component, field);
  }
  if (!hasEscapes) return plain(literal);
  const { dir, file } = splitPath(component, field, pattern);
  try {
    return new BucketedWriter({
      dir,
      file,
      naming: 'exact',
      format,
      component,
      logger: ctx.logger.child(component),
      ...(timeZone ? { timeZone } : {}),
    });
  } catch (e) {
    placedAt(e, component, field);
  }
}
