import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { DEFAULT_OCI_VERSION, defaultSpec } from '../../lib/spec/default-spec';
import { configIssues } from '../../lib/spec/semantic';
import { validateConfig } from '../../lib/spec/validate';
import { ensureValidatorBuilt } from '../helpers/validators';

before(ensureValidatorBuilt);

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

describe('defaultSpec (runc spec)', () => {
  const spec = defaultSpec({ rootless: false });

  it('passes the schema and the semantic checks', () => {
    assert.deepEqual(configIssues(spec), []);
    assert.doesNotThrow(() => validateConfig(JSON.parse(JSON.stringify(spec))));
  });

  it('runs sh as root on a terminal in a read-only rootfs', () => {
    assert.equal(spec.ociVersion, '1.3.0');
    assert.equal(DEFAULT_OCI_VERSION, '1.3.0');
    assert.deepEqual(spec.root, { path: 'rootfs', readonly: true });
    assert.equal(spec.hostname, 'oci-ts');
    const p = spec.process!;
    assert.equal(p.terminal, true);
    assert.deepEqual(p.user, { uid: 0, gid: 0 });
    assert.deepEqual(p.args, ['sh']);
    assert.deepEqual(p.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm']);
    assert.equal(p.cwd, '/');
    assert.equal(p.noNewPrivileges, true);
    assert.deepEqual(p.capabilities, { bounding: CAPS, effective: CAPS, permitted: CAPS });
    assert.deepEqual(p.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
  });

  it('mounts proc, dev, devpts, shm, mqueue, sysfs and cgroup', () => {
    assert.deepEqual(spec.mounts!.map((m) => `${m.destination}:${m.type}`), [
      '/proc:proc', '/dev:tmpfs', '/dev/pts:devpts', '/dev/shm:tmpfs', '/dev/mqueue:mqueue', '/sys:sysfs', '/sys/fs/cgroup:cgroup',
    ]);
    assert.ok(spec.mounts!.find((m) => m.destination === '/sys')!.options!.includes('ro'));
    assert.ok(spec.mounts!.find((m) => m.destination === '/sys/fs/cgroup')!.options!.includes('ro'));
    assert.ok(spec.mounts!.find((m) => m.destination === '/dev/pts')!.options!.includes('gid=5'));
  });

  it('creates pid, network, ipc, uts, mount and cgroup namespaces and hides kernel paths', () => {
    const linux = spec.linux!;
    assert.deepEqual(linux.namespaces!.map((n) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
    assert.ok(linux.namespaces!.every((n) => n.path === undefined));
    assert.equal(linux.uidMappings, undefined);
    for (const p of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware', '/proc/acpi', '/proc/scsi']) {
      assert.ok(linux.maskedPaths!.includes(p), p);
    }
    assert.deepEqual(linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    assert.deepEqual(linux.resources, { devices: [{ allow: false, access: 'rwm' }] });
  });

  it('returns a fresh object each time', () => {
    const a = defaultSpec({ rootless: false });
    a.process!.capabilities!.bounding!.push('CAP_SYS_ADMIN');
    a.linux!.maskedPaths!.length = 0;
    assert.deepEqual(defaultSpec({ rootless: false }), spec);
  });
});

describe('defaultSpec({ rootless: true }) (runc spec --rootless)', () => {
  const spec = defaultSpec({ rootless: true, hostUid: 1000, hostGid: 1001 });

  it('passes the schema and the semantic checks', () => {
    assert.deepEqual(configIssues(spec), []);
    assert.doesNotThrow(() => validateConfig(JSON.parse(JSON.stringify(spec))));
  });

  it('maps container root to the given user in a new user namespace, without a network namespace', () => {
    const linux = spec.linux!;
    assert.deepEqual(linux.namespaces!.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount', 'cgroup', 'user']);
    assert.deepEqual(linux.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
    assert.deepEqual(linux.gidMappings, [{ containerID: 0, hostID: 1001, size: 1 }]);
    assert.equal(linux.resources, undefined);
  });

  it('defaults the mapping to this process\'s effective IDs', () => {
    const s = defaultSpec({ rootless: true });
    assert.equal(s.linux!.uidMappings![0]!.hostID, process.geteuid!());
    assert.equal(s.linux!.gidMappings![0]!.hostID, process.getegid!());
  });

  it('bind-mounts /sys, drops the cgroup mount and uid=/gid= options', () => {
    const sys = spec.mounts!.find((m) => m.destination === '/sys')!;
    assert.deepEqual(sys, { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    assert.equal(spec.mounts!.some((m) => m.type === 'cgroup'), false);
    const devpts = spec.mounts!.find((m) => m.destination === '/dev/pts')!;
    assert.deepEqual(devpts.options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620']);
  });

  it('keeps the process and paths of the root template', () => {
    const root = defaultSpec({ rootless: false });
    assert.deepEqual(spec.process, root.process);
    assert.deepEqual(spec.root, root.root);
    assert.deepEqual(spec.linux!.maskedPaths, root.linux!.maskedPaths);
  });
});
