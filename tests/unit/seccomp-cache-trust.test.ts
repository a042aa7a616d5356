/**
 * What the seccomp program cache (lib/seccomp/cache.ts) trusts: an entry's header binds the
 * program to its key by sha256, so a truncated, edited or renamed entry decodes to a reason,
 * never to a program; a cache dir that is group/other-writable or foreign is neither read nor
 * written (the profile is compiled instead). The container-level tests (a tampered entry never
 * reaches the kernel) are in tests/integration/permissions.test.ts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { compileSeccompCached, decodeEntry, encodeEntry, seccompCacheDir } from '../../lib/seccomp/cache';
import { compileSeccomp } from '../../lib/seccomp/compile';
import type { Seccomp } from '../../lib/spec/types';
import { libseccompSkipReason } from '../helpers/seccomp';

const KEY = 'a'.repeat(64);
const PROGRAM = Buffer.from([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f, 0x06, 0, 0, 0, 0x26, 0, 0x05, 0]);

describe('seccomp cache entries', () => {
  test('an entry decodes to its program under its own key only', () => {
    const entry = encodeEntry(KEY, PROGRAM);
    assert.deepEqual(decodeEntry(KEY, entry), PROGRAM);
    assert.equal(decodeEntry('b'.repeat(64), entry), 'checksum mismatch');
  });

  test('truncated, edited, padded or foreign bytes give a reason, not a program', () => {
    const entry = encodeEntry(KEY, PROGRAM);
    const flipped = Buffer.from(entry);
    flipped[flipped.length - 1]! ^= 0x40;
    const header = flipped.subarray(0, entry.indexOf(0x0a) + 1);
    const cases: Array<[string, Buffer, RegExp]> = [
      ['empty', Buffer.alloc(0), /too short/],
      ['header only', header, /too short/],
      ['truncated program', entry.subarray(0, entry.length - 3), /bad program length/],
      ['one bit flipped', flipped, /checksum mismatch/],
      ['program appended', Buffer.concat([entry, PROGRAM.subarray(0, 8)]), /checksum mismatch/],
      ['a raw program (the old format)', Buffer.concat([PROGRAM, PROGRAM, PROGRAM, PROGRAM, PROGRAM, PROGRAM]), /bad header/],
      ['over BPF_MAXINSNS', encodeEntry(KEY, Buffer.alloc(4097 * 8)), /bad program length/],
    ];
    for (const [what, bytes, why] of cases) {
      const got = decodeEntry(KEY, bytes);
      assert.equal(typeof got, 'string', what);
      assert.match(got as string, why, what);
    }
  });
});

describe('seccomp cache directory', { skip: libseccompSkipReason() }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-seccomp-trust-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const profile: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mknod', 'mknodat'], action: 'SCMP_ACT_ERRNO' }] };

  test('made 0700; a group- or other-writable one is refused, not tightened, and never written', () => {
    const dir = seccompCacheDir(root);
    assert.equal(dir, path.join(root, ':cache', 'seccomp'));
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const real = compileSeccomp(profile).program;
    for (const mode of [0o770, 0o702]) {
      fs.rmSync(dir, { recursive: true });
      fs.mkdirSync(dir);
      fs.chmodSync(dir, mode);
      assert.equal(seccompCacheDir(root), undefined, `mode ${mode.toString(8)}`);
      assert.deepEqual(compileSeccompCached(profile, root).program, real, 'compiled');
      assert.deepEqual(fs.readdirSync(dir), [], 'nothing written');
      assert.equal(fs.statSync(dir).mode & 0o777, mode, 'left as it is');
    }
  });

  test('a symlink in place of the dir is refused', () => {
    const dir = path.join(root, ':cache', 'seccomp');
    fs.rmSync(dir, { recursive: true, force: true });
    const elsewhere = fs.mkdtempSync(path.join(root, 'elsewhere-'));
    fs.symlinkSync(elsewhere, dir);
    assert.equal(seccompCacheDir(root), undefined);
    compileSeccompCached(profile, root);
    assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing written through the symlink');
    fs.rmSync(dir);
  });

  test('a root that other users can write is refused as a whole', () => {
    const open = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-seccomp-open-'));
    try {
      fs.chmodSync(open, 0o777);
      assert.equal(seccompCacheDir(open), undefined);
    } finally {
      fs.rmSync(open, { recursive: true, force: true });
    }
  });
});
