/**
 * The container's file system: root.readonly, maskedPaths, readonlyPaths, mounts (the
 * template's and a case's own), linux.devices, the default devices and /dev links, and
 * linux.rootfsPropagation.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestSpec } from '../../helpers/bundle';
import type { Case, PrepareContext } from '../harness';
import { EPERM, EROFS } from '../kernel';
import { fileData, mountAt, statOf, type ProbeReport } from '../probe';

/** Options that set per-mount flags; they show in mountinfo's 4th field, not as fs data. */
const FLAG_OPTIONS = new Set([
  'ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'relatime', 'norelatime', 'strictatime',
  'nostrictatime', 'noatime', 'atime', 'nodiratime', 'diratime', 'sync', 'async', 'dirsync', 'remount', 'mand', 'nomand',
  'bind', 'rbind', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable',
  'silent', 'loud', 'lazytime', 'nolazytime', 'iversion', 'noiversion',
]);

/** The flags a mount option list turns on that mountinfo reports as per-mount options. */
const CHECKED_FLAGS = ['ro', 'nosuid', 'nodev', 'noexec'] as const;

/** Data options the kernel does not print because they are the file system's default. */
const HIDDEN_DEFAULTS: Record<string, string[]> = { tmpfs: ['mode=1777'] };

/** A data option as the kernel prints it back: octal modes without the leading 0, sizes in k. */
function normalizeData(opt: string): string {
  const [k, v] = opt.split('=', 2) as [string, string | undefined];
  if (v === undefined) return opt;
  if (/mode$/.test(k)) return `${k}=${parseInt(v, 8).toString(8)}`;
  const size = /^(\d+)([kmg])$/i.exec(v);
  if (k === 'size' && size) {
    const kib = Number(size[1]) * { k: 1, m: 1024, g: 1024 * 1024 }[size[2]!.toLowerCase() as 'k' | 'm' | 'g'];
    return `size=${kib}k`;
  }
  return opt;
}

/**
 * The mount at m.destination has the config's type, exactly the config's ro/nosuid/nodev/noexec
 * flags, and every data option the file system keeps (devpts' newinstance is implied: left out).
 */
function assertMount(r: ProbeReport, m: { destination: string; type: string; options?: string[] }): void {
  const got = mountAt(r, m.destination);
  const opts = m.options ?? [];
  const where = `${m.destination} (${got.options.join(',')} - ${got.fstype} ${got.superOptions.join(',')})`;
  if (!opts.includes('bind') && !opts.includes('rbind')) assert.equal(got.fstype, m.type, `${where}: type`);
  for (const flag of CHECKED_FLAGS) assert.equal(got.options.includes(flag), opts.includes(flag), `${where}: ${flag}`);
  for (const data of opts.filter((o) => !FLAG_OPTIONS.has(o) && o !== 'newinstance')) {
    if (HIDDEN_DEFAULTS[m.type]?.includes(normalizeData(data))) continue;
    assert.ok(got.superOptions.includes(normalizeData(data)), `${where}: ${data}`);
  }
}

/** A masked path cannot be read: a file reads empty or fails, a directory lists nothing. */
function assertMasked(r: ProbeReport, p: string): void {
  const st = statOf(r, p);
  if (st.type === 'd') {
    assert.ok((st.entries ?? 0) <= 0, `${p}: a masked directory lists ${st.entries} entries`);
    return;
  }
  const read = r.read[p];
  assert.ok(read, `${p} read`);
  assert.ok('errno' in read || read.data === '', `${p}: a masked file reads ${JSON.stringify('data' in read ? read.data.slice(0, 40) : '')}`);
}

const MASKED_IN_ROOTFS = ['/conf-masked-file', '/conf-masked-dir'];
const READONLY_IN_ROOTFS = ['/conf-ro-dir', '/conf-ro-file'];
/** Kernel paths: listed in the config in any case, checked only where the host has them. */
const MASKED_KERNEL = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/acpi', '/sys/firmware'];
const READONLY_KERNEL = ['/proc/sys', '/proc/bus', '/proc/fs', '/proc/irq'];

/** Names of the host's cgroup v1 hierarchies under /sys/fs/cgroup (cpu, memory, systemd, ...). */
function hostCgroupV1(): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => / - cgroup /.test(l))
    .map((l) => path.basename(l.split(' ')[4]!));
}

/** The template's mounts (runc spec) minus cgroup, whose layout is runtime- and host-specific. */
function templateMounts(spec: TestSpec): Array<{ destination: string; type: string; options?: string[] }> {
  return (spec.mounts as Array<{ destination: string; type: string; options?: string[] }>).filter((m) => m.type !== 'cgroup');
}

const DEFAULT_DEVICES: Array<[string, number, number]> = [
  ['/dev/null', 1, 3], ['/dev/zero', 1, 5], ['/dev/full', 1, 7], ['/dev/random', 1, 8], ['/dev/urandom', 1, 9], ['/dev/tty', 5, 0],
];
const DEFAULT_LINKS: Array<[string, string]> = [
  ['/dev/fd', '/proc/self/fd'], ['/dev/stdin', '/proc/self/fd/0'], ['/dev/stdout', '/proc/self/fd/1'], ['/dev/stderr', '/proc/self/fd/2'],
];

/** /dev/tty is left out: without a controlling terminal it cannot be opened (ENXIO). */
const USABLE_DEVICES = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom'];

const CONFIG_DEVICES = [
  { path: '/dev/conf-char', type: 'c', major: 1, minor: 5, fileMode: 0o640, uid: 1000, gid: 1001 },
  { path: '/dev/conf-block', type: 'b', major: 7, minor: 200, fileMode: 0o600, uid: 0, gid: 6 },
  { path: '/dev/conf-fifo', type: 'p', fileMode: 0o620, uid: 5, gid: 5 },
  { path: '/dev/conf/nested', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
];

/**
 * Makes the bundle's rootfs a shared mount on the host (bound onto itself; unmounted after the
 * run): with the host's "/" private, as here, a container's "/" could never be a slave of anything.
 * Returns the peer group id.
 */
function sharedHostRootfs(ctx: PrepareContext): string {
  execFileSync('mount', ['--bind', ctx.rootfs, ctx.rootfs]);
  ctx.defer(() => { execFileSync('umount', ['--lazy', ctx.rootfs]); });
  execFileSync('mount', ['--make-shared', ctx.rootfs]);
  const line = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === ctx.rootfs).pop();
  const group = /\bshared:(\d+)/.exec(line ?? '')?.[1];
  if (!group) throw new Error(`${ctx.rootfs} did not become shared: ${line}`);
  return group;
}

/** The propagation fields (shared:N, master:N) of "/" in the container. */
function rootPropagation(r: ProbeReport): string {
  return mountAt(r, '/').optional.filter((o) => /^(shared|master):/.test(o)).join(' ');
}

export const filesystemCases: Case[] = [
  {
    name: 'root.readonly: / is read-only, the tmpfs mounts on it are not',
    probe: ['--stat', '/', '--mkdir', '/conf-made', '--mkdir', '/dev/shm/conf-made'],
    config: (s) => { s.root.readonly = true; },
    check: (r) => {
      assert.equal(statOf(r, '/').readonly, true, 'statvfs(/) ST_RDONLY');
      assert.equal(r.mkdir['/conf-made'], EROFS, 'mkdir in /');
      assert.equal(r.mkdir['/dev/shm/conf-made'], 0, 'mkdir in /dev/shm');
    },
  },
  {
    name: 'linux.maskedPaths and linux.readonlyPaths',
    probe: [
      ...[...MASKED_KERNEL, ...MASKED_IN_ROOTFS].flatMap((p) => ['--stat', p, '--read', p]),
      ...[...READONLY_KERNEL, ...READONLY_IN_ROOTFS].flatMap((p) => ['--stat', p]),
      '--wopen', '/proc/sys/kernel/hostname', '--wopen', '/conf-ro-file', '--mkdir', '/conf-ro-dir/sub',
      '--read', '/conf-ro-file', '--stat', '/conf-ro-dir/kept',
    ],
    config: (s, { rootfs }) => {
      fs.writeFileSync(path.join(rootfs, 'conf-masked-file'), 'secret\n');
      fs.mkdirSync(path.join(rootfs, 'conf-masked-dir'));
      fs.writeFileSync(path.join(rootfs, 'conf-masked-dir/secret'), 'secret\n');
      fs.mkdirSync(path.join(rootfs, 'conf-ro-dir'));
      fs.writeFileSync(path.join(rootfs, 'conf-ro-dir/kept'), 'kept\n');
      fs.writeFileSync(path.join(rootfs, 'conf-ro-file'), 'visible\n');
      s.linux.maskedPaths = [...MASKED_KERNEL, ...MASKED_IN_ROOTFS];
      s.linux.readonlyPaths = [...READONLY_KERNEL, ...READONLY_IN_ROOTFS];
    },
    check: (r) => {
      for (const p of [...MASKED_KERNEL, ...MASKED_IN_ROOTFS]) {
        if (MASKED_KERNEL.includes(p) && !fs.existsSync(p)) continue; // the host has no such file
        assertMasked(r, p);
      }
      for (const p of [...READONLY_KERNEL, ...READONLY_IN_ROOTFS]) {
        if (READONLY_KERNEL.includes(p) && !fs.existsSync(p)) continue;
        assert.equal(statOf(r, p).readonly, true, `${p} read-only`);
      }
      assert.equal(r.wopen['/proc/sys/kernel/hostname'], EROFS, 'write-open under /proc/sys');
      assert.equal(r.wopen['/conf-ro-file'], EROFS, 'write-open of a read-only file');
      assert.equal(r.mkdir['/conf-ro-dir/sub'], EROFS, 'mkdir in a read-only directory');
      assert.equal(fileData(r, '/conf-ro-file'), 'visible\n', 'a read-only file is still readable');
      assert.equal(statOf(r, '/conf-ro-dir/kept').type, 'f', 'a read-only directory keeps its content');
    },
  },
  {
    name: 'mounts: the template\'s proc, /dev tmpfs, devpts, shm, mqueue, sysfs',
    check: (r, { spec }) => {
      for (const m of templateMounts(spec)) assertMount(r, m);
    },
  },
  {
    name: 'mounts: /sys/fs/cgroup shows each cgroup v1 hierarchy read-only, rooted at the container\'s cgroup',
    check: (r, { spec }) => {
      const hierarchies = hostCgroupV1();
      assert.ok(hierarchies.length > 0, 'this case is for a cgroup v1 or hybrid host');
      for (const name of hierarchies) {
        const m = mountAt(r, `/sys/fs/cgroup/${name}`);
        assert.deepEqual({ fstype: m.fstype, ro: m.options.includes('ro'), root: m.root }, { fstype: 'cgroup', ro: true, root: spec.linux.cgroupsPath }, `/sys/fs/cgroup/${name}`);
      }
    },
  },
  {
    name: 'mounts: tmpfs with flags and data, a read-only nosuid bind of a directory, a bind of a file',
    probe: ['--stat', '/conf/tmp', '--read', '/conf/ro/hello', '--wopen', '/conf/ro/hello', '--read', '/conf/file', '--wopen', '/conf/file'],
    config: (s, { bundle }) => {
      fs.mkdirSync(path.join(bundle, 'hostdir'));
      fs.writeFileSync(path.join(bundle, 'hostdir/hello'), 'hello from the host\n');
      fs.writeFileSync(path.join(bundle, 'hostfile'), 'a bound file\n');
      s.mounts.push(
        { destination: '/conf/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1m', 'mode=1750'] },
        { destination: '/conf/ro', type: 'bind', source: path.join(bundle, 'hostdir'), options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'] },
        { destination: '/conf/file', type: 'bind', source: path.join(bundle, 'hostfile'), options: ['bind'] },
      );
    },
    check: (r, { spec }) => {
      for (const m of spec.mounts.slice(-3)) assertMount(r, m);
      assert.equal(statOf(r, '/conf/tmp').mode, 0o1750, 'tmpfs root mode');
      assert.equal(fileData(r, '/conf/ro/hello'), 'hello from the host\n');
      assert.equal(r.wopen['/conf/ro/hello'], EROFS, 'write-open in the read-only bind');
      assert.equal(fileData(r, '/conf/file'), 'a bound file\n');
      assert.equal(r.wopen['/conf/file'], 0, 'write-open of the read-write file bind');
    },
  },
  {
    name: 'mounts: a destination through an absolute symlink in the rootfs stays inside the rootfs',
    config: (s, { rootfs }) => {
      // /conf-link -> /etc must resolve to <rootfs>/etc, never to the host's /etc
      fs.symlinkSync('/etc', path.join(rootfs, 'conf-link'));
      s.mounts.push({ destination: '/conf-link/conf-sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    },
    check: (r) => {
      assert.ok(!fs.existsSync('/etc/conf-sub'), 'the host\'s /etc/conf-sub was made: the runtime followed the link out of the rootfs');
      assert.equal(mountAt(r, '/etc/conf-sub').fstype, 'tmpfs', 'tmpfs at /etc/conf-sub in the container');
    },
  },
  {
    name: 'default devices and /dev symlinks',
    probe: [
      ...[...DEFAULT_DEVICES.map(([p]) => p), '/dev/ptmx', ...DEFAULT_LINKS.map(([p]) => p)].flatMap((p) => ['--stat', p]),
      ...USABLE_DEVICES.flatMap((p) => ['--wopen', p]),
    ],
    check: (r) => {
      for (const [p, major, minor] of DEFAULT_DEVICES) {
        const st = statOf(r, p);
        assert.deepEqual({ type: st.type, major: st.major, minor: st.minor, mode: st.mode?.toString(8) }, { type: 'c', major, minor, mode: '666' }, p);
      }
      // the template's device cgroup denies everything: the default devices stay usable anyway
      for (const p of USABLE_DEVICES) assert.equal(r.wopen[p], 0, `write-open ${p}`);
      // a symlink to pts/ptmx or a bind mount of it (runtime-spec "Default Devices")
      const ptmx = statOf(r, '/dev/ptmx');
      if (ptmx.type === 'l') assert.match(ptmx.link ?? '', /^(\/dev\/)?pts\/ptmx$/, '/dev/ptmx link');
      else assert.deepEqual([ptmx.type, ptmx.major, ptmx.minor], ['c', 5, 2], '/dev/ptmx device');
      for (const [p, target] of DEFAULT_LINKS) assert.equal(statOf(r, p).link, target, p);
    },
  },
  {
    name: 'linux.devices: mknod with type, numbers, fileMode, uid, gid',
    probe: CONFIG_DEVICES.flatMap((d) => ['--stat', d.path]),
    config: (s) => { s.linux.devices = CONFIG_DEVICES; },
    check: (r) => {
      for (const d of CONFIG_DEVICES) {
        const st = statOf(r, d.path);
        const got = { type: st.type, major: st.major, minor: st.minor, mode: st.mode?.toString(8), uid: st.uid, gid: st.gid };
        const want = { type: d.type, major: d.major ?? 0, minor: d.minor ?? 0, mode: d.fileMode.toString(8), uid: d.uid, gid: d.gid };
        assert.deepEqual(got, want, d.path);
      }
    },
  },
  {
    name: 'linux.resources.devices: a configured device opens only with an allow rule',
    probe: ['--wopen', '/dev/conf-allowed', '--wopen', '/dev/conf-denied'],
    config: (s) => {
      // Not default devices (runtimes allow those on their own): kmsg and fuse. Opening either
      // write-only without writing does nothing; the cgroup check comes before the driver's.
      // (10:200, tun, would not do: runc allows it by default.)
      s.linux.devices = [
        { path: '/dev/conf-allowed', type: 'c', major: 1, minor: 11, fileMode: 0o666, uid: 0, gid: 0 },
        { path: '/dev/conf-denied', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 },
      ];
      s.linux.resources.devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'rw' }];
    },
    check: (r) => {
      assert.equal(r.wopen['/dev/conf-allowed'], 0, 'allowed device');
      assert.equal(r.wopen['/dev/conf-denied'], EPERM, 'denied device');
    },
  },
  {
    name: 'linux.rootfsPropagation slave, rootfs shared on the host: "/" is its slave',
    config: (s, ctx) => {
      s.linux.rootfsPropagation = 'slave';
      // kept in the spec (not read by the runtime) so that the check knows the peer group
      s.annotations = { ...s.annotations, 'conformance.host-peer-group': sharedHostRootfs(ctx) };
    },
    check: (r, { spec }) => {
      assert.equal(rootPropagation(r), `master:${spec.annotations['conformance.host-peer-group']}`, 'optional fields of "/"');
    },
  },
  {
    name: 'linux.rootfsPropagation private, rootfs shared on the host: "/" has no peers',
    config: (s, ctx) => {
      s.linux.rootfsPropagation = 'private';
      sharedHostRootfs(ctx);
    },
    check: (r) => { assert.equal(rootPropagation(r), '', 'optional fields of "/"'); },
  },
  {
    name: 'linux.rootfsPropagation shared: "/" is shared',
    config: (s) => { s.linux.rootfsPropagation = 'shared'; },
    check: (r) => { assert.match(rootPropagation(r), /^shared:\d+$/, 'optional fields of "/"'); },
  },
];
