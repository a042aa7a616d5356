/**
 * The compiled-program cache (lib/seccomp/cache.ts): a hit gives the same bytes as a compile,
 * refusals never depend on it, a corrupt entry is recompiled.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { compileSeccompCached } from '../../lib/seccomp/cache';
import { compileSeccomp } from '../../lib/seccomp/compile';
import type { Seccomp } from '../../lib/spec/types';
import { libseccompSkipReason } from '../helpers/seccomp';

const skip = libseccompSkipReason();

describe('seccomp program cache', { skip }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-seccomp-cache-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const profile: Seccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }] };
  const dir = path.join(root, ':cache', 'seccomp');

  test('a miss compiles and stores; a hit returns the same program and flags', () => {
    const direct = compileSeccomp(profile);
    const first = compileSeccompCached(profile, root);
    assert.deepEqual(first.program, direct.program);
    const entries = fs.readdirSync(dir);
    assert.equal(entries.length, 1);
    assert.match(entries[0]!, /^[0-9a-f]{64}\.bpf$/);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const hit = compileSeccompCached(profile, root);
    assert.deepEqual(hit.program, direct.program);
    assert.equal(hit.flags, 2);
  });

  test('a different profile is a different entry', () => {
    compileSeccompCached({ ...profile, defaultErrnoRet: 1 }, root);
    assert.equal(fs.readdirSync(dir).length, 2);
  });

  test('refusals are checked before the cache', () => {
    assert.throws(() => compileSeccompCached({ ...profile, listenerMetadata: 'x' }, root), /\/linux\/seccomp\/listenerMetadata/);
  });

  test('a corrupt entry is recompiled', () => {
    for (const f of fs.readdirSync(dir)) fs.writeFileSync(path.join(dir, f), Buffer.from([1, 2, 3]));
    const again = compileSeccompCached(profile, root);
    assert.deepEqual(again.program, compileSeccomp(profile).program);
  });
});
