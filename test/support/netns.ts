// A network namespace joined to this one by a veth pair, for partition tests: a process started in
// the namespace reaches this side only over the pair, and setting the link down cuts it off as a
// broken network does (no reset, no refusal: packets vanish). Needs root and iproute2, as the
// development machines and CI have. Every namespace is deleted when its test ends, and at exit.
import { execFileSync } from 'node:child_process';

export interface Netns {
  /** The namespace name, for `ip netns exec`. */
  name: string;
  /** This side's address on the pair: what a process in the namespace connects to. */
  hostIp: string;
  /** The namespace side's address. */
  nsIp: string;
  /** Cuts the pair (link down on this side). */
  partition(): void;
  heal(): void;
  remove(): void;
}

const made = new Set<string>();
let hooked = false;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function remove(name: string): void {
  if (!made.delete(name)) return;
  try {
    // Deleting the namespace deletes its end of the pair, and with it this end.
    ip('netns', 'del', name);
  } catch {
    // Already gone.
  }
}

export function createNetns(t?: { after(fn: () => void): void }): Netns {
  const id = `${process.pid % 100_000}${Math.floor(Math.random() * 100)}`;
  const name = `sluice-${id}`;
  const hostIf = `slh${id}`;
  const nsIf = `sln${id}`;
  const subnet = `10.231.${Math.floor(Math.random() * 250)}`;
  const hostIp = `${subnet}.1`;
  const nsIp = `${subnet}.2`;
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const n of [...made]) remove(n);
    });
  }
  ip('netns', 'add', name);
  made.add(name);
  t?.after(() => remove(name));
  try {
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    ip('link', 'set', nsIf, 'netns', name);
    ip('addr', 'add', `${hostIp}/24`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', name, 'addr', 'add', `${nsIp}/24`, 'dev', nsIf);
    ip('-n', name, 'link', 'set', nsIf, 'up');
    ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (e) {
    remove(name);
    throw e;
  }
  return {
    name,
    hostIp,
    nsIp,
    partition: () => ip('link', 'set', hostIf, 'down'),
    heal: () => ip('link', 'set', hostIf, 'up'),
    remove: () => remove(name),
  };
}
