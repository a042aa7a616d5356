/**
 * Where oci-ts caches files derived from its own build (the ffi-rs addon, compiled seccomp
 * programs): a directory in the state root whose name can never be a container id (ids are
 * [A-Za-z0-9_+.-]), so `create`/`delete --force` of any id can never collide with it.
 */
import * as path from 'node:path';

export const CACHE_DIR_NAME = ':cache';

export function runtimeCacheDir(root: string): string {
  return path.join(root, CACHE_DIR_NAME);
}
