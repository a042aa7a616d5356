/**
 * User namespaces: a new one with uid/gid mappings written by the shim right after the clone (read back from
 * /proc/<pid>/uid_map), root inside and 100000 on the host, devices bound from the host when
 * mknod is refused, and joining an existing user namespace by path.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestSpec } from '../helpers/bundle';
import { readProc, skipReason, statusField } from '../helpers/runtime';
import { configSuite } from './config-helpers';

const s = configSuite('us');
const HOST_ID = 100000;
const SIZE = 65536;

function withUserns(x: TestSpec): void {
  x.linux.namespaces.push({ type: 'user' });
  x.linux.uidMappings = [{ containerID: 0, hostID: HOST_ID, size: SIZE }];
  x.linux.gidMappings = [{ containerID: 0, hostID: HOST_ID, size: SIZE }];
}

/** The rootfs copy belongs to the mapped root, as an engine would prepare it. */
function chownRootfs(dir: string): void {
  execFileSync('chown', ['-R', `${HOST_ID}:${HOST_ID}`, path.join(dir, 'rootfs')]);
}

describe('config: user namespaces', { skip: skipReason }, () => {
  before(() => {
    s.setup();
    // The remapped root must be able to reach the rootfs (as with runc: engines use 0711 dirs).
    fs.chmodSync(s.sb().dir, 0o711);
  });
  after(() => s.teardown());

  test('mapping 0 -> 100000 (65536): uid_map read back, root inside, files owned by 100000 on the host', () => {
    const { dir, id } = s.bundle((x) => {
      withUserns(x);
      x.process.args = ['/bin/sh', '-c', 'touch /tmp/made-inside; exec sleep 100'];
    });
    chownRootfs(dir);
    const r = s.sb().detached(['run', '-d', '--bundle', dir, id]);
    assert.equal(r.status, 0, r.output);
    const pid = Number(JSON.parse(s.sb().run(['state', id]).stdout).pid);
    assert.match(readProc(pid, 'uid_map'), new RegExp(`^\\s*0\\s+${HOST_ID}\\s+${SIZE}\\n$`));
    assert.match(readProc(pid, 'gid_map'), new RegExp(`^\\s*0\\s+${HOST_ID}\\s+${SIZE}\\n$`));
    assert.match(statusField(pid, 'Uid'), new RegExp(`^${HOST_ID}\\s+${HOST_ID}\\s`));
    assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/user`), fs.readlinkSync('/proc/self/ns/user'));
    const made = path.join(dir, 'rootfs/tmp/made-inside');
    for (let i = 0; i < 200 && !fs.existsSync(made); i++) execFileSync('sleep', ['0.01']);
    const st = fs.statSync(made);
    assert.equal(st.uid, HOST_ID);
    assert.equal(st.gid, HOST_ID);
    assert.equal(s.sb().run(['delete', '--force', id]).status, 0);
  });

  test('inside: uid 0 with full capabilities of its namespace; /dev nodes bound from the host work', () => {
    const r = s.run((x) => {
      withUserns(x);
      x.process.args = ['/bin/sh', '-c', 'id -u; id -g; cat /proc/self/uid_map; echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c'];
    });
    // (run's rootfs is not chowned: only reads and /dev are used)
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^0\\n0\\n\\s*0\\s+${HOST_ID}\\s+${SIZE}\\nnull-ok\\n\\s*4\\n$`));
  });

  test('joining an existing user namespace by path (no mappings of its own)', () => {
    const a = s.bundle((x) => { withUserns(x); x.process.args = ['/bin/sleep', '100']; });
    chownRootfs(a.dir);
    assert.equal(s.sb().detached(['run', '-d', '--bundle', a.dir, a.id]).status, 0);
    const pidA = Number(JSON.parse(s.sb().run(['state', a.id]).stdout).pid);
    const b = s.bundle((x) => {
      x.linux.namespaces.push({ type: 'user', path: `/proc/${pidA}/ns/user` });
      x.process.args = ['/bin/sh', '-c', 'id -u; cat /proc/self/uid_map; exec sleep 100'];
    });
    const out = path.join(s.sb().dir, 'b.out');
    const fd = fs.openSync(out, 'w');
    try {
      const r = execFileSync(process.env.OCI_TS_BINARY ?? path.join(__dirname, '../../dist/oci-ts'), ['--root', s.sb().root, 'run', '-d', '--bundle', b.dir, b.id], { stdio: ['ignore', fd, fd] });
      void r;
    } finally {
      fs.closeSync(fd);
    }
    const pidB = Number(JSON.parse(s.sb().run(['state', b.id]).stdout).pid);
    assert.equal(fs.readlinkSync(`/proc/${pidB}/ns/user`), fs.readlinkSync(`/proc/${pidA}/ns/user`));
    assert.notEqual(fs.readlinkSync(`/proc/${pidB}/ns/pid`), fs.readlinkSync(`/proc/${pidA}/ns/pid`));
    assert.match(statusField(pidB, 'Uid'), new RegExp(`^${HOST_ID}\\s`));
    for (let i = 0; i < 200 && !/\d+\s+\d+/.test(fs.readFileSync(out, 'utf8')); i++) execFileSync('sleep', ['0.01']);
    assert.match(fs.readFileSync(out, 'utf8'), new RegExp(`^0\\n\\s*0\\s+${HOST_ID}\\s+${SIZE}\\n`));
    assert.equal(s.sb().run(['delete', '--force', b.id]).status, 0);
    assert.equal(s.sb().run(['delete', '--force', a.id]).status, 0);
  });

  test('user.* sysctls apply to the container\'s user namespace, not the host\'s', () => {
    const host = fs.readFileSync('/proc/sys/user/max_inotify_watches', 'utf8');
    const r = s.run((x) => {
      withUserns(x);
      x.linux.sysctl = { 'user.max_inotify_watches': '1234' };
      x.process.args = ['/bin/cat', '/proc/sys/user/max_inotify_watches'];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '1234\n');
    assert.equal(fs.readFileSync('/proc/sys/user/max_inotify_watches', 'utf8'), host);
  });

  test('mappings without a user namespace are refused, nothing left behind', () => {
    s.refused((x) => { x.linux.uidMappings = [{ containerID: 0, hostID: HOST_ID, size: SIZE }]; }, '/linux/uidMappings', /requires a user namespace/);
  });
});
