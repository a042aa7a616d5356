/**
 * Documents the build validates to train the validators' code cache (`build.mjs split
 * validators`, lib/sys/split.ts): `oci-ts spec`'s config in both variants, and one with the fields
 * engines commonly send (hooks, a seccomp profile, resources, devices, rlimits, ...), so that the
 * validator functions a real create runs are compiled into the cache. Every document must be
 * valid: the build fails otherwise (an invalid one would stop at its first error and train little).
 */
import { defaultSpec } from '../lib/spec/default-spec';
import type { Spec } from '../lib/spec/types';

export function validatorSamples(): { config: unknown[]; process: unknown[] } {
  const plain = defaultSpec({ rootless: false });
  const rootless = defaultSpec({ rootless: true, hostUid: 1000, hostGid: 1000 });
  const rich = structuredClone(plain) as Spec & Record<string, unknown>;
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];
  rich.process = {
    ...plain.process!,
    terminal: false,
    user: { uid: 1000, gid: 1000, umask: 18, additionalGids: [10, 20] },
    args: ['/bin/sh', '-c', 'exec sleep 1000'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=c1', 'HOME=/root'],
    cwd: '/srv',
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }, { type: 'RLIMIT_NPROC', hard: 4096, soft: 4096 }],
    noNewPrivileges: true,
    oomScoreAdj: 0,
    apparmorProfile: 'docker-default',
  };
  rich.hostname = 'c1';
  rich.mounts = [
    ...(plain.mounts ?? []),
    { destination: '/srv', type: 'bind', source: '/var/lib/data', options: ['rbind', 'rprivate', 'ro'] },
    { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755', 'size=65536k'] },
    { destination: '/etc/hosts', type: 'bind', source: '/var/lib/hosts', options: ['rbind', 'rprivate'] },
  ];
  rich.hooks = {
    prestart: [{ path: '/usr/bin/hook', args: ['hook', 'prestart'], env: ['A=1'], timeout: 5 }],
    poststop: [{ path: '/usr/bin/hook', args: ['hook', 'poststop'] }],
  };
  rich.annotations = { 'org.opencontainers.image.os': 'linux', 'io.kubernetes.cri.container-type': 'container' };
  rich.linux = {
    ...plain.linux!,
    cgroupsPath: '/docker/c1',
    sysctl: { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' },
    devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 }],
    resources: {
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }],
      memory: { limit: 536870912, reservation: 268435456, swap: 1073741824, disableOOMKiller: false },
      cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0-1', mems: '0' },
      pids: { limit: 512 },
      blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 300 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
      unified: { 'memory.high': '400000000' },
    },
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['accept', 'read', 'write', 'openat', 'close', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      ],
    },
  };
  return { config: [plain, rootless, rich], process: [plain.process, rich.process] };
}
