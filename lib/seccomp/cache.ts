/**
 * A cache of compiled seccomp programs under `<root>/:cache/seccomp/`, keyed by the profile and the
 * libseccomp build that compiled it. Engines send the same default profile for every container,
 * and libseccomp needs ~10-20 ms for Docker's (most of it in seccomp_export_bpf); a hit costs a
 * hash and one small read, and does not even load libseccomp.
 *
 * The profile is always checked (planProfile) before the cache is asked, so a refusal never
 * depends on the cache. Entries are written atomically (tmp + rename) in a 0700 directory of
 * the runtime root, which only root can write; a corrupt entry (bad length) is ignored.
 */
import type * as Crypto from 'node:crypto';
import { runtimeCacheDir } from '../sys/cache';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { debug } from '../log';
import type { Seccomp } from '../spec/types';
import { compileSeccomp, type CompiledSeccomp } from './compile';
import { LIBSECCOMP_CANDIDATES } from './libseccomp';
import { planProfile } from './profile';

const FORMAT = 'oci-ts-seccomp-1';

/** Identity of the libseccomp that would be loaded (its file), or undefined when there is none. */
function libraryIdentity(): string | undefined {
  for (const file of LIBSECCOMP_CANDIDATES) {
    if (!path.isAbsolute(file)) continue;
    try {
      const st = fs.statSync(file);
      return `${fs.realpathSync(file)}:${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function seccompCacheKey(s: Seccomp, lib: string): string {
  // Loaded here: node:crypto costs ~3 ms, and every create imports this module, seccomp or not.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof Crypto;
  return createHash('sha256').update(`${FORMAT}\0${lib}\0${os.release()}\0${JSON.stringify(s)}`).digest('hex');
}

/** compileSeccomp through the cache in `<root>/:cache/seccomp`. */
export function compileSeccompCached(s: Seccomp, root: string): CompiledSeccomp {
  const plan = planProfile(s); // refusals first, whatever the cache holds
  const lib = libraryIdentity();
  if (lib === undefined) return compileSeccomp(s, { root });
  const dir = path.join(runtimeCacheDir(root), 'seccomp');
  const file = path.join(dir, `${seccompCacheKey(s, lib)}.bpf`);
  try {
    const program = fs.readFileSync(file);
    if (program.length > 0 && program.length % 8 === 0) return { program, flags: plan.flags, skipped: [], rules: plan.rules.length };
  } catch {
    /* a miss */
  }
  const compiled = compileSeccomp(s, { root });
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, compiled.program, { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch (e) {
    debug(`seccomp cache: ${e instanceof Error ? e.message : String(e)}`);
  }
  return compiled;
}
