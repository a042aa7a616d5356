/**
 * A per-container lock that serializes calls on one id across processes. Node has no flock(2)
 * without loading the FFI addon (~2 ms per call), so the lock is a file created with O_EXCL
 * holding the owner's pid and start time; a lock whose owner is dead is stale and is broken.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OciError } from '../errors';
import { readStat, sleepMs } from './proc';

const LOCK_NAME = '.lock';

export interface Lock {
  release(): void;
}

function ownerToken(): string {
  return `${process.pid} ${readStat(process.pid)?.startTime ?? ''}`;
}

function holderAlive(token: string): boolean {
  const [pidText, start] = token.split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const st = readStat(pid);
  return st !== undefined && st.startTime === start && st.state !== 'Z';
}

/** An empty lock file older than a second: its writer died between creating and filling it. */
function emptyLockStale(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > 1000;
  } catch {
    return false;
  }
}

export function lockContainer(dir: string, id: string, timeoutMs = 10_000): Lock {
  const file = path.join(dir, LOCK_NAME);
  const token = ownerToken();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(file, token, { flag: 'wx', mode: 0o600 });
      return {
        release: () => {
          try {
            if (fs.readFileSync(file, 'utf8') === token) fs.unlinkSync(file);
          } catch {
            // already gone: the state dir was removed by delete
          }
        },
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new OciError('notFound', 'container does not exist');
      if (code !== 'EEXIST') throw err;
    }
    let holder = '';
    try {
      holder = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // released between our open and read
    }
    // A holder still writing its token shows as empty for a moment; an empty lock that stays
    // empty belongs to a process killed between open and write (crash consistency).
    if (holder !== '' ? !holderAlive(holder) : emptyLockStale(file)) {
      // Break a stale lock by renaming it away: only one breaker wins the rename.
      const stale = `${file}.stale.${process.pid}`;
      try {
        fs.renameSync(file, stale);
        if (fs.readFileSync(stale, 'utf8') !== holder) {
          // We moved a fresh lock by mistake: put it back unless yet another one exists.
          try { fs.linkSync(stale, file); } catch { /* a newer lock exists; that owner wins */ }
        }
        fs.unlinkSync(stale);
      } catch {
        // someone else broke it first
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new OciError('state', `container ${id} is locked by another oci-ts process (${holder || 'unknown'})`);
    }
    sleepMs(3);
  }
}
