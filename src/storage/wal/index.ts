export { MAX_RECORD_SIZE, RECORD_HEADER_SIZE, SEGMENT_HEADER_SIZE, segmentName } from './format.js';
export type {
  FsyncPolicy,
  WalAppend,
  WalOptions,
  WalRecovery,
  WalSegment,
  WalStats,
  WalVisitor,
} from './wal.js';
export { WriteAheadLog } from './wal.js';
