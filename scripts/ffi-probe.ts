/**
 * A tiny program for tests/unit/build.test.ts. Built into a throw-away single executable with
 * the `ffi-rs.node` asset (or run from source with tsx), it loads ffi-rs the way dist/oci-ts
 * does (asset -> <root>/lib/ffi-rs-<hash>.node -> process.dlopen) and prints one JSON line:
 * getpid() through ffi-rs, process.pid, whether it ran as a SEA, and where the addon came from.
 *
 *   ffi-probe ROOT [via-cache]     ROOT = the runtime root to cache the addon in
 */
import { isSea } from '../lib/sys/assets';
import { ffiLoadedFrom, libc } from '../lib/sys/ffi';

const root = process.argv[2] ?? '/run/oci-ts';
const viaCache = process.argv[3] === 'via-cache';
const getpid = libc({ root, viaCache }).func('getpid', 'i32', []);
process.stdout.write(JSON.stringify({ getpid: getpid(), pid: process.pid, sea: isSea(), from: ffiLoadedFrom() }) + '\n');
