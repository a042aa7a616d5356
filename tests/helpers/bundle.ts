/**
 * Test bundles: a busybox rootfs and a runc-like config.json.
 *
 *   const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-'));
 *   const bundle = makeBundle(dir, (spec) => { spec.process.args = ['/bin/true']; });
 *
 * The rootfs is prepared once per busybox binary under /var/tmp/oci-ts-rootfs-<size> and
 * copied with `cp -a` (a few ms), never hard-linked: a test that writes into its rootfs must
 * not change the cache.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

/** Path of a statically linked busybox (package busybox-static), or null. */
export function findStaticBusybox(): string | null {
  for (const p of [process.env.BUSYBOX, ...BUSYBOX_CANDIDATES]) {
    if (!p || !fs.existsSync(p)) continue;
    if (isStaticElf(fs.realpathSync(p))) return p;
  }
  return null;
}

/** An ELF executable without a PT_INTERP program header (no dynamic loader) is static. */
function isStaticElf(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const h = Buffer.alloc(64);
    if (fs.readSync(fd, h, 0, 64, 0) < 64 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false;
    const phoff = Number(h.readBigUInt64LE(32));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    fs.readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    fs.closeSync(fd);
  }
}

function requireBusybox(): string {
  const bb = findStaticBusybox();
  if (!bb) throw new Error('no static busybox found: install busybox-static (make deps) or set BUSYBOX=');
  return bb;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

/** Builds the rootfs in `dir` from scratch (busybox + one symlink per applet + the usual dirs). */
function buildRootfs(dir: string, busybox: string): void {
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc', 'root', 'run', 'var', 'tmp']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
  }
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.chmodSync(path.join(dir, 'root'), 0o700);
  fs.copyFileSync(busybox, path.join(dir, 'bin/busybox'));
  fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'busybox' && !s.includes('/'));
  for (const a of applets) fs.symlinkSync('busybox', path.join(dir, 'bin', a));
  fs.writeFileSync(path.join(dir, 'etc/passwd'), PASSWD);
  fs.writeFileSync(path.join(dir, 'etc/group'), GROUP);
  fs.writeFileSync(path.join(dir, 'etc/hosts'), '');
  fs.writeFileSync(path.join(dir, 'etc/resolv.conf'), '');
}

/** The cached, prepared rootfs for this busybox (built on first use, atomically). */
export function cachedRootfs(): string {
  const busybox = requireBusybox();
  const size = fs.statSync(busybox).size;
  const cache = process.env.OCI_TS_ROOTFS_CACHE ?? `/var/tmp/oci-ts-rootfs-${size}`;
  if (fs.existsSync(path.join(cache, '.complete'))) return cache;
  const tmp = `${cache}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true, mode: 0o755 });
  buildRootfs(tmp, busybox);
  fs.writeFileSync(path.join(tmp, '.complete'), '');
  try {
    fs.renameSync(tmp, cache);
  } catch (e) {
    // another process won the race (ENOTEMPTY/EEXIST) or a broken cache is in the way
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(cache, '.complete'))) {
      fs.rmSync(cache, { recursive: true, force: true });
      return cachedRootfs();
    }
    void e;
  }
  return cache;
}

/**
 * Creates a busybox rootfs at `dir` (which must not exist or be empty): the static busybox at
 * bin/busybox, a symlink per applet in bin/, proc sys dev tmp(1777) etc root run var,
 * etc/passwd (root, nobody 65534), etc/group (root, nogroup), empty etc/hosts and resolv.conf.
 */
export function makeBusyboxRootfs(dir: string): string {
  const src = cachedRootfs();
  fs.mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  if (fs.existsSync(dir)) fs.rmdirSync(dir); // must be empty; cp -a SRC DIR would nest otherwise
  execFileSync('cp', ['-a', src, dir]);
  fs.rmSync(path.join(dir, '.complete'), { force: true });
  return path.resolve(dir);
}

/** A mutable runtime-spec config (loose typing: tests patch anything). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TestSpec = Record<string, any>;

/** The default spec of lib/spec/default-spec.ts when it exists, else runc 1.1.5's `runc spec`. */
export function baseSpec(): TestSpec {
  try {
    // Loaded at run time so this helper works before (and without) that module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(__dirname, '../../lib/spec/default-spec')) as Record<string, unknown>;
    const d = mod.defaultSpec ?? mod.default;
    const spec = typeof d === 'function' ? (d as (opts: object) => unknown)({}) : d;
    if (spec && typeof spec === 'object') return structuredClone(spec) as TestSpec;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw e;
  }
  return runcDefaultSpec();
}

/** `runc spec` of runc 1.1.5, verbatim apart from terminal=false. */
export function runcDefaultSpec(): TestSpec {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps], ambient: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/**
 * Creates a bundle in `dir`: `dir/rootfs` (busybox) and `dir/config.json` with
 * args ["/bin/sh","-c","echo hello from busybox"], terminal false, an absolute root.path and
 * linux.cgroupsPath "/oci-ts-test/<basename of dir>". `patch` may edit the spec before it is
 * written. Returns the absolute bundle path.
 */
export function makeBundle(dir: string, patch?: (spec: TestSpec) => void): string {
  const bundle = path.resolve(dir);
  fs.mkdirSync(bundle, { recursive: true });
  const rootfs = path.join(bundle, 'rootfs');
  if (!fs.existsSync(path.join(rootfs, 'bin/busybox'))) {
    fs.rmSync(rootfs, { recursive: true, force: true });
    makeBusyboxRootfs(rootfs);
  }
  const spec = baseSpec();
  spec.process ??= {};
  spec.process.args = ['/bin/sh', '-c', 'echo hello from busybox'];
  spec.process.terminal = false;
  spec.root = { ...(spec.root ?? {}), path: rootfs };
  spec.linux ??= {};
  spec.linux.cgroupsPath = `/oci-ts-test/${path.basename(bundle)}`;
  patch?.(spec);
  const text = JSON.stringify(spec, null, 2) + '\n';
  fs.writeFileSync(path.join(bundle, 'config.json'), text);
  recordConfig(bundle, text);
  return bundle;
}

let recorded = 0;

/**
 * Opt-in (off unless OCI_TS_CONFIG_CORPUS=<dir> is set): keep a copy of every config.json that
 * makeBundle writes, as <dir>/<pid>-<n>-<bundle name>/config.json beside a `bundle-path` file
 * naming the original bundle, so that tests/integration/runtime-tools.test.ts can check the
 * configs of a whole test run with the runtime-tools validator (tools/rt-validate/README.md).
 */
function recordConfig(bundle: string, text: string): void {
  const dir = process.env.OCI_TS_CONFIG_CORPUS;
  if (!dir) return;
  const entry = path.join(dir, `${process.pid}-${++recorded}-${path.basename(bundle)}`);
  fs.mkdirSync(entry, { recursive: true });
  fs.writeFileSync(path.join(entry, 'config.json'), text);
  fs.writeFileSync(path.join(entry, 'bundle-path'), bundle + '\n');
}
