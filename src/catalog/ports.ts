import { SluiceError } from '../core/errors.js';

/**
 * A TCP/UDP port argument, checked once for every component: 0 (the kernel picks one) is allowed where
 * a component listens, not where it connects (`min` 1).
 */
export function checkPort(component: string, port: number, field = 'port', min = 0): number {
  if (!Number.isInteger(port) || port < min || port > 65535) {
    throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `port must be between ${min} and 65535, got ${port}`, {
      place: { component, field },
    });
  }
  return port;
}
