/**
 * A cache of compiled seccomp programs under `<root>/:cache/seccomp/`, keyed by the profile and the
 * libseccomp build that compiled it. Engines send the same default profile for every container,
 * and libseccomp needs ~10-20 ms for Docker's (most of it in seccomp_export_bpf); a hit costs a
 * hash and one small read, and does not even load libseccomp.
 *
 * The profile is always checked (planProfile) before the cache is asked, so a refusal never
 * depends on the cache.
 *
 * An entry becomes the container's syscall filter, so it is trusted no more than the ffi-rs
 * addon cache (lib/sys/ffi.ts):
 *   - `<root>/:cache` must pass privateCacheDir (root and `:cache` owned by root or the caller,
 *     `:cache` 0700);
 *   - `seccomp/` is made 0700 and used only when it is a real directory owned by root or the
 *     caller that neither group nor other can write; it is never chmod'ed into shape (a directory
 *     someone else could write may already hold planted entries);
 *   - an entry is opened O_NOFOLLOW and used only when it is a regular file with the same owner
 *     rule and no group/other write bit, of a plausible size, whose header carries the sha256 of
 *     its key (its own file name) and program: a truncated, corrupt, edited or renamed entry
 *     fails the check.
 * A refused directory or entry is skipped with a debug line and the profile is compiled as if
 * there were no cache; a refused directory is not written to either. Entries are written with
 * O_EXCL to a fresh tmp name and renamed into place, so readers never see half an entry.
 */
import type * as Crypto from 'node:crypto';
import type * as Os from 'node:os';
import { privateCacheDir, trustedOwner } from '../sys/cache';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { debug } from '../log';
import type { Seccomp } from '../spec/types';
import { compileSeccomp, type CompiledSeccomp } from './compile';
import { LIBSECCOMP_CANDIDATES } from './libseccomp';
import { planProfile } from './profile';

/** Part of every key and the first word of every entry: bumped when the entry layout changes. */
const FORMAT = 'oci-ts-seccomp-2';
/** `<FORMAT> <sha256 hex>\n`, then the program. */
const HEADER_LENGTH = FORMAT.length + 1 + 64 + 1;
/** BPF_MAXINSNS instructions of 8 bytes: the kernel loads nothing longer. */
const MAX_PROGRAM = 4096 * 8;

// Loaded on first use: node:crypto costs ~3 ms and node:os is not in Node's startup snapshot
// either, and every create imports this module, seccomp or not.
function crypto(): typeof Crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:crypto') as typeof Crypto;
}

function os(): typeof Os {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:os') as typeof Os;
}

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
  return crypto().createHash('sha256').update(`${FORMAT}\0${lib}\0${os().release()}\0${JSON.stringify(s)}`).digest('hex');
}

/** The checksum in an entry's header: binds the program to the key it is stored under. */
function entryDigest(key: string, program: Buffer): string {
  return crypto().createHash('sha256').update(`${FORMAT}\0${key}\0`).update(program).digest('hex');
}

/** An entry's bytes: header line, then the program. */
export function encodeEntry(key: string, program: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${FORMAT} ${entryDigest(key, program)}\n`, 'latin1'), program]);
}

/** The program in an entry's bytes, or why they are not a valid entry for `key`. */
export function decodeEntry(key: string, data: Buffer): Buffer | string {
  if (data.length <= HEADER_LENGTH) return 'too short';
  const header = data.subarray(0, HEADER_LENGTH).toString('latin1');
  if (!header.startsWith(`${FORMAT} `) || !header.endsWith('\n')) return 'bad header';
  const program = data.subarray(HEADER_LENGTH);
  if (program.length % 8 !== 0 || program.length > MAX_PROGRAM) return `bad program length ${program.length}`;
  if (header.slice(FORMAT.length + 1, -1) !== entryDigest(key, program)) return 'checksum mismatch';
  return program;
}

/** Why `st` (of a cache dir or entry) must not be trusted, or undefined when it may be. */
function untrusted(st: fs.Stats, kind: 'directory' | 'file'): string | undefined {
  if (kind === 'directory' ? !st.isDirectory() : !st.isFile()) return `not a ${kind}`;
  if (!trustedOwner(st.uid)) return `owned by uid ${st.uid}`;
  if ((st.mode & 0o022) !== 0) return `writable by group or other (mode ${(st.mode & 0o7777).toString(8)})`;
  return undefined;
}

/**
 * `<root>/:cache/seccomp`, made 0700 when missing, or undefined (with a debug line) when it or a
 * parent is not private to us: then the cache is neither read nor written.
 */
export function seccompCacheDir(root: string): string | undefined {
  let dir: string;
  try {
    dir = path.join(privateCacheDir(root), 'seccomp');
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const why = untrusted(fs.lstatSync(dir), 'directory');
    if (why !== undefined) {
      debug(`seccomp cache: not using ${dir}: ${why}`);
      return undefined;
    }
  } catch (err) {
    debug(`seccomp cache: not using the cache of ${root}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  return dir;
}

/** The program of a verified entry, or undefined (a miss, or an entry that fails a check). */
function readEntry(file: string, key: string): Buffer | undefined {
  let fd: number;
  try {
    // O_NOFOLLOW: a symlink is refused (ELOOP); O_NONBLOCK: a fifo cannot hang us.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') debug(`seccomp cache: ${file}: ${(err as Error).message}`);
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    let why = untrusted(st, 'file');
    if (why === undefined && st.size > HEADER_LENGTH + MAX_PROGRAM) why = `too large (${st.size} bytes)`;
    if (why === undefined) {
      const got = decodeEntry(key, fs.readFileSync(fd));
      if (typeof got !== 'string') return got;
      why = got;
    }
    debug(`seccomp cache: ignoring ${file}: ${why}`);
    return undefined;
  } catch (err) {
    debug(`seccomp cache: ${file}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function writeEntry(file: string, key: string, program: Buffer): void {
  // A fresh name, created O_EXCL: never a file (or symlink) that was there before.
  const tmp = `${file}.${process.pid}.${crypto().randomBytes(6).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, encodeEntry(key, program), { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    debug(`seccomp cache: writing ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** compileSeccomp through the cache in `<root>/:cache/seccomp`. */
export function compileSeccompCached(s: Seccomp, root: string): CompiledSeccomp {
  const plan = planProfile(s); // refusals first, whatever the cache holds
  const lib = libraryIdentity();
  if (lib === undefined) return compileSeccomp(s, { root });
  const dir = seccompCacheDir(root);
  if (dir === undefined) return compileSeccomp(s, { root });
  const key = seccompCacheKey(s, lib);
  const file = path.join(dir, `${key}.bpf`);
  const program = readEntry(file, key);
  if (program !== undefined) return { program, flags: plan.flags, skipped: [], rules: plan.rules.length };
  const compiled = compileSeccomp(s, { root });
  writeEntry(file, key, compiled.program);
  return compiled;
}
