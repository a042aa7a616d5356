/**
 * Where oci-ts caches files derived from its own build (the ffi-rs addon, compiled seccomp
 * programs): a directory in the state root whose name can never be a container id (ids are
 * [A-Za-z0-9_+.-]), so `create`/`delete --force` of any id can never collide with it.
 *
 * The cache holds code that is loaded into the runtime (the addon is dlopen'ed), so it is only
 * used when no other user could have written into it: `privateCacheDir` checks that the root and
 * `:cache` are directories (not symlinks) owned by root (or the caller), with no group/other
 * write bit, and that `:cache` is 0700.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CACHE_DIR_NAME = ':cache';

export function runtimeCacheDir(root: string): string {
  return path.join(root, CACHE_DIR_NAME);
}

/** True when `uid` is root or the caller (a file the caller could not have written is never trusted). */
export function trustedOwner(uid: number): boolean {
  return uid === 0 || uid === (process.geteuid?.() ?? 0);
}

function checkDir(dir: string, strict: boolean): void {
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir}: not a directory`);
  if (!trustedOwner(st.uid)) throw new Error(`${dir}: owned by uid ${st.uid}`);
  const bad = strict ? 0o077 : 0o022;
  if ((st.mode & bad) !== 0) {
    if (!strict) throw new Error(`${dir}: writable by other users (mode ${(st.mode & 0o7777).toString(8)})`);
    fs.chmodSync(dir, 0o700); // ours: tighten it (an older oci-ts or a umask made it wider)
    if ((fs.lstatSync(dir).mode & bad) !== 0) throw new Error(`${dir}: cannot make it 0700`);
  }
}

/** `<root>/:cache`, created 0700 if missing; throws when it (or the root) is not private to us. */
export function privateCacheDir(root: string): string {
  const dir = runtimeCacheDir(root);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkDir(root, false);
  checkDir(dir, true);
  return dir;
}
