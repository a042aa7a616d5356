/**
 * `oci-ts doctor`: the pure checks (lib/doctor/checks.ts) against fake hosts, and one real run of
 * the built CLI on this host.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { diagnose, formatDoctorText, parseKernelVersion, tomlSections, type Check, type DoctorHost, type DoctorReport } from '../../lib/doctor';
import { cleanEnv, ociTsBinary, repoRoot } from '../helpers/runtime';

const UNIFIED_MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw',
  '24 22 0:5 / /dev rw,nosuid shared:3 - devtmpfs udev rw,size=100k',
  '25 24 0:23 / /dev/shm rw,nosuid,nodev shared:4 - tmpfs tmpfs rw',
  '26 24 0:24 / /dev/pts rw,nosuid,noexec,relatime shared:5 - devpts devpts rw,gid=5,mode=620,ptmxmode=000',
  '27 22 0:25 / /run rw,nosuid,nodev,noexec,relatime shared:6 - tmpfs tmpfs rw,mode=755',
  '28 22 0:26 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '29 28 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate',
].join('\n') + '\n';

const HYBRID_MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '26 22 0:24 / /dev/pts rw,nosuid,noexec,relatime shared:5 - devpts devpts rw,gid=5,mode=620,ptmxmode=000',
  '30 22 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '31 30 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw',
  '32 30 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd',
  '33 30 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory',
  '34 30 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct',
  '35 30 0:33 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,pids',
  '36 30 0:34 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,devices',
  '37 30 0:35 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,freezer',
  '38 30 0:36 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,cpuset',
  '39 30 0:37 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,blkio',
].join('\n') + '\n';

interface FakeOptions {
  files?: Record<string, string | undefined>;
  dirs?: Record<string, string[]>;
  exists?: string[];
  host?: Partial<DoctorHost>;
}

const NS = ['mnt', 'pid', 'net', 'ipc', 'uts', 'user', 'cgroup', 'time'];

/** A healthy Debian 12-like host on cgroup v2, as root, with nothing registered anywhere. */
function fakeHost(o: FakeOptions = {}): DoctorHost {
  const files: Record<string, string | undefined> = {
    '/proc/self/mountinfo': UNIFIED_MOUNTINFO,
    '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n',
    '/proc/filesystems': 'nodev\tsysfs\nnodev\ttmpfs\nnodev\tcgroup\nnodev\tcgroup2\nnodev\tdevpts\n\text4\nnodev\toverlay\n',
    '/proc/self/status': 'Name:\tnode\nSeccomp:\t0\nSeccomp_filters:\t0\n',
    '/proc/sys/user/max_user_namespaces': '63353\n',
    ...o.files,
  };
  const dirs: Record<string, string[]> = {
    '/lib/x86_64-linux-gnu': ['libc.so.6', 'libseccomp.so.2', 'libseccomp.so.2.5.4'],
    '/sys/fs/cgroup': ['init.scope', 'system.slice'],
    ...o.dirs,
  };
  const exists = new Set([
    ...NS.map((n) => `/proc/self/ns/${n}`), '/dev/ptmx', '/sys/fs/cgroup/system.slice/cgroup.freeze', ...(o.exists ?? []),
  ]);
  for (const [p, v] of Object.entries(files)) if (v === undefined) exists.delete(p);
  return {
    readFile: (p) => files[p],
    exists: (p) => exists.has(p) || files[p] !== undefined || p in dirs,
    readdir: (p) => dirs[p],
    kernelRelease: '6.1.0-18-amd64',
    arch: 'x64',
    uid: 0,
    pathEnv: '/usr/local/bin:/usr/bin:/bin',
    home: '/root',
    shim: '/opt/oci-ts/build/oci-ts-shim',
    nodeVersion: 'v20.11.1',
    features: { seccomp: true, apparmor: false, selinux: false, idmap: false },
    stateRoot: '/run/oci-ts',
    basicNamespaces: ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'],
    ...o.host,
  };
}

function check(r: DoctorReport, id: string): Check {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id}: ${r.checks.map((x) => x.id).join(' ')}`);
  return c;
}

test('a healthy cgroup v2 host: a basic container can run', () => {
  const r = diagnose(fakeHost());
  assert.equal(r.ok, true, formatDoctorText(r));
  for (const id of ['privileges', 'kernel', 'shim', 'shim-exec', 'state-root', 'node', 'cgroups', 'controllers', 'namespaces', 'userns', 'timens', 'overlay', 'seccomp', 'console']) {
    assert.equal(check(r, id).status, 'ok', `${id}: ${check(r, id).detail}`);
  }
  assert.match(check(r, 'cgroups').detail, /unified \(cgroup v2 only\) at \/sys\/fs\/cgroup/);
  assert.match(check(r, 'controllers').detail, /cpuset cpu io memory hugetlb pids/);
  assert.match(check(r, 'seccomp').detail, /libseccomp \/lib\/x86_64-linux-gnu\/libseccomp\.so\.2/);
  assert.equal(check(r, 'docker').status, 'info');
  assert.equal(check(r, 'docker').detail, 'not installed');
  // Every non-ok check explains itself.
  for (const c of r.checks.filter((x) => x.status === 'warn' || x.status === 'fail')) {
    assert.ok(c.reason && c.fix, `${c.id} lacks a reason or a fix`);
  }
});

test('kernel versions: openat2 needs 5.6; newer features are noted', () => {
  assert.deepEqual(parseKernelVersion('6.1.0-18-amd64'), [6, 1, 0]);
  assert.deepEqual(parseKernelVersion('5.10.209'), [5, 10, 209]);
  assert.equal(parseKernelVersion('weird'), undefined);
  const old = diagnose(fakeHost({ host: { kernelRelease: '4.19.0-25-amd64' } }));
  assert.equal(old.ok, false);
  const k = check(old, 'kernel');
  assert.equal(k.status, 'fail');
  assert.match(k.reason!, /openat2/);
  assert.match(k.fix!, /5\.6/);
  assert.match(formatDoctorText(old), /cannot run on this host: kernel/);
  const mid = diagnose(fakeHost({ host: { kernelRelease: '5.10.0' } }));
  assert.equal(mid.ok, true);
  assert.match(check(mid, 'kernel').reason!, /idmapped mounts need 5\.12/);
});

test('not root: create cannot run (plan and doctor can)', () => {
  const r = diagnose(fakeHost({ host: { uid: 1000 } }));
  assert.equal(r.ok, false);
  assert.equal(check(r, 'privileges').status, 'fail');
  assert.match(check(r, 'privileges').fix!, /root/);
});

test('cgroups: none mounted, read-only, hybrid with controllers on v2, missing controllers', () => {
  const none = diagnose(fakeHost({ files: { '/proc/self/mountinfo': UNIFIED_MOUNTINFO.split('\n').filter((l) => !l.includes('cgroup2')).join('\n') } }));
  assert.equal(none.ok, false);
  assert.equal(check(none, 'cgroups').status, 'fail');
  assert.match(check(none, 'cgroups').fix!, /mount -t cgroup2/);

  const ro = diagnose(fakeHost({ files: { '/proc/self/mountinfo': UNIFIED_MOUNTINFO.replace('/sys/fs/cgroup rw,', '/sys/fs/cgroup ro,') } }));
  assert.equal(ro.ok, false);
  assert.match(check(ro, 'cgroups').detail, /read-only/);

  const hybrid = diagnose(fakeHost({ files: { '/proc/self/mountinfo': HYBRID_MOUNTINFO, '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n' } }));
  assert.equal(hybrid.ok, true, formatDoctorText(hybrid));
  const c = check(hybrid, 'cgroups');
  assert.equal(c.status, 'ok');
  assert.match(c.detail, /^hybrid: 8 v1 hierarchies under \/sys\/fs\/cgroup, cgroup2 at \/sys\/fs\/cgroup\/unified$/);
  const ctl = check(hybrid, 'controllers');
  assert.equal(ctl.status, 'ok', ctl.detail);
  assert.match(ctl.detail, /on cgroup2 \(\/sys\/fs\/cgroup\/unified\): hugetlb/);
  assert.equal(hybrid.checks.some((x) => x.id === 'devices'), false); // v1 enforces device rules

  const v1 = diagnose(fakeHost({ files: { '/proc/self/mountinfo': HYBRID_MOUNTINFO.split('\n').filter((l) => !/cgroup2|pids|freezer/.test(l)).join('\n') } }));
  assert.equal(check(v1, 'cgroups').detail.startsWith('v1: '), true);
  const missing = check(v1, 'controllers');
  assert.equal(missing.status, 'warn');
  assert.deepEqual((missing.data as { missing: string[] }).missing, ['pids', 'freezer', 'hugetlb']);
  assert.match(missing.reason!, /linux\.resources\.pids/);

  const fewV2 = diagnose(fakeHost({ files: { '/sys/fs/cgroup/cgroup.controllers': 'cpu memory pids\n' } }));
  assert.equal(check(fewV2, 'controllers').status, 'warn');
  assert.match(check(fewV2, 'controllers').reason!, /linux\.resources\.blockIO \(io\)/);
  assert.equal(check(fewV2, 'devices').status, 'warn'); // v2: device rules not enforced
});

test('namespaces: a missing basic one fails; user namespaces disabled; no time namespace', () => {
  const noPid = fakeHost();
  const exists = noPid.exists;
  const r = diagnose({ ...noPid, exists: (p) => p !== '/proc/self/ns/pid' && exists(p) });
  assert.equal(r.ok, false);
  assert.equal(check(r, 'namespaces').status, 'fail');
  assert.match(check(r, 'namespaces').reason!, /pid is not available/);

  const noUserns = diagnose(fakeHost({ files: { '/proc/sys/user/max_user_namespaces': '0\n' } }));
  assert.equal(noUserns.ok, true);
  assert.equal(check(noUserns, 'userns').status, 'warn');
  assert.match(check(noUserns, 'userns').fix!, /user\.max_user_namespaces/);

  const noTime = fakeHost({ host: { kernelRelease: '5.4.0' } });
  const e2 = noTime.exists;
  const t = diagnose({ ...noTime, exists: (p) => p !== '/proc/self/ns/time' && e2(p) });
  assert.equal(check(t, 'timens').status, 'warn');
  assert.match(check(t, 'timens').fix!, /5\.6/);
});

test('idmapped mounts, overlay, seccomp, AppArmor, SELinux, console', () => {
  const r = diagnose(fakeHost({
    host: { features: { seccomp: true, apparmor: false, selinux: false, idmap: true } },
    files: {
      '/proc/filesystems': 'nodev\tdevpts\n\text4\n',
      '/sys/module/apparmor/parameters/enabled': 'Y\n',
      '/sys/fs/selinux/enforce': '1',
      '/proc/self/status': 'Name:\tnode\nSeccomp:\t2\n',
    },
    dirs: { '/lib/x86_64-linux-gnu': ['libc.so.6'], [`/lib/modules/6.1.0-18-amd64/kernel/fs/overlayfs`]: ['overlay.ko'] },
  }));
  assert.equal(check(r, 'idmap').status, 'ok');
  assert.match(check(r, 'overlay').detail, /module/);
  assert.equal(check(r, 'seccomp').status, 'warn');
  assert.match(check(r, 'seccomp').fix!, /libseccomp2/);
  assert.equal(check(r, 'apparmor').status, 'warn');
  assert.equal(check(r, 'selinux').status, 'warn');
  assert.equal(r.ok, true); // none of these stop a basic container

  const noOverlay = diagnose(fakeHost({ files: { '/proc/filesystems': 'nodev\tdevpts\n' } }));
  assert.equal(check(noOverlay, 'overlay').status, 'warn');
  assert.match(check(noOverlay, 'overlay').fix!, /modprobe overlay/);

  const noSeccompBuild = diagnose(fakeHost({ host: { features: { seccomp: false, apparmor: false, selinux: false, idmap: false } } }));
  assert.equal(check(noSeccompBuild, 'seccomp').status, 'warn');
  assert.equal(check(noSeccompBuild, 'idmap').status, 'info');

  const noDevpts = diagnose(fakeHost({ files: { '/proc/filesystems': '\text4\n' } }));
  assert.equal(noDevpts.ok, false);
  assert.equal(check(noDevpts, 'console').status, 'fail');
});

test('the shim and where its sealed copy can be made', () => {
  const noShim = diagnose(fakeHost({ host: { shim: undefined } }));
  assert.equal(noShim.ok, false);
  assert.match(check(noShim, 'shim').fix!, /make build/);
  const noexec = UNIFIED_MOUNTINFO.replace('/dev/shm rw,nosuid,nodev', '/dev/shm rw,nosuid,nodev,noexec').replace('/ / rw,relatime', '/ / rw,noexec,relatime');
  const r = diagnose(fakeHost({ files: { '/proc/self/mountinfo': noexec } }));
  assert.equal(check(r, 'shim-exec').status, 'fail');
  assert.equal(r.ok, false);
  const sea = diagnose(fakeHost({ host: { nodeVersion: undefined, shim: 'embedded in the single executable' } }));
  assert.equal(sea.checks.some((c) => c.id === 'node'), false);
  assert.equal(sea.ok, true);
});

test('engines: Docker daemon.json, containerd config.toml, Podman containers.conf', () => {
  const files = {
    '/etc/docker/daemon.json': JSON.stringify({ runtimes: { 'oci-ts': { path: '/usr/local/bin/oci-ts' } }, 'default-runtime': 'oci-ts' }),
    '/etc/containerd/config.toml': [
      'version = 2',
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ocits]',
      '  runtime_type = "io.containerd.runc.v2"',
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ocits.options]',
      '  BinaryName = "/usr/local/bin/oci-ts"',
    ].join('\n'),
    '/etc/containers/containers.conf': [
      '[engine]',
      'runtime = "oci-ts"  # the default',
      '[engine.runtimes]',
      'runc = ["/usr/bin/runc"]',
      'oci-ts = [',
      '  "/usr/local/bin/oci-ts",',
      '  "/opt/oci-ts/bin/oci-ts",',
      ']',
    ].join('\n'),
  };
  const exists = ['/usr/bin/dockerd', '/usr/bin/containerd', '/usr/bin/podman', '/usr/local/bin/oci-ts'];
  const r = diagnose(fakeHost({ files, exists }));
  assert.equal(check(r, 'docker').status, 'ok', check(r, 'docker').detail);
  assert.match(check(r, 'docker').detail, /oci-ts = \/usr\/local\/bin\/oci-ts .*\(default runtime\)/);
  assert.equal(check(r, 'containerd').status, 'ok', check(r, 'containerd').detail);
  assert.match(check(r, 'podman').detail, /registered: oci-ts = \/usr\/local\/bin\/oci-ts/);
  // The second Podman path does not exist: a warning that names it.
  assert.equal(check(r, 'podman').status, 'warn');
  assert.match(check(r, 'podman').reason!, /\/opt\/oci-ts\/bin\/oci-ts does not exist/);

  const unregistered = diagnose(fakeHost({ exists: ['/usr/bin/dockerd', '/usr/bin/podman'], files: { '/etc/docker/daemon.json': '{"runtimes": {"runsc": {"path": "/usr/bin/runsc"}}}' } }));
  assert.equal(check(unregistered, 'docker').status, 'warn');
  assert.match(check(unregistered, 'docker').fix!, /daemon\.json/);
  assert.equal(check(unregistered, 'podman').status, 'warn');
  assert.match(check(unregistered, 'podman').fix!, /--runtime/);
  assert.equal(check(unregistered, 'containerd').detail, 'not installed');

  const broken = diagnose(fakeHost({ exists: ['/usr/bin/dockerd'], files: { '/etc/docker/daemon.json': '{"runtimes": ' } }));
  assert.equal(check(broken, 'docker').status, 'warn');
  assert.match(check(broken, 'docker').detail, /invalid JSON/);
});

test('tomlSections reads the containers.conf subset (sections, comments, multi-line arrays)', () => {
  const t = tomlSections('top = 1\n[engine]\n# comment\nruntime = "crun" # trailing\n[ engine.runtimes ]\ncrun = [\n "/usr/bin/crun", # one\n "/bin/crun",\n]\n"my rt" = ["/x"]\n');
  assert.equal(t.get('')?.get('top'), '1');
  assert.equal(t.get('engine')?.get('runtime'), '"crun"');
  assert.equal(t.get('engine.runtimes')?.get('crun'), '[ "/usr/bin/crun", "/bin/crun", ]');
  assert.equal(t.get('engine.runtimes')?.get('my rt'), '["/x"]');
});

test('real run on this host: `oci-ts doctor` prints text and JSON, exit status follows the verdict', { skip: fs.existsSync(ociTsBinary) ? false : `${ociTsBinary} is missing: run make build` }, () => {
  const run = (args: string[]) => spawnSync(ociTsBinary, ['--root', path.join(os.tmpdir(), 'oci-ts-doctor-test'), 'doctor', ...args], { encoding: 'utf8', env: cleanEnv(), cwd: repoRoot, timeout: 30_000 });
  const j = run(['--format', 'json']);
  assert.equal(j.stderr, '');
  const report = JSON.parse(j.stdout) as DoctorReport;
  assert.equal(j.status, report.ok ? 0 : 1);
  assert.equal(report.host.kernel, os.release());
  assert.equal(report.host.uid, process.getuid?.());
  for (const id of ['privileges', 'kernel', 'shim', 'cgroups', 'controllers', 'namespaces', 'userns', 'timens', 'idmap', 'overlay', 'seccomp', 'apparmor', 'selinux', 'console', 'docker', 'containerd', 'podman']) {
    assert.ok(report.checks.some((c) => c.id === id), `no ${id} check`);
  }
  for (const c of report.checks) {
    assert.ok(['ok', 'warn', 'fail', 'info'].includes(c.status));
    assert.ok(c.detail.length > 0);
    if (c.status === 'fail') assert.ok(c.reason && c.fix, `${c.id}: a failure needs a reason and a fix`);
  }
  // The single executable carries the shim; as root on a supported kernel this host can run containers.
  assert.equal(report.checks.find((c) => c.id === 'shim')?.status, 'ok');
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const expectOk = process.getuid?.() === 0 && (parseKernelVersion(os.release())?.[0] ?? 0) >= 6 && / - cgroup2? /.test(mounts);
  if (expectOk) assert.equal(report.ok, true, formatDoctorText(report));

  const t = run([]);
  assert.equal(t.status, j.status);
  assert.match(t.stdout, /^oci-ts doctor: Linux /);
  assert.match(t.stdout, /\n(A basic container can run on this host\.|A basic container cannot run on this host: .*)\n$/);
});

test('real run on this host: doctor\'s kernel, cgroup mode and seccomp answers match /proc and /sys', { skip: fs.existsSync(ociTsBinary) ? false : `${ociTsBinary} is missing: run make build` }, () => {
  const r = spawnSync(ociTsBinary, ['--root', path.join(os.tmpdir(), 'oci-ts-doctor-test'), 'doctor', '--format', 'json'], { encoding: 'utf8', env: cleanEnv(), cwd: repoRoot, timeout: 30_000 });
  const report = JSON.parse(r.stdout) as DoctorReport;
  const data = (id: string): Record<string, unknown> => {
    const c = report.checks.find((x) => x.id === id);
    assert.ok(c?.data, `no ${id} check with data`);
    return c.data;
  };

  // Kernel release: /proc/sys/kernel/osrelease (what uname(2) reports).
  const osrelease = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  assert.equal(report.host.kernel, osrelease);
  assert.equal(data('kernel').release, osrelease);
  assert.deepEqual(data('kernel').version, parseKernelVersion(osrelease));

  // Cgroup mode: from the cgroup and cgroup2 mounts of /proc/self/mountinfo (the doctor is our
  // child, in the same mount namespace).
  const cgroupMounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / - cgroup2? /.test(l)).map((l) => {
    const f = l.split(' ');
    return { mountpoint: f[4]!, fstype: f[f.indexOf('-') + 1]! };
  });
  const v1 = cgroupMounts.filter((m) => m.fstype === 'cgroup');
  const v2 = cgroupMounts.filter((m) => m.fstype === 'cgroup2');
  const mode = v1.length === 0 ? (v2.length > 0 ? 'unified' : undefined) : v2.length > 0 ? 'hybrid' : 'v1';
  const cg = data('cgroups');
  if (mode === undefined) {
    assert.equal(report.checks.find((c) => c.id === 'cgroups')?.status, 'fail');
  } else {
    assert.equal(cg.mode, mode);
    const hier = cg.hierarchies as Array<{ kind: string; mountpoint: string }>;
    assert.deepEqual(hier.filter((h) => h.kind === 'v2').map((h) => h.mountpoint).sort(), [...new Set(v2.map((m) => m.mountpoint))].sort());
    assert.deepEqual(hier.filter((h) => h.kind === 'v1').map((h) => h.mountpoint).sort(), [...new Set(v1.map((m) => m.mountpoint))].sort());
  }

  // Seccomp: the kernel has it when /proc/self/status has a Seccomp: line; the doctor's own mode
  // is ours (a child inherits the seccomp mode and filters).
  const seccompLine = /^Seccomp:\s*(\d+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  const sc = data('seccomp');
  assert.equal(sc.kernel, seccompLine !== null);
  if (seccompLine !== null) assert.equal(sc.mode, seccompLine[1]);
});
