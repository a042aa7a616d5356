/**
 * `oci-ts plan` and `create --dry-run` through the built binary, as an unprivileged user
 * (nobody, via setpriv when the tests run as root): the plan is printed, nothing is made.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { PlanDescription } from '../../lib/plan/describe';
import { findStaticBusybox, makeBundle } from '../helpers/bundle';
import { cleanEnv, ociTsBinary } from '../helpers/runtime';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
const skip = !fs.existsSync(ociTsBinary)
  ? `${ociTsBinary} is missing: run make build`
  : findStaticBusybox() === null
    ? 'no static busybox (make deps)'
    : isRoot && setpriv === undefined
      ? 'setpriv (util-linux) is needed to drop root'
      : false;

let dir = '';
let bundle = '';
let root = '';

/** Run dist/oci-ts as nobody (or as ourselves when we are not root). */
function asNobody(args: string[]): SpawnSyncReturns<string> {
  const cmd = isRoot ? setpriv! : ociTsBinary;
  const argv = isRoot
    ? ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', ociTsBinary, '--root', root, ...args]
    : ['--root', root, ...args];
  return spawnSync(cmd, argv, { encoding: 'utf8', env: cleanEnv({ HOME: '/nonexistent' }), cwd: '/', timeout: 30_000 });
}

before(() => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-plan-cli-'));
  fs.chmodSync(dir, 0o755); // nobody must be able to read the bundle
  bundle = makeBundle(path.join(dir, 'bundle'), (s) => {
    s.linux.resources = { ...(s.linux.resources ?? {}), pids: { limit: 32 } };
    s.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 256, hard: 512 }];
    s.hooks = { poststop: [{ path: '/bin/true' }] };
  });
  root = path.join(dir, 'state');
});

after(() => {
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
});

test('plan as nobody: the text plan, and nothing on the host changes', { skip }, () => {
  const cgroupDirs = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => / - cgroup2? /.test(l)).map((l) => path.join(l.split(' ')[4]!, 'oci-ts-test', 'bundle'));
  const before = cgroupDirs.filter((d) => fs.existsSync(d));
  const r = asNobody(['plan', '--bundle', bundle, 'c1']);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^Plan for container "c1": bundle /);
  assert.match(out, /\nnamespaces:\n {2}new: pid, network, ipc, uts, mount/);
  assert.match(out, /\ncgroup:\n {2}\/oci-ts-test\/bundle \(v[12] manager on a (unified|hybrid|v1) host, cgroupfs driver\)/);
  assert.match(out, /\n {2}pids\.max = "32"\n/);
  assert.match(out, /proc on \/proc type proc/);
  assert.match(out, /tmpfs on \/dev type tmpfs \(nosuid,strictatime,mode=755,size=65536k\)/);
  assert.match(out, /sysfs on \/sys type sysfs \(ro,nosuid,nodev,noexec\)/);
  assert.match(out, /mknod \/dev\/null c 1:3 mode 0666/);
  assert.match(out, /mask \/proc\/kcore/);
  assert.match(out, /make \/proc\/sys read-only/);
  assert.match(out, /sysctl net\.ipv4\.ip_forward = "1"/);
  assert.match(out, /setrlimit RLIMIT_NOFILE soft 256 hard 512/);
  assert.match(out, /capability bounding set: CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE/);
  assert.match(out, /poststop hook #0: \/bin\/true/);
  assert.match(out, /execve "\/bin\/sh" argv \["\/bin\/sh","-c","echo hello from busybox"\]/);
  assert.match(out, new RegExp(`mkfifo ${root}/c1/exec\\.fifo`));
  // Nothing was made: no state root, no cgroup directory, the bundle untouched.
  assert.equal(fs.existsSync(root), false);
  assert.deepEqual(cgroupDirs.filter((d) => fs.existsSync(d)), before);
  assert.deepEqual(fs.readdirSync(bundle).sort(), ['config.json', 'rootfs']);
});

test('plan --format json as nobody: MS_* names, not numbers', { skip }, () => {
  const r = asNobody(['plan', '--bundle', bundle, '--format', 'json', 'c1']);
  assert.equal(r.status, 0, r.stderr);
  const d = JSON.parse(r.stdout) as PlanDescription;
  assert.equal(d.id, 'c1');
  assert.equal(d.bundle, bundle);
  assert.equal(d.stateDir, path.join(root, 'c1'));
  assert.equal(d.cgroup.path, '/oci-ts-test/bundle');
  assert.ok(d.cgroup.setup.some((a) => a.action === 'write' && a.path.endsWith('/pids.max') && a.value === '32'));
  assert.ok(d.cgroup.join.every((a) => a.path.endsWith('/cgroup.procs')));
  const sys = d.mounts.find((m) => m.destination === '/sys')!;
  assert.deepEqual(sys.flags, ['MS_RDONLY', 'MS_NOSUID', 'MS_NODEV', 'MS_NOEXEC']);
  assert.deepEqual(d.rlimits, [{ type: 'RLIMIT_NOFILE', soft: '256', hard: '512' }]);
  assert.deepEqual(d.capabilities.bounding, ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE']);
  assert.deepEqual(d.sysctl, { 'net.ipv4.ip_forward': '1' });
  assert.equal(d.steps.at(-2)?.op, 'EXEC');
  assert.equal(d.steps.at(-1)?.phase, 'delete'); // the poststop hook
  for (const m of d.mounts) for (const f of m.flags) assert.match(f, /^MS_[A-Z]+$/);
  assert.equal(fs.existsSync(root), false);
});

test('create --dry-run prints the same plan and creates nothing', { skip }, () => {
  const plan = asNobody(['plan', '--bundle', bundle, 'c1']);
  const dry = asNobody(['create', '--dry-run', '--bundle', bundle, 'c1']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.equal(dry.stdout, plan.stdout);
  assert.equal(fs.existsSync(root), false);
});

test('a config create would refuse: plan fails with the pointer, as create would', { skip }, () => {
  const bad = makeBundle(path.join(dir, 'bad'), (s) => { s.linux.rootfsPropagation = 'sideways'; });
  fs.chmodSync(bad, 0o755);
  const r = asNobody(['plan', '--bundle', bad]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /config\.json \/linux\/rootfsPropagation: must be one of/);
});
