/**
 * The cgroup v2 device controller for real (root): an eBPF BPF_PROG_TYPE_CGROUP_DEVICE program
 * attached to a unique cgroup under the cgroup2 hierarchy (/sys/fs/cgroup/unified on a hybrid
 * host, /sys/fs/cgroup on a unified one). A child moved into the cgroup can use /dev/null (allowed)
 * but not /dev/zero (denied: EPERM). Also through V2Manager.apply (linux.resources.devices), and
 * an update replacing the program. The cgroups are removed in after().
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configureLog } from '../../lib/log';
import { normalizeDeviceRules } from '../../lib/cgroups/convert';
import { applyDeviceFilter, attachedDevicePrograms } from '../../lib/cgroups/devices-bpf';
import { newCgroupManager } from '../../lib/cgroups/manager';
import { probeHost } from '../../lib/cgroups/probe';
import type { CgroupManager, Hierarchy } from '../../lib/cgroups/types';

configureLog({ format: 'text', debug: false, file: path.join(os.tmpdir(), `oci-ts-devbpf-int-${process.pid}.log`) });

const isRoot = process.getuid?.() === 0;
const host = fs.existsSync('/proc/self/mountinfo') ? probeHost() : undefined;
const v2h = host?.hierarchies.find((h) => h.kind === 'v2');
const skip = !isRoot ? 'needs root' : v2h === undefined ? 'no cgroup2 hierarchy' : false;

const dirs: string[] = [];
const children: ChildProcess[] = [];
const managers: CgroupManager[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const m of managers) {
    try {
      m.destroy();
    } catch {
      /* reported by the dirs loop below if left */
    }
  }
  for (const d of dirs.reverse()) {
    for (let i = 0; i < 50 && fs.existsSync(d); i++) {
      try {
        fs.rmdirSync(d);
      } catch {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // the child is still exiting
      }
    }
  }
});

const SCRIPT = [
  'read x',
  'if head -c1 /dev/zero >/dev/null 2>/tmp/devbpf-$$; then echo ZERO-OK; else echo "ZERO-DENIED $(cat /tmp/devbpf-$$)"; fi',
  'rm -f /tmp/devbpf-$$',
  'if echo hi > /dev/null; then echo NULL-OK; else echo NULL-DENIED; fi',
].join('\n');

/** Spawn the probe script, move it into `dir` (cgroup.procs), let it run; its stdout. */
async function probeIn(dir: string): Promise<string> {
  const child = spawn('sh', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(child.pid));
  assert.ok(fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').includes(String(child.pid)), 'child in the cgroup');
  child.stdin.end('go\n');
  const code = await done;
  assert.equal(code, 0, `probe exited ${code}: ${out} ${err}`);
  return out;
}

function uniqueDir(tag: string): string {
  const d = path.join((v2h as Hierarchy).mountpoint, `oci-ts-devbpf-${tag}-${process.pid}`);
  fs.mkdirSync(d);
  dirs.push(d);
  return d;
}

describe('cgroup v2 device eBPF program', { skip }, () => {
  test('deny all + allow c 1:3 rwm: /dev/null works, /dev/zero is EPERM', async () => {
    const d = uniqueDir('raw');
    // Before: no program, both work.
    const before = await probeIn(d);
    assert.match(before, /ZERO-OK/);
    assert.match(before, /NULL-OK/);
    applyDeviceFilter(d, normalizeDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }]));
    assert.equal(attachedDevicePrograms(d).length, 1, 'one program attached (fds closed, attachment keeps it)');
    const out = await probeIn(d);
    assert.match(out, /NULL-OK/);
    assert.match(out, /ZERO-DENIED .*Operation not permitted/);
    // Replacing the program (update): allow everything; still one program.
    applyDeviceFilter(d, normalizeDeviceRules([{ allow: true, access: 'rwm' }]));
    assert.equal(attachedDevicePrograms(d).length, 1, 'the old program was detached');
    const again = await probeIn(d);
    assert.match(again, /ZERO-OK/);
    assert.match(again, /NULL-OK/);
  });

  test('V2Manager.apply attaches the program for linux.resources.devices (defaults included)', async () => {
    const top = `/oci-ts-devbpf-mgr-${process.pid}`;
    dirs.push(path.join((v2h as Hierarchy).mountpoint, top));
    const m = newCgroupManager({ cgroupsPath: `${top}/c`, id: 'c', host: { mode: 'unified', hierarchies: [v2h as Hierarchy] } });
    managers.push(m);
    m.create();
    const dir = m.paths.unified as string;
    dirs.push(dir);
    // Deny all: the default rules (after the config's) allow /dev/zero (c 1:5), as runc's
    // AllowedDevices do; a kmsg node (c 1:11, not in the defaults) is denied.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-devbpf-'));
    const kmsg = path.join(tmp, 'kmsg');
    try {
      execFileSync('mknod', [kmsg, 'c', '1', '11']);
      execFileSync('sh', ['-c', ': < "$1"', 'sh', kmsg]); // openable outside the cgroup
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    m.apply({ devices: [{ allow: false, access: 'rwm' }] });
    assert.equal(attachedDevicePrograms(dir).length, 1);
    const child = spawn('sh', ['-c', 'read x; (exec 3<"$1") 2>/dev/null && echo KMSG-OK || echo KMSG-DENIED; head -c1 /dev/zero >/dev/null && echo ZERO-OK', 'sh', kmsg], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(child.pid));
    child.stdin.end('go\n');
    await done;
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.match(out, /KMSG-DENIED/);
    assert.match(out, /ZERO-OK/);
    m.apply({ devices: [{ allow: true, access: 'rwm' }] });
    assert.equal(attachedDevicePrograms(dir).length, 1, 'apply again replaces the program');
  });
});
