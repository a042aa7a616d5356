import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { before, describe, it } from 'node:test';
import { OciError } from '../../lib/errors';
import { defaultSpec } from '../../lib/spec/default-spec';
import { validateConfig, validateFeatures, validateProcess, validateState } from '../../lib/spec/validate';
import { ensureValidatorBuilt, VALIDATORS } from '../helpers/validators';

before(ensureValidatorBuilt);

/** A JSON-safe deep copy, typed loosely so that tests can break any field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke arbitrary, deliberately wrong fields
type Loose = any;
function clone(v: unknown): Loose {
  return JSON.parse(JSON.stringify(v));
}

function configMessage(raw: unknown): string {
  try {
    validateConfig(raw);
  } catch (err) {
    assert.ok(err instanceof OciError, `expected an OciError, got ${String(err)}`);
    assert.equal(err.kind, 'config');
    return err.message;
  }
  assert.fail('expected validateConfig to throw');
}

function broken(mutate: (s: Loose) => void): string {
  const s = clone(defaultSpec({ rootless: false }));
  mutate(s);
  return configMessage(s);
}

/** Close to what dockerd (moby 27, runtime-spec 1.2) writes for `docker run -it --rm busybox sh`. */
const DOCKER_CONFIG = {
  ociVersion: '1.2.0',
  process: {
    terminal: true,
    consoleSize: { height: 50, width: 200 },
    user: { uid: 0, gid: 0, additionalGids: [0, 10] },
    args: ['sh'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=4f1b2c3d4e5f', 'TERM=xterm'],
    cwd: '/',
    capabilities: {
      bounding: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
        'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'],
      effective: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_KILL', 'CAP_AUDIT_WRITE'],
      permitted: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_KILL', 'CAP_AUDIT_WRITE'],
    },
    apparmorProfile: 'docker-default',
    oomScoreAdj: 0,
  },
  root: { path: '/var/lib/docker/overlay2/0a1b2c/merged' },
  hostname: '4f1b2c3d4e5f',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: '/var/lib/docker/containers/4f1b/resolv.conf', options: ['rbind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: '/var/lib/docker/containers/4f1b/hostname', options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: '/var/lib/docker/containers/4f1b/hosts', options: ['rbind', 'rprivate'] },
  ],
  hooks: {
    createRuntime: [{ path: '/usr/bin/dockerd', args: ['libnetwork-setkey', '-exec-root=/var/run/docker', '4f1b', 'c0ffee'] }],
  },
  linux: {
    sysctl: { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' },
    resources: {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
        { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' },
        { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
      ],
      memory: { disableOOMKiller: false },
      cpu: { shares: 0 },
      pids: { limit: 0 },
      blockIO: { weight: 0 },
    },
    cgroupsPath: 'system.slice:docker:4f1b2c3d4e5f',
    namespaces: [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }, { type: 'cgroup' }],
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['accept', 'accept4', 'read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    },
    maskedPaths: ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
      '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'],
    readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    rootfsPropagation: 'rslave',
  },
};

/** Close to what podman 5 writes for `podman run --rm -it fedora bash` (rootful, netavark). */
const PODMAN_CONFIG = {
  ociVersion: '1.0.2-dev',
  process: {
    terminal: true,
    user: { uid: 0, gid: 0, umask: 18, additionalGids: [0] },
    args: ['bash'],
    env: ['PATH=/usr/local/bin:/usr/bin', 'container=podman', 'TERM=xterm', 'HOME=/root', 'HOSTNAME=c0ffee'],
    cwd: '/',
    capabilities: {
      bounding: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
        'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'],
      effective: ['CAP_CHOWN', 'CAP_KILL'],
      permitted: ['CAP_CHOWN', 'CAP_KILL'],
    },
    rlimits: [
      { type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 },
      { type: 'RLIMIT_NPROC', hard: 4194304, soft: 4194304 },
    ],
    oomScoreAdj: 0,
    selinuxLabel: 'system_u:system_r:container_t:s0:c123,c456',
  },
  root: { path: '/var/lib/containers/storage/overlay/5e6f/merged' },
  hostname: 'c0ffee',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nodev', 'noexec', 'nosuid'] },
    { destination: '/run/.containerenv', type: 'bind', source: '/run/containers/storage/overlay-containers/c0ffee/userdata/.containerenv', options: ['bind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: '/run/containers/storage/overlay-containers/c0ffee/userdata/hosts', options: ['bind', 'rprivate'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ],
  annotations: {
    'io.container.manager': 'libpod',
    'io.podman.annotations.autoremove': 'TRUE',
    'org.opencontainers.image.stopSignal': '15',
    'org.systemd.property.KillSignal': '15',
  },
  linux: {
    sysctl: { 'net.ipv4.ping_group_range': '0 0' },
    resources: { pids: { limit: 2048 } },
    cgroupsPath: 'machine.slice:libpod:c0ffee',
    namespaces: [
      { type: 'pid' },
      { type: 'network', path: '/run/netns/netns-1a2b3c4d' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'mount' },
      { type: 'cgroup' },
    ],
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['bdflush', 'io_pgetevents', 'kexec_file_load'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['read', 'write', 'openat'], action: 'SCMP_ACT_ALLOW' },
      ],
    },
    maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block'],
    readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    mountLabel: 'system_u:object_r:container_file_t:s0:c123,c456',
  },
};

describe('validateConfig: accepted documents', () => {
  it('accepts the default spec and its rootless variant', () => {
    assert.doesNotThrow(() => validateConfig(clone(defaultSpec({ rootless: false }))));
    assert.doesNotThrow(() => validateConfig(clone(defaultSpec({ rootless: true, hostUid: 1000, hostGid: 1000 }))));
  });

  it('accepts a Docker-like config', () => {
    const spec = validateConfig(clone(DOCKER_CONFIG));
    assert.equal(spec.hostname, '4f1b2c3d4e5f');
  });

  it('accepts a Podman-like config (namespace joined by path, selinux labels, annotations)', () => {
    const spec = validateConfig(clone(PODMAN_CONFIG));
    assert.equal(spec.linux?.namespaces?.[1]?.path, '/run/netns/netns-1a2b3c4d');
  });

  for (const version of ['1.0.0', '1.0.2-dev', '1.1.0', '1.1.0-rc.3', '1.2.1', '1.3.0', '1.3.0+dev', '1.3.7']) {
    it(`accepts ociVersion ${version}`, () => {
      const s = clone(defaultSpec({ rootless: false }));
      s.ociVersion = version;
      assert.equal(validateConfig(s).ociVersion, version);
    });
  }

  it('ignores unknown properties everywhere and returns them untouched', () => {
    const s = clone(DOCKER_CONFIG);
    s.futureTopLevel = { anything: [1, 2, 3] };
    s.process.futureProcessField = true;
    s.process.user.futureUserField = 'x';
    s.mounts[0].futureMountField = 7;
    s.linux.futureLinuxField = null;
    s.linux.resources.futureController = { weight: 'heavy' };
    s.linux.seccomp.syscalls[0].futureSyscallField = 1;
    s.linux.namespaces[0].futureNsField = 'y';
    s.windows = { layerFolders: ['C:\\layers'] };
    const spec = validateConfig(s);
    assert.deepEqual(spec.futureTopLevel, { anything: [1, 2, 3] });
    assert.equal(spec.process?.futureProcessField, true);
  });

  it('treats null properties as absent, like runc\'s Go decoder, and removes them', () => {
    const s = clone(defaultSpec({ rootless: false }));
    s.hooks = null;
    s.annotations = null;
    s.process.rlimits = null;
    s.process.capabilities.ambient = null;
    s.linux.seccomp = null;
    s.linux.resources.devices.push({ allow: true, type: 'c', major: 136, minor: null, access: 'rw' });
    const spec = validateConfig(s);
    assert.equal('hooks' in spec, false);
    assert.equal('rlimits' in spec.process!, false);
    assert.deepEqual(spec.linux?.resources?.devices?.[1], { allow: true, type: 'c', major: 136, access: 'rw' });
    assert.equal(broken((t) => (t.mounts[0] = null)), 'config.json /mounts/0: must be an object');
    assert.equal(broken((t) => (t.ociVersion = null)), 'config.json /ociVersion: is required');
  });

  it('accepts the 1.1 to 1.3 additions (scheduler, ioPriority, execCPUAffinity, netDevices, memoryPolicy, intelRdt, time)', () => {
    const s = clone(defaultSpec({ rootless: false }));
    s.domainname = 'example.org';
    s.process.scheduler = { policy: 'SCHED_BATCH', nice: 5, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
    s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 4 };
    s.process.execCPUAffinity = { initial: '0', final: '0-3,7' };
    s.linux.namespaces.push({ type: 'time' });
    s.linux.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: -10 } };
    s.linux.netDevices = { eth1: { name: 'net0' }, ens5: {} };
    s.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0-1', flags: ['MPOL_F_STATIC_NODES'] };
    s.linux.intelRdt = { closID: 'guaranteed', schemata: ['L3:0=ff', 'MB:0=50'], enableMonitoring: true };
    s.linux.personality = { domain: 'LINUX32', flags: [] };
    s.linux.resources.unified = { 'memory.high': '1G' };
    s.linux.resources.cpu = { shares: 1024, quota: -1, burst: 0, period: 100000, idle: 1 };
    s.linux.resources.memory = { limit: 536870912, swap: -1, swappiness: 60, checkBeforeUpdate: true };
    s.linux.resources.rdma = { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } };
    s.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }];
    s.mounts.push({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'idmap'],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] });
    s.hooks = { poststop: [{ path: '/usr/libexec/cleanup', timeout: 5 }] };
    assert.doesNotThrow(() => validateConfig(s));
  });
});

describe('validateConfig: error messages name the file, the pointer and the reason', () => {
  it('type errors say which type', () => {
    assert.equal(broken((s) => (s.ociVersion = 5)), 'config.json /ociVersion: must be a string');
    assert.equal(broken((s) => (s.process.args = 'sh')), 'config.json /process/args: must be an array');
    assert.equal(broken((s) => (s.process.terminal = 'yes')), 'config.json /process/terminal: must be a boolean');
    assert.equal(broken((s) => (s.linux = [])), 'config.json /linux: must be an object');
    assert.equal(broken((s) => (s.linux.resources.devices[0].major = '1')),
      'config.json /linux/resources/devices/0/major: must be an integer or null');
  });

  it('a document that is not an object names the root', () => {
    assert.equal(configMessage(null), 'config.json /: must be an object');
    assert.equal(configMessage(['x']), 'config.json /: must be an object');
  });

  it('missing required properties are named by their own pointer', () => {
    assert.equal(broken((s) => delete s.ociVersion), 'config.json /ociVersion: is required');
    assert.equal(broken((s) => delete s.process.cwd), 'config.json /process/cwd: is required');
    assert.equal(broken((s) => delete s.root.path), 'config.json /root/path: is required');
    assert.equal(broken((s) => (s.mounts[2] = { type: 'tmpfs' })), 'config.json /mounts/2/destination: is required');
    assert.equal(broken((s) => (s.process.rlimits[0] = { type: 'RLIMIT_NOFILE', soft: 1 })),
      'config.json /process/rlimits/0/hard: is required');
  });

  it('enums list their values', () => {
    assert.equal(broken((s) => (s.linux.namespaces[0].type = 'net')),
      'config.json /linux/namespaces/0/type: must be one of pid, network, mount, ipc, uts, user, cgroup, time');
    assert.equal(broken((s) => (s.process.ioPriority = { class: 'IOPRIO_CLASS_NONE' })),
      'config.json /process/ioPriority/class: must be one of IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE');
    assert.match(broken((s) => (s.linux.rootfsPropagation = 'recursive')),
      /^config\.json \/linux\/rootfsPropagation: must be one of private, shared, slave, unbindable, rprivate/);
  });

  it('ranges and patterns use the schema\'s own wording', () => {
    assert.equal(broken((s) => (s.process.user.uid = -1)),
      'config.json /process/user/uid: must be an integer between 0 and 4294967295');
    assert.equal(broken((s) => (s.process.oomScoreAdj = 1001)),
      'config.json /process/oomScoreAdj: must be an integer between -1000 and 1000');
    assert.equal(broken((s) => s.process.capabilities.bounding.push('cap_kill')),
      'config.json /process/capabilities/bounding/3: must be a capability name such as CAP_KILL');
    assert.equal(broken((s) => (s.process.execCPUAffinity = { initial: 'all' })),
      'config.json /process/execCPUAffinity/initial: must be a CPU list such as 0-3,7');
    assert.equal(broken((s) => (s.hooks = { prestart: [{ path: '/bin/true', timeout: 0 }] })),
      'config.json /hooks/prestart/0/timeout: must be a positive integer');
    assert.equal(broken((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] })),
      'config.json /linux/seccomp/syscalls/0/names: must be a non-empty array');
  });

  it('escapes map keys in the pointer', () => {
    assert.equal(broken((s) => (s.linux.sysctl = { 'net/ipv4/ip_forward': 1 })),
      'config.json /linux/sysctl/net~1ipv4~1ip_forward: must be a string');
  });

  it('reports semantic problems after the schema passes', () => {
    assert.equal(broken((s) => (s.process.args = [])), 'config.json /process/args: must be a non-empty array');
    assert.equal(broken((s) => (s.mounts[1].destination = 'dev')), 'config.json /mounts/1/destination: must be an absolute path');
  });

  it('uses the file name it is given and sets kind and pointer', () => {
    const s = clone(defaultSpec({ rootless: false }));
    s.process.cwd = 'tmp';
    try {
      validateConfig(s, '/bundles/b1/config.json');
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof OciError);
      assert.equal(err.message, '/bundles/b1/config.json /process/cwd: must be an absolute path');
      assert.equal(err.pointer, '/process/cwd');
      assert.equal(err.exitCode, 1);
    }
  });
});

describe('validateConfig: ociVersion range', () => {
  const versionMessage = (v: unknown): string => broken((s) => (s.ociVersion = v));

  it('refuses a future major version', () => {
    assert.equal(versionMessage('2.0.0'), 'config.json /ociVersion: unsupported version 2.0.0: this runtime supports 1.0.0 through 1.3.x');
  });

  it('refuses a future minor version', () => {
    assert.match(versionMessage('1.4.0'), /^config\.json \/ociVersion: unsupported version 1\.4\.0/);
  });

  it('refuses 0.x and things that are not SemVer', () => {
    assert.equal(versionMessage('0.9'), 'config.json /ociVersion: must be a semantic version such as 1.3.0');
    assert.match(versionMessage('0.9.0'), /unsupported version 0\.9\.0/);
    assert.equal(versionMessage(''), 'config.json /ociVersion: must be a semantic version such as 1.3.0');
    assert.equal(versionMessage('v1.0.0'), 'config.json /ociVersion: must be a semantic version such as 1.3.0');
  });
});

describe('validateProcess (exec --process)', () => {
  const good = { cwd: '/work', user: { uid: 1000, gid: 1000 }, args: ['ls', '-l'], env: ['A=1'], futureField: { x: 1 } };

  it('accepts a process object and returns it', () => {
    assert.deepEqual(validateProcess(clone(good), 'process.json'), good);
  });

  it('names pointers relative to the process file', () => {
    const msg = (mutate: (p: Loose) => void): string => {
      const p = clone(good);
      mutate(p);
      try {
        validateProcess(p, '/tmp/p.json');
      } catch (err) {
        assert.ok(err instanceof OciError);
        return err.message;
      }
      return 'no error';
    };
    assert.equal(msg((p) => (p.args = [])), '/tmp/p.json /args: must be a non-empty array');
    assert.equal(msg((p) => delete p.user), '/tmp/p.json /user: is required');
    assert.equal(msg((p) => (p.cwd = 'rel')), '/tmp/p.json /cwd: must be an absolute path');
    assert.equal(msg((p) => (p.user.gid = 'root')), '/tmp/p.json /user/gid: must be an integer');
    assert.equal(msg(() => undefined), 'no error');
  });
});

describe('validateState and validateFeatures', () => {
  it('accepts a runc-style state and refuses an unknown status', () => {
    const state = { ociVersion: '1.3.0', id: 'c1', status: 'running', pid: 42, bundle: '/b', rootfs: '/b/rootfs',
      created: '2025-01-01T00:00:00Z', owner: '', annotations: {} };
    assert.doesNotThrow(() => validateState(clone(state)));
    assert.throws(() => validateState({ ...state, status: 'sleeping' }),
      { message: 'state.json /status: must be one of creating, created, running, paused, stopped' });
  });

  it('accepts a features document and requires the version range', () => {
    const features = {
      ociVersionMin: '1.0.0', ociVersionMax: '1.3.0', hooks: ['prestart', 'poststop'], mountOptions: ['ro', 'rbind'],
      linux: { namespaces: ['pid', 'time'], capabilities: ['CAP_KILL'], cgroup: { v2: true, systemd: true },
        seccomp: { enabled: true, actions: ['SCMP_ACT_ALLOW'], operators: ['SCMP_CMP_EQ'], archs: ['SCMP_ARCH_X86_64'] },
        intelRdt: { enabled: false, schemata: true, enableMonitoring: true }, mountExtensions: { idmap: { enabled: true } },
        netDevices: { enabled: true }, memoryPolicy: { modes: ['MPOL_BIND'], flags: [] } },
    };
    assert.doesNotThrow(() => validateFeatures(clone(features)));
    assert.throws(() => validateFeatures({ ociVersionMin: '1.0.0' }), { message: 'features.json /ociVersionMax: is required' });
  });
});

describe('the generated module', () => {
  it('exports the four validators and requires nothing at run time', () => {
    const code = fs.readFileSync(VALIDATORS, 'utf8');
    assert.doesNotMatch(code, /require\(/);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the generated CommonJS module under test
    const mod = require(VALIDATORS) as Record<string, unknown>;
    for (const name of ['config', 'process', 'state', 'features']) assert.equal(typeof mod[name], 'function', name);
  });
});
