import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { OciError } from '../../lib/errors';
import {
  checkConfigSemantics,
  checkProcessSemantics,
  configIssues,
  normalizeSysctlName,
  ociVersionProblem,
  pointer,
  processIssues,
  type Issue,
} from '../../lib/spec/semantic';
import type { Process, Spec } from '../../lib/spec/types';

/** A small valid config; each test changes one thing. */
function base(): Spec {
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/', env: ['PATH=/bin'] },
    hostname: 'box',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore'],
      readonlyPaths: ['/proc/sys'],
    },
  };
}

function issuesOf(mutate: (s: Spec) => void): Issue[] {
  const s = base();
  mutate(s);
  return configIssues(s);
}

/** The first issue as `pointer: reason`, or '' when the config is fine. */
function first(mutate: (s: Spec) => void): string {
  const i = issuesOf(mutate)[0];
  return i ? `${i.pointer}: ${i.reason}` : '';
}

describe('semantic checks: baseline', () => {
  it('the base config has no issue', () => {
    assert.deepEqual(configIssues(base()), []);
  });

  it('checkConfigSemantics throws the first issue as a config error naming the file and pointer', () => {
    const s = base();
    s.process!.cwd = 'home';
    s.mounts![0]!.destination = 'proc';
    assert.throws(() => checkConfigSemantics(s, 'bundle/config.json'), (err: unknown) => {
      assert.ok(err instanceof OciError);
      assert.equal(err.kind, 'config');
      assert.equal(err.pointer, '/process/cwd');
      assert.equal(err.message, 'bundle/config.json /process/cwd: must be an absolute path');
      return true;
    });
    assert.equal(configIssues(s).length, 2, 'all issues are collected');
  });
});

describe('ociVersion', () => {
  it('accepts 1.0 through 1.3 with suffixes', () => {
    for (const v of ['1.0.0', '1.0.2-dev', '1.1.0', '1.2.1', '1.3.0', '1.3.0+dev', '1.0.0-rc5-dev']) {
      assert.equal(ociVersionProblem(v), undefined, v);
    }
  });

  it('refuses other majors and later minors', () => {
    for (const v of ['2.0.0', '0.9.0', '1.4.0', '1.10.0']) assert.match(ociVersionProblem(v) ?? '', /^unsupported version /, v);
    assert.equal(ociVersionProblem('0.9'), 'must be a semantic version such as 1.3.0');
    assert.equal(first((s) => (s.ociVersion = '2.0.0')), '/ociVersion: unsupported version 2.0.0: this runtime supports 1.0.0 through 1.3.x');
  });
});

describe('root and process', () => {
  it('root is required; a relative root.path is fine (it is relative to the bundle)', () => {
    assert.equal(first((s) => delete s.root), '/root: is required');
    assert.equal(first((s) => (s.root = { path: '' })), '/root/path: must be a non-empty path');
    assert.equal(first((s) => (s.root = { path: '../shared/rootfs' })), '');
    assert.equal(first((s) => (s.root = { path: '/var/lib/rootfs', readonly: true })), '');
  });

  it('process is required, cwd must be absolute, args non-empty unless commandLine is given', () => {
    assert.equal(first((s) => delete s.process), '/process: is required');
    assert.equal(first((s) => (s.process!.cwd = 'srv')), '/process/cwd: must be an absolute path');
    assert.equal(first((s) => (s.process!.args = [])), '/process/args: must be a non-empty array');
    assert.equal(first((s) => delete s.process!.args), '/process/args: is required');
    assert.equal(first((s) => {
      delete s.process!.args;
      s.process!.commandLine = 'cmd.exe /c dir';
    }), '');
  });

  it('env entries must be NAME=value', () => {
    assert.equal(first((s) => (s.process!.env = ['A=1', 'JUSTNAME'])), '/process/env/1: must have the form NAME=value');
    assert.equal(first((s) => (s.process!.env = ['=x'])), '/process/env/0: must have a non-empty variable name');
    assert.equal(first((s) => (s.process!.env = ['EMPTY='])), '');
  });

  it('capability names: syntax only, unknown names pass', () => {
    assert.equal(first((s) => (s.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_FUTURE_THING'] })), '');
    assert.equal(first((s) => (s.process!.capabilities = { ambient: ['CAP_KILL', 'kill'] })),
      '/process/capabilities/ambient/1: must be a capability name such as CAP_KILL');
  });

  it('rlimits: known names, soft <= hard, no duplicates', () => {
    assert.equal(first((s) => (s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }])), '');
    assert.equal(first((s) => (s.process!.rlimits = [{ type: 'RLIMIT_FILES', soft: 1, hard: 1 }])),
      '/process/rlimits/0/type: unknown resource limit RLIMIT_FILES');
    assert.equal(first((s) => (s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }])),
      '/process/rlimits/0/soft: must not be greater than hard (2048 > 1024)');
    assert.equal(first((s) => (s.process!.rlimits = [
      { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
      { type: 'RLIMIT_NPROC', soft: 10, hard: 10 },
      { type: 'RLIMIT_CORE', soft: 1, hard: 1 },
    ])), '/process/rlimits/2/type: duplicate resource limit RLIMIT_CORE (first at /process/rlimits/0)');
  });

  it('scheduler fields must fit the policy', () => {
    assert.equal(first((s) => (s.process!.scheduler = { policy: 'SCHED_FIFO', priority: 10 })), '');
    assert.equal(first((s) => (s.process!.scheduler = { policy: 'SCHED_OTHER', priority: 10 })),
      '/process/scheduler/priority: can only be set for the SCHED_FIFO and SCHED_RR policies');
    assert.equal(first((s) => (s.process!.scheduler = { policy: 'SCHED_OTHER', nice: 20 })),
      '/process/scheduler/nice: must be between -20 and 19');
    assert.equal(first((s) => (s.process!.scheduler = { policy: 'SCHED_RR', runtime: 1000 })),
      '/process/scheduler/runtime: can only be set for the SCHED_DEADLINE policy');
  });

  it('processIssues on a stand-alone process uses pointers from its root', () => {
    const p: Process = { user: { uid: 0, gid: 0 }, args: [], cwd: 'x' };
    assert.deepEqual(processIssues(p, '').map((i) => i.pointer), ['/args', '/cwd']);
    assert.throws(() => checkProcessSemantics(p, 'p.json'), { message: 'p.json /args: must be a non-empty array' });
  });
});

describe('mounts, hooks, paths', () => {
  it('mount destinations must be absolute (oci-ts refuses what runc only warns about)', () => {
    assert.equal(first((s) => s.mounts!.push({ destination: 'data', type: 'bind', source: '/srv' })),
      '/mounts/1/destination: must be an absolute path');
  });

  it('hook paths must be absolute', () => {
    assert.equal(first((s) => (s.hooks = { createRuntime: [{ path: '/usr/bin/hook' }], poststop: [{ path: 'hook' }] })),
      '/hooks/poststop/0/path: must be an absolute path');
  });

  it('maskedPaths and readonlyPaths must be absolute', () => {
    assert.equal(first((s) => s.linux!.maskedPaths!.push('proc/keys')), '/linux/maskedPaths/1: must be an absolute path');
    assert.equal(first((s) => (s.linux!.readonlyPaths = ['sys'])), '/linux/readonlyPaths/0: must be an absolute path');
  });

  it('devices may live anywhere in the container (not through ..); c/b/u devices need major and minor', () => {
    assert.equal(first((s) => (s.linux!.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }])), '');
    assert.equal(first((s) => (s.linux!.devices = [{ type: 'p', path: '/dev/myfifo' }])), '');
    assert.equal(first((s) => (s.linux!.devices = [{ type: 'c', path: 'dev/null', major: 1, minor: 3 }])),
      '/linux/devices/0/path: must be an absolute path');
    assert.equal(first((s) => (s.linux!.devices = [{ type: 'c', path: '/etc/null', major: 1, minor: 3 }])), '');
    assert.equal(first((s) => (s.linux!.devices = [{ type: 'c', path: '/dev/../etc/x', major: 1, minor: 3 }])),
      '/linux/devices/0/path: must name a file in the container (no ".." components)');
    assert.equal(first((s) => (s.linux!.devices = [{ type: 'b', path: '/dev/sda', major: 8 }])),
      '/linux/devices/0/minor: is required for device type b');
  });

  it('cgroupsPath may be absolute, relative or systemd-style, but without ".."', () => {
    for (const p of ['/oci/c1', 'oci/c1', 'system.slice:docker:c1']) assert.equal(first((s) => (s.linux!.cgroupsPath = p)), '', p);
    assert.equal(first((s) => (s.linux!.cgroupsPath = '/oci/../../escape')), '/linux/cgroupsPath: must not contain ".." components');
  });
});

describe('namespaces', () => {
  it('refuses duplicate types and relative paths', () => {
    assert.equal(first((s) => s.linux!.namespaces!.push({ type: 'pid', path: '/proc/1/ns/pid' })),
      '/linux/namespaces/5/type: duplicate namespace type "pid" (first at /linux/namespaces/0)');
    assert.equal(first((s) => (s.linux!.namespaces![1] = { type: 'network', path: 'run/netns/x' })),
      '/linux/namespaces/1/path: must be an absolute path');
    assert.equal(first((s) => (s.linux!.namespaces![1] = { type: 'network', path: '/run/netns/x' })), '');
  });

  it('hostname and domainname need a uts namespace (new, or joined as runc allows)', () => {
    const noUts = (s: Spec): void => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts');
    };
    assert.equal(first(noUts), '/hostname: requires a uts namespace in /linux/namespaces');
    assert.equal(first((s) => {
      noUts(s);
      delete s.hostname;
      s.domainname = 'example.org';
    }), '/domainname: requires a uts namespace in /linux/namespaces');
    assert.equal(first((s) => {
      noUts(s);
      s.hostname = '';
    }), '', 'an empty hostname sets nothing');
    assert.equal(first((s) => (s.linux!.namespaces![3] = { type: 'uts', path: '/proc/42/ns/uts' })), '');
  });

  it('uid/gid mappings need a new user namespace, and a new user namespace needs them', () => {
    const maps = [{ containerID: 0, hostID: 100000, size: 65536 }];
    assert.equal(first((s) => {
      s.linux!.uidMappings = maps;
      s.linux!.gidMappings = maps;
    }), '/linux/uidMappings: requires a user namespace in /linux/namespaces');
    assert.equal(first((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = maps;
      s.linux!.gidMappings = maps;
    }), '');
    assert.equal(first((s) => {
      s.linux!.namespaces!.push({ type: 'user', path: '/proc/42/ns/user' });
      s.linux!.gidMappings = maps;
    }), '/linux/gidMappings: cannot be set when the user namespace is joined (/linux/namespaces/5/path)');
    assert.equal(first((s) => s.linux!.namespaces!.push({ type: 'user' })),
      '/linux/uidMappings: is required when a new user namespace is created');
    assert.equal(first((s) => s.linux!.namespaces!.push({ type: 'user', path: '/proc/42/ns/user' })), '');
    assert.equal(first((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = maps;
      s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 0 }];
    }), '/linux/gidMappings/0/size: must be at least 1');
  });

  it('timeOffsets need a new time namespace and known clocks', () => {
    assert.equal(first((s) => (s.linux!.timeOffsets = { monotonic: { secs: 10 } })),
      '/linux/timeOffsets: requires a time namespace in /linux/namespaces');
    assert.equal(first((s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { monotonic: { secs: 10 }, boottime: { secs: 5, nanosecs: 1 } };
    }), '');
    assert.equal(first((s) => {
      s.linux!.namespaces!.push({ type: 'time', path: '/proc/9/ns/time' });
      s.linux!.timeOffsets = { boottime: { secs: 5 } };
    }), '/linux/timeOffsets: cannot be set when the time namespace is joined (/linux/namespaces/5/path)');
    assert.equal(first((s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { realtime: { secs: 5 } };
    }), '/linux/timeOffsets/realtime: unknown clock (must be boottime or monotonic)');
  });
});

describe('sysctl', () => {
  const withSysctl = (sysctl: Record<string, string>, drop?: string) => first((s) => {
    s.linux!.sysctl = sysctl;
    if (drop) s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== drop);
  });

  it('accepts namespaced sysctls when their namespace is there', () => {
    assert.equal(withSysctl({
      'net.ipv4.ip_forward': '1', 'net/ipv4/conf/eth0.100/rp_filter': '0', 'kernel.shmmax': '1', 'kernel.msgmnb': '1',
      'kernel.sem': '250 32000 32 128', 'kernel.shm_rmid_forced': '1', 'fs.mqueue.msg_max': '10', 'kernel.domainname': 'x',
    }), '');
  });

  it('net.* needs a network namespace', () => {
    assert.equal(withSysctl({ 'net.ipv4.ip_forward': '1' }, 'network'),
      '/linux/sysctl/net.ipv4.ip_forward: sysctl net.ipv4.ip_forward requires a network namespace');
  });

  it('IPC sysctls need an ipc namespace', () => {
    assert.equal(withSysctl({ 'kernel.shmall': '1' }, 'ipc'), '/linux/sysctl/kernel.shmall: sysctl kernel.shmall requires an ipc namespace');
    assert.equal(withSysctl({ 'fs/mqueue/queues_max': '1' }, 'ipc'),
      '/linux/sysctl/fs~1mqueue~1queues_max: sysctl fs.mqueue.queues_max requires an ipc namespace');
  });

  it('kernel.hostname and kernel.domainname need a uts namespace', () => {
    assert.match(withSysctl({ 'kernel.domainname': 'x' }, 'uts'), /^\/hostname: /, 'hostname is checked first');
    assert.equal(first((s) => {
      delete s.hostname;
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts');
      s.linux!.sysctl = { 'kernel.hostname': 'x' };
    }), '/linux/sysctl/kernel.hostname: sysctl kernel.hostname requires a uts namespace');
  });

  it('refuses sysctls that are not namespaced', () => {
    assert.equal(withSysctl({ 'vm.swappiness': '10' }), '/linux/sysctl/vm.swappiness: sysctl vm.swappiness is not in a separate kernel namespace');
  });

  it('normalises the slash form like sysctl.d(5)', () => {
    assert.equal(normalizeSysctlName('net/ipv4/conf/eno2.100/rp_filter'), 'net.ipv4.conf.eno2/100.rp_filter');
    assert.equal(normalizeSysctlName('net.ipv4.ip_forward'), 'net.ipv4.ip_forward');
  });
});

describe('1.3 additions', () => {
  it('netDevices need a network namespace and valid interface names', () => {
    assert.equal(first((s) => (s.linux!.netDevices = { eth1: { name: 'net0' } })), '');
    assert.equal(first((s) => {
      s.linux!.netDevices = { eth1: {} };
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
    }), '/linux/netDevices: requires a network namespace in /linux/namespaces');
    assert.equal(first((s) => (s.linux!.netDevices = { 'a/b': {} })), '/linux/netDevices/a~1b: is not a valid network interface name');
    assert.equal(first((s) => (s.linux!.netDevices = { eth1: { name: 'a-very-long-interface-name' } })),
      '/linux/netDevices/eth1/name: is not a valid network interface name');
  });

  it('memoryPolicy nodes must match the mode', () => {
    assert.equal(first((s) => (s.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-1' })), '');
    assert.equal(first((s) => (s.linux!.memoryPolicy = { mode: 'MPOL_PREFERRED' })), '');
    assert.equal(first((s) => (s.linux!.memoryPolicy = { mode: 'MPOL_BIND' })), '/linux/memoryPolicy/nodes: is required for MPOL_BIND');
    assert.equal(first((s) => (s.linux!.memoryPolicy = { mode: 'MPOL_LOCAL', nodes: '0' })),
      '/linux/memoryPolicy/nodes: must be empty for MPOL_LOCAL');
  });
});

describe('pointer()', () => {
  it('escapes ~ and / as RFC 6901 says', () => {
    assert.equal(pointer('linux', 'sysctl', 'a/b~c'), '/linux/sysctl/a~1b~0c');
    assert.equal(pointer('mounts', 3, 'destination'), '/mounts/3/destination');
  });
});
