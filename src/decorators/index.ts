import type { DecoratorDef } from '../catalog/types.js';
import { ackCheckerDeco } from '../reliability/ack-checker.js';
import { ackInjectorDeco } from '../reliability/ack-injector.js';
import { ackedWriteAheadDeco, writeAheadDeco } from '../reliability/acked-write-ahead-decos.js';
import { diskFailoverDeco } from '../reliability/disk-failover.js';
import { insistentAppendDeco } from '../reliability/insistent-append.js';
import { batchDeco } from './batch.js';
import { delayDeco } from './delay.js';
import { formatDeco } from './format.js';
import { gunzipDeco } from './gunzip.js';
import { gzipDeco } from './gzip.js';
import { insistentOpenDeco } from './insistentOpen.js';
import { intervalSamplerDeco } from './intervalSampler.js';
import { lazyOpenDeco } from './lazyOpen.js';
import { maskDeco } from './mask.js';
import { nullDeco } from './nullDeco.js';
import { probSamplerDeco } from './probSampler.js';
import { regexDeco } from './regex.js';
import { reservoirSamplerDeco } from './reservoirSampler.js';
import { selectDeco } from './select.js';
import { splitDeco } from './split.js';
import { stubbornAppendDeco } from './stubbornAppend.js';
import { unbatchDeco } from './unbatch.js';
import { valueDeco } from './value.js';

/** The built-in sink decorators, listed explicitly (no registration by import side effect). */
export const DECORATORS: DecoratorDef[] = [
  nullDeco,
  valueDeco,
  maskDeco,
  selectDeco,
  formatDeco,
  regexDeco,
  splitDeco,
  batchDeco,
  unbatchDeco,
  gzipDeco,
  gunzipDeco,
  intervalSamplerDeco,
  probSamplerDeco,
  reservoirSamplerDeco,
  delayDeco,
  lazyOpenDeco,
  insistentOpenDeco,
  stubbornAppendDeco,
  diskFailoverDeco,
  insistentAppendDeco,
  writeAheadDeco,
  ackedWriteAheadDeco,
  ackInjectorDeco,
  ackCheckerDeco,
];
