/**
 * Recursive mount attributes (rro, rnosuid, rnoexec, rnoatime, ...): mount_setattr(AT_RECURSIVE)
 * reaches submounts of an rbind, as /proc/self/mountinfo and a failing write show. Idmapped
 * mounts that cannot be made (one-sided mappings, idmap with no mapping to use) are refused with
 * nothing left behind; the working ones are in config-host-resources.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestSpec } from '../helpers/bundle';
import { skipReason } from '../helpers/runtime';
import { configSuite } from './config-helpers';

const s = configSuite('mo');
let vol = '';

/** The mountinfo lines of the container for /vol and below: "<mount point> <per-mount options>". */
function volMounts(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const f = line.split(' ');
    if (f.length > 6 && f[4]!.startsWith('/vol')) out.set(f[4]!, f[5]!);
  }
  return out;
}

function runWithVol(options: string[], script: string): { status: number | null; stdout: string; stderr: string } {
  return s.run((x: TestSpec) => {
    x.mounts.push({ destination: '/vol', type: 'bind', source: vol, options: ['rbind', ...options] });
    x.process.args = ['/bin/sh', '-c', script];
  });
}

describe('config: recursive mount options', { skip: skipReason }, () => {
  before(() => {
    s.setup();
    vol = path.join(s.sb().dir, 'vol');
    fs.mkdirSync(path.join(vol, 'sub'), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path.join(vol, 'sub')]);
  });
  after(() => {
    try { execFileSync('umount', ['-l', path.join(vol, 'sub')]); } catch { /* not mounted */ }
    s.teardown();
  });

  test('rro makes the bind and its submount read-only; ro alone leaves the submount writable', () => {
    const r = runWithVol(['rro'], 'cat /proc/self/mountinfo; touch /vol/a 2>&1; touch /vol/sub/b 2>&1; true');
    assert.equal(r.status, 0, r.stderr);
    const m = volMounts(r.stdout);
    assert.match(m.get('/vol')!, /^ro,/);
    assert.match(m.get('/vol/sub')!, /^ro,/);
    assert.match(r.stdout, /touch: \/vol\/a: Read-only file system/);
    assert.match(r.stdout, /touch: \/vol\/sub\/b: Read-only file system/);

    const plain = runWithVol(['ro'], 'cat /proc/self/mountinfo; touch /vol/sub/c && echo sub-writable');
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(volMounts(plain.stdout).get('/vol')!, /^ro,/);
    assert.match(volMounts(plain.stdout).get('/vol/sub')!, /^rw,/);
    assert.match(plain.stdout, /sub-writable/);
  });

  test('rnosuid, rnodev, rnoexec, rnoatime reach the submount', () => {
    const r = runWithVol(['rnosuid', 'rnodev', 'rnoexec', 'rnoatime'], 'cat /proc/self/mountinfo');
    assert.equal(r.status, 0, r.stderr);
    for (const mp of ['/vol', '/vol/sub']) {
      const opts = volMounts(r.stdout).get(mp)!.split(',');
      for (const o of ['nosuid', 'nodev', 'noexec', 'noatime']) assert.ok(opts.includes(o), `${mp}: ${o} in ${opts.join(',')}`);
    }
  });

  test('rro then rrw: the later option wins', () => {
    const r = runWithVol(['rro', 'rrw'], 'cat /proc/self/mountinfo');
    assert.equal(r.status, 0, r.stderr);
    assert.match(volMounts(r.stdout).get('/vol/sub')!, /^rw,/);
  });

  test('recursive attributes on a tmpfs mount', () => {
    const r = s.run((x: TestSpec) => {
      x.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'rnoexec', 'rro'] });
      x.process.args = ['/bin/sh', '-c', 'grep " /scratch " /proc/self/mountinfo'];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, / \/scratch ro,[^ ]*noexec/);
  });

  describe('refused, nothing left behind', () => {
    test('mount uidMappings without gidMappings', () => {
      s.refused((x) => { x.mounts.unshift({ destination: '/data', type: 'bind', source: vol, options: ['rbind'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }); }, '/mounts/0/gidMappings', /must be given together/);
    });
    for (const opt of ['idmap', 'ridmap']) {
      test(`${opt} with no mapping to use (no mount mappings, no user namespace)`, () => {
        s.refused((x) => { x.mounts.unshift({ destination: '/data', type: 'bind', source: vol, options: ['rbind', opt] }); }, '/mounts/0/options/1', /needs uidMappings and gidMappings on the mount, or a user namespace/);
      });
    }
  });
});
