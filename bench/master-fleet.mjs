// Worker threads do not inherit tsx's loader from `node --import tsx`: register it, then load the fleet.
import { register } from 'tsx/esm/api';

register();
await import('./master-fleet.ts');
