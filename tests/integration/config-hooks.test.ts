/**
 * hooks.createContainer and hooks.startContainer (config.md §POSIX-platform Hooks): run by the
 * shim inside the container's namespaces with the state on stdin. createContainer runs during
 * create, after the mounts and before pivot_root (its path resolves in the runtime's mount view);
 * startContainer runs at start, before the user program, and its path resolves in the container.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { skipReason, waitFor } from '../helpers/runtime';
import { configSuite } from './config-helpers';

const s = configSuite('hk');
let hookScript = '';
let logDir = '';

interface HookRecord {
  state: { ociVersion: string; id: string; status: string; pid: number; bundle: string; annotations?: Record<string, string> };
  pidns: string;
  mntns: string;
  args: string;
  env: string;
  sawMount: boolean;
}

function readRecord(file: string): HookRecord {
  const [state, pidns, mntns, args, env, sawMount] = fs.readFileSync(file, 'utf8').split('\n');
  return { state: JSON.parse(state!) as HookRecord['state'], pidns: pidns!, mntns: mntns!, args: args!, env: env!, sawMount: sawMount === 'yes' };
}

describe('config: hooks inside the container', { skip: skipReason }, () => {
  before(() => {
    s.setup();
    logDir = path.join(s.sb().dir, 'hooklog');
    fs.mkdirSync(logDir);
    // A host-side hook (createContainer resolves in the runtime's view): record stdin, namespaces,
    // argv, env, and whether the container's /proc mount is already there (mounts come first).
    hookScript = path.join(s.sb().dir, 'hook.sh');
    fs.writeFileSync(hookScript, [
      '#!/bin/sh',
      `out=${logDir}/$1`,
      'cat > "$out.tmp"; echo >> "$out.tmp"',
      'readlink /proc/self/ns/pid >> "$out.tmp"; readlink /proc/self/ns/mnt >> "$out.tmp"',
      'echo "$*" >> "$out.tmp"; echo "$HOOK_ENV" >> "$out.tmp"',
      'if grep -q " $2/proc proc " /proc/self/mounts; then echo yes; else echo no; fi >> "$out.tmp"',
      'mv "$out.tmp" "$out"',
      '',
    ].join('\n'), { mode: 0o755 });
  });
  after(() => s.teardown());

  test('createContainer runs at create, in the container\'s namespaces, after its mounts, with the state', () => {
    const { dir, id } = s.bundle((x) => {
      x.process.args = ['/bin/sleep', '100'];
      x.annotations = { 'org.example/k': 'v' };
      x.hooks = { createContainer: [{ path: hookScript, args: ['hook.sh', 'cc', `${path.join(s.sb().dir, 'hk1')}/rootfs`], env: ['HOOK_ENV=from-config'], timeout: 10 }] };
    });
    const c = s.sb().detached(['create', '--bundle', dir, id]);
    assert.equal(c.status, 0, c.output);
    const rec = readRecord(path.join(logDir, 'cc'));
    const pid = Number(JSON.parse(s.sb().run(['state', id]).stdout).pid);
    assert.deepEqual(rec.state, { ociVersion: '1.3.0', id, status: 'creating', bundle: dir, annotations: { 'org.example/k': 'v' }, pid: 1 });
    assert.equal(rec.pidns, fs.readlinkSync(`/proc/${pid}/ns/pid`));
    assert.notEqual(rec.mntns, fs.readlinkSync('/proc/self/ns/mnt'));
    assert.equal(rec.args, `cc ${dir}/rootfs`);
    assert.equal(rec.env, 'from-config');
    assert.equal(rec.sawMount, true, 'the container\'s /proc was mounted before the hook ran');
    assert.equal(s.sb().run(['delete', '--force', id]).status, 0);
  });

  test('startContainer runs at start (not at create), inside the container, before the program', () => {
    const { dir, id } = s.bundle((x) => {
      x.process.args = ['/bin/sh', '-c', 'test -f /hook-ran && echo program-saw-hook > /program.out; sleep 100'];
      x.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /hook-ran; echo >> /hook-ran; readlink /proc/self/ns/pid >> /hook-ran'] }] };
    });
    assert.equal(s.sb().detached(['create', '--bundle', dir, id]).status, 0);
    const hookFile = path.join(dir, 'rootfs/hook-ran');
    assert.ok(!fs.existsSync(hookFile), 'not run by create');
    const pid = Number(JSON.parse(s.sb().run(['state', id]).stdout).pid);
    assert.equal(s.sb().detached(['start', id]).status, 0);
    assert.ok(waitFor(() => fs.existsSync(path.join(dir, 'rootfs/program.out'))), 'the program ran after the hook');
    const [state, pidns] = fs.readFileSync(hookFile, 'utf8').split('\n');
    assert.deepEqual(JSON.parse(state!), { ociVersion: '1.3.0', id, status: 'created', bundle: dir, pid: 1 });
    assert.equal(pidns, fs.readlinkSync(`/proc/${pid}/ns/pid`));
    assert.equal(s.sb().run(['delete', '--force', id]).status, 0);
  });

  test('hook output never reaches the container\'s stdio; a failing hook\'s output is in the error', () => {
    const r = s.run((x) => {
      x.process.args = ['/bin/echo', 'program-output'];
      x.hooks = {
        createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo cc-out; echo cc-err >&2'] }],
        startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo sc-out; echo sc-err >&2'] }],
      };
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'program-output\n');
    assert.doesNotMatch(r.stderr, /cc-|sc-/);
    const out = s.failsCleanly((x) => { x.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo why-it-failed >&2; exit 3'] }] }; });
    assert.match(out, /error running createContainer hook #0: exit status 3, stdout\+stderr: why-it-failed/);
  });

  test('a failing createContainer hook fails create and leaves nothing behind', () => {
    const out = s.failsCleanly((x) => { x.hooks = { createContainer: [{ path: '/bin/false' }] }; });
    assert.match(out, /error running createContainer hook #0: exit status 1/);
  });

  test('a createContainer hook past its timeout is killed and fails create', () => {
    const out = s.failsCleanly((x) => { x.hooks = { createContainer: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }; });
    assert.match(out, /error running createContainer hook #0: timeout after 1 seconds/);
  });

  test('a createContainer hook that does not exist', () => {
    const out = s.failsCleanly((x) => { x.hooks = { createContainer: [{ path: '/no/such/hook' }] }; });
    assert.match(out, /error running createContainer hook #0: exit status 127/);
  });
});
