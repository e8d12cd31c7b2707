import { spawnSync } from 'node:child_process';

/**
 * The second implementations differential tests compare Sluice with. Locally a missing peer skips its
 * test with a message; under CI=true the test fails naming the Debian package to install.
 */
export interface Peer {
  /** The command to run, when installed. */
  command: string | undefined;
  /** `skip` for node:test: false when the test must run (installed, or CI where missing is a failure). */
  skip: string | false;
  /** Throws the install hint when the peer is missing (the CI case). */
  require(): string;
}

function peer(found: string | undefined, what: string, pkg: string): Peer {
  const hint = `${what} is not installed: install the Debian package ${pkg} (apt-get install ${pkg})`;
  return {
    command: found,
    skip: found !== undefined || process.env.CI === 'true' ? false : hint,
    require() {
      if (found === undefined) throw new Error(hint);
      return found;
    },
  };
}

/** A Python 3 that imports avro (pyenv's python3 often lacks Debian's dist-packages). */
export function avroPython(): Peer {
  const found = ['/usr/bin/python3', 'python3'].find(
    (py) => spawnSync(py, ['-c', 'import avro.ipc'], { stdio: 'ignore' }).status === 0,
  );
  return peer(found, 'python3-avro', 'python3-avro');
}

/** avro-c's avrocat, which prints each record of a container file as a JSON line. */
export function avrocat(): Peer {
  const r = spawnSync('avrocat', ['/nonexistent.avro'], { stdio: 'ignore' });
  return peer(r.error === undefined ? 'avrocat' : undefined, "avro-c's avrocat", 'avro-bin');
}
