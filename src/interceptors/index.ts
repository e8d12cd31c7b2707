import type { InterceptorDef } from '../catalog/ng.js';
import { hostInterceptor } from './host.js';
import { regexExtractorInterceptor, regexFilterInterceptor } from './regex.js';
import { staticInterceptor } from './static.js';
import { timestampInterceptor } from './timestamp.js';
import { uuidInterceptor } from './uuid.js';

/** Every interceptor an agent file can name (`<agent>.sources.<s>.interceptors.<i>.type`). */
export const INTERCEPTORS: InterceptorDef[] = [
  timestampInterceptor,
  hostInterceptor,
  staticInterceptor,
  regexFilterInterceptor,
  regexExtractorInterceptor,
  uuidInterceptor,
];
