import type { BoundArgs, BuildContext, SinkDef } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { compileEscapes } from '../core/escapes.js';
import type { Logger } from '../core/logger.js';
import { findFormat } from '../formats/index.js';
import type { FormatDef } from '../formats/types.js';
import { AckCheckerSink } from '../reliability/ack-checker.js';
import { BucketedWriter, type BucketedWriterOptions } from '../storage/bucketed-writer.js';
import { parseFsUri } from '../storage/fs/resolve.js';
import { lastPathSlash } from '../storage/path-pattern.js';
import { placedAt } from './escaped-file.js';

/**
 * The collector tier's file sinks: collectorSink and the dfs family, all one BucketedWriter (see
 * storage/bucketed-writer.ts) configured differently.
 *
 * | sink             | path escaped | names                        | format                         | rolls |
 * | collectorSink    | yes          | prefix + unique tag + ext    | flume.collector.output.format  | every rollmillis |
 * | escapedCustomDfs | yes          | exactly the escaped name     | argument, else the property    | no (wrap in roll) |
 * | customdfs        | no           | exactly the path             | argument, else the property    | no |
 * | dfs              | yes          | exactly the escaped name     | seqfile (Flume OG's)           | no |
 *
 * Gzip (flume.collector.dfs.compress.gzip) applies to all but dfs: a gzipped SequenceFile would be
 * unreadable to Hadoop, which compresses inside the container instead.
 *
 * Rolling is done by the writer rather than by wrapping a RollSink: sinks sit below flow in the
 * layering, and the writer can roll all buckets at once, atomically with respect to appends.
 */

/** Flume OG's default collector directory (its flume.collector.dfs.dir). */
export const DEFAULT_COLLECTOR_DIR = 'file:///tmp/flume/collected';

const FORMAT_PROPERTY = 'flume.collector.output.format';
const GZIP_PROPERTY = 'flume.collector.dfs.compress.gzip';
const ROLL_PROPERTY = 'flume.collector.roll.millis';

/** Fails at build time, naming the argument, for bad escapes and unsupported file systems. */
function checkPattern(component: string, field: string, pattern: string, isDir: boolean): void {
  try {
    compileEscapes(pattern);
    if (isDir) parseFsUri(pattern);
  } catch (e) {
    placedAt(e, component, field);
  }
}

function formatOf(component: string, args: BoundArgs, ctx: BuildContext, fixed?: string): FormatDef {
  const name = fixed ?? args.optString('format') ?? ctx.config.getString(FORMAT_PROPERTY);
  try {
    return findFormat(name);
  } catch (e) {
    placedAt(e, component, fixed === undefined && args.has('format') ? 'format' : FORMAT_PROPERTY);
  }
}

/** `hdfs://nn/a/%Y/file-%{host}` -> dir `hdfs://nn/a/%Y`, file `file-%{host}`. */
function splitPath(
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

/** `field` names the directory argument, the one a confinement refusal at build time is about. */
function buildWriter(
  component: string,
  field: string,
  ctx: BuildContext,
  format: FormatDef,
  opts: Omit<BucketedWriterOptions, 'format' | 'component' | 'timeZone' | 'logger'>,
): BucketedWriter {
  const timeZone = ctx.config.get('sluice.time.zone');
  const tz = timeZone ? { timeZone } : {};
  try {
    return new BucketedWriter({
      ...opts,
      ...tz,
      format: () => format.create(tz),
      component,
      logger: ctx.logger.child(component),
    });
  } catch (e) {
    placedAt(e, component, field);
  }
}

const maxOpenParam = {
  name: 'maxOpenFiles',
  type: 'int',
  default: 1000,
  docs: 'Files open at once; the least recently used bucket is completed to make room.',
} as const;

const idleParam = {
  name: 'idleMillis',
  type: 'int',
  default: 0,
  docs: 'Complete a bucket not written to for this many milliseconds (0: only on close or eviction).',
} as const;

function limits(
  component: string,
  args: BoundArgs,
  idle: boolean,
): { maxOpenFiles: number; idleTimeoutMs?: number } {
  const maxOpenFiles = args.optInt('maxOpenFiles') ?? 1000;
  if (maxOpenFiles < 1) {
    throw new SluiceError(
      'SLUICE_SPEC_BAD_ARGUMENT',
      `maxOpenFiles must be at least 1, got ${maxOpenFiles}`,
      {
        place: { component, field: 'maxOpenFiles' },
      },
    );
  }
  if (!idle) return { maxOpenFiles };
  const idleTimeoutMs = args.optInt('idleMillis') ?? 0;
  if (idleTimeoutMs < 0) {
    throw new SluiceError(
      'SLUICE_SPEC_BAD_ARGUMENT',
      `idleMillis must not be negative, got ${idleTimeoutMs}`,
      {
        place: { component, field: 'idleMillis' },
      },
    );
  }
  return { maxOpenFiles, idleTimeoutMs };
}

export const collectorSink: SinkDef = {
  kind: 'sink',
  name: 'collectorSink',
  docs:
    'Collector sink: writes events to files under fsdir (file:///path, a plain path, or hdfs://namenode:port/path ' +
    'through WebHDFS) named fsfileprefix plus a unique tag, in the format of flume.collector.output.format ' +
    '(gzipped with a .gz suffix when flume.collector.dfs.compress.gzip is true). Both fsdir and ' +
    'fsfileprefix may use escapes (%{host}, %Y-%m-%d, %H ...) to bucket events by their own fields; values ' +
    'from events are confined to the directory before the first escape (docs/collector.md). Files are ' +
    'written under hidden temporary names and renamed when complete; every rollmillis all files are completed ' +
    'and new ones started.',
  params: [
    {
      name: 'fsdir',
      type: 'string',
      default: DEFAULT_COLLECTOR_DIR,
      docs: 'Directory URI or path; escapes allowed.',
    },
    {
      name: 'fsfileprefix',
      type: 'string',
      default: '',
      docs: 'File name prefix; escapes allowed (may contain /).',
    },
    {
      name: 'rollmillis',
      type: 'int',
      configDefault: ROLL_PROPERTY,
      docs: 'Milliseconds between rolls (all files completed and renamed).',
    },
    maxOpenParam,
  ],
  build: (args, ctx) => {
    const name = args.component;
    const dir = args.optString('fsdir') ?? DEFAULT_COLLECTOR_DIR;
    const file = args.optString('fsfileprefix') ?? '';
    checkPattern(name, 'fsdir', dir, true);
    checkPattern(name, 'fsfileprefix', file, false);
    const rollMillis = args.optInt('rollmillis') ?? ctx.config.getInt(ROLL_PROPERTY);
    if (rollMillis <= 0) {
      throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `rollmillis must be positive, got ${rollMillis}`, {
        place: { component: name, field: 'rollmillis' },
      });
    }
    const format = formatOf(name, args, ctx);
    const writer = buildWriter(name, 'fsdir', ctx, format, {
      dir,
      file,
      naming: 'unique',
      extension: format.extension,
      gzip: ctx.config.getBool(GZIP_PROPERTY),
      ...limits(name, args, false),
    });
    return new AcknowledgingCollector(writer, rollMillis, ctx.logger.child(name));
  },
};

/**
 * collectorSink's writer behind the ack checker (reliability/ack-checker.ts): the checker runs the roll,
 * so it knows which end-to-end groups each completed roll made durable and acknowledges exactly those.
 */
class AcknowledgingCollector extends AckCheckerSink {
  constructor(
    readonly writer: BucketedWriter,
    rollMillis: number,
    logger: Logger,
  ) {
    super(writer, { roll: () => writer.roll(), rollMillis, logger });
  }

  get filesCompleted(): number {
    return this.writer.filesCompleted;
  }

  get stats(): BucketedWriter['stats'] {
    return this.writer.stats;
  }
}

const formatParam = {
  name: 'format',
  type: 'string',
  configDefault: FORMAT_PROPERTY,
  docs: 'Output format (raw, debug, syslog, log4j, avrojson, avrodata, seqfile).',
} as const;

export const escapedCustomDfsSink: SinkDef = {
  kind: 'sink',
  name: 'escapedCustomDfs',
  docs:
    'Formatted file sink with escapes: events go to the file hdfspath/file, where both may use escapes to ' +
    'bucket events (one file per distinct escaped path). With one argument, hdfspath is the whole file path. ' +
    'The file gets its final name when the sink closes (wrap it in roll() for periodic files and use ' +
    '%{rolltag} in the name); a name already taken gets a unique tag appended instead of being replaced.',
  params: [
    {
      name: 'hdfspath',
      type: 'string',
      docs: 'Directory URI or path (or the whole file path when file is absent); escapes allowed.',
    },
    { name: 'file', type: 'string', optional: true, docs: 'File name; escapes allowed.' },
    formatParam,
    maxOpenParam,
    idleParam,
  ],
  build: (args, ctx) => {
    const name = args.component;
    const path = args.string('hdfspath');
    const given = args.optString('file');
    const { dir, file } =
      given === undefined ? splitPath(name, 'hdfspath', path) : { dir: path, file: given };
    checkPattern(name, 'hdfspath', dir, true);
    checkPattern(name, given === undefined ? 'hdfspath' : 'file', file, false);
    const format = formatOf(name, args, ctx);
    return buildWriter(name, 'hdfspath', ctx, format, {
      dir,
      file,
      naming: 'exact',
      gzip: ctx.config.getBool(GZIP_PROPERTY),
      ...limits(name, args, true),
    });
  },
};

export const customDfsSink: SinkDef = {
  kind: 'sink',
  name: 'customdfs',
  docs:
    'Formatted file sink: writes events to exactly the file hdfspath (not escaped: % is a plain character) ' +
    'in the given output format, completing it when the sink closes. A name already taken gets a unique ' +
    'tag appended instead of being replaced.',
  params: [{ name: 'hdfspath', type: 'string', docs: 'File URI or path (not escaped).' }, formatParam],
  build: (args, ctx) => {
    const name = args.component;
    const { dir, file } = splitPath(name, 'hdfspath', args.string('hdfspath'), true);
    checkPattern(name, 'hdfspath', dir.replace(/%/g, '%%'), true);
    const format = formatOf(name, args, ctx);
    return buildWriter(name, 'hdfspath', ctx, format, {
      dir: dir.replace(/%/g, '%%'),
      file: file.replace(/%/g, '%%'),
      naming: 'exact',
      gzip: ctx.config.getBool(GZIP_PROPERTY),
    });
  },
};

export const dfsSink: SinkDef = {
  kind: 'sink',
  name: 'dfs',
  docs:
    "Hadoop SequenceFile sink: writes Flume OG's seqfile records (see the seqfile format) to hdfspath, which " +
    'may use escapes to bucket events. Files get their final names when the sink closes (HDFS shows no ' +
    'data before), so wrap it in roll() for periodic files.',
  params: [
    { name: 'hdfspath', type: 'string', docs: 'File URI or path; escapes allowed.' },
    maxOpenParam,
    idleParam,
  ],
  build: (args, ctx) => {
    const name = args.component;
    const { dir, file } = splitPath(name, 'hdfspath', args.string('hdfspath'));
    checkPattern(name, 'hdfspath', dir, true);
    checkPattern(name, 'hdfspath', file, false);
    const format = formatOf(name, args, ctx, 'seqfile');
    return buildWriter(name, 'hdfspath', ctx, format, {
      dir,
      file,
      naming: 'exact',
      ...limits(name, args, true),
    });
  },
};

/** The collector sinks, for the catalog's list. */
export const COLLECTOR_SINKS: readonly SinkDef[] = [
  collectorSink,
  escapedCustomDfsSink,
  customDfsSink,
  dfsSink,
];
