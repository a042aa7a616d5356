/**
 * linux.namespaces (new, shared with the host, joined by path), user namespace mappings,
 * hostname/domainname, sysctl, time namespace offsets, cgroupsPath and the cgroup namespace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type { TestSpec } from '../../helpers/bundle';
import { waitFor } from '../../helpers/runtime';
import type { Case, PrepareContext } from '../harness';
import { fileData, procStatus, statOf, type ProbeReport } from '../probe';

/** Config namespace type -> name under /proc/<pid>/ns. */
const NS_FILE: Record<string, string> = {
  pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', cgroup: 'cgroup', user: 'user', time: 'time',
};

/** The host's namespaces: those of this test process, which is where the runtime starts. */
function hostNs(type: string): number {
  return fs.statSync(`/proc/self/ns/${NS_FILE[type]}`).ino;
}

type Namespace = { type: string; path?: string };

/**
 * Every namespace type is new when the config lists it without a path, joined when it has a path,
 * and the host's when it is not listed.
 */
function assertNamespaces(r: ProbeReport, spec: TestSpec): void {
  const listed = spec.linux.namespaces as Namespace[];
  for (const type of Object.keys(NS_FILE)) {
    const got = r.ns[NS_FILE[type]!];
    if (got === null || got === undefined) {
      assert.ok(!listed.some((n) => n.type === type), `${type}: asked for, but the kernel has no such namespace`);
      continue;
    }
    const entry = listed.find((n) => n.type === type);
    if (!entry) assert.equal(got, hostNs(type), `${type}: not listed, so the host's`);
    else if (entry.path) assert.equal(got, fs.statSync(entry.path).ino, `${type}: joined ${entry.path}`);
    else assert.notEqual(got, hostNs(type), `${type}: listed without a path, so a new one`);
  }
}

/**
 * Starts `unshare <flags> sleep` (killed after the run) and returns its pid once it is in its
 * new namespaces: a namespace to join by path that is not the runtime's own.
 */
function namespaceHolder(ctx: PrepareContext, flags: string[], check: string): number {
  const child = spawn('unshare', [...flags, '--', 'sleep', '60'], { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start unshare');
  ctx.defer(() => { child.kill('SIGKILL'); });
  const moved = waitFor(() => {
    try {
      return fs.statSync(`/proc/${pid}/ns/${check}`).ino !== fs.statSync(`/proc/self/ns/${check}`).ino;
    } catch {
      return false;
    }
  });
  if (!moved) throw new Error(`unshare ${flags.join(' ')} did not make new namespaces`);
  return pid;
}

/** Mappings in /proc/self/{uid,gid}_map form: "containerID hostID size" per line. */
function mapLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim()).map((l) => l.trim().split(/\s+/).join(' '));
}

/**
 * The cgroup v1 lines of /proc/self/cgroup ("id:controllers:path"). The v2 line ("0::path") is
 * left out: on a hybrid host it holds no controllers a runtime has to use.
 */
function v1Cgroups(r: ProbeReport): Array<{ line: string; path: string }> {
  const lines = fileData(r, '/proc/self/cgroup').split('\n').filter((l) => l && !l.startsWith('0::'));
  assert.ok(lines.length > 0, 'no cgroup v1 hierarchies: this case is for a v1 or hybrid host');
  return lines.map((line) => ({ line, path: line.split(':').slice(2).join(':') }));
}

const USERNS_HOST_ID = 100000;
const USERNS_SIZE = 65536;

export const namespaceCases: Case[] = [
  {
    name: 'hostname in a new uts namespace',
    config: (s) => { s.hostname = 'conf-host'; },
    check: (r, { spec }) => { assert.equal(r.uname.nodename, spec.hostname, 'nodename'); },
  },
  {
    name: 'domainname in a new uts namespace',
    config: (s) => { s.domainname = 'conf.example'; },
    check: (r, { spec }) => { assert.equal(r.uname.domainname, spec.domainname, 'domainname'); },
  },
  {
    name: 'namespaces: pid, network, ipc, uts, mount, cgroup all new',
    config: (s) => {
      s.linux.namespaces = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'].map((type) => ({ type }));
    },
    check: (r, { spec }) => {
      assertNamespaces(r, spec);
      assert.equal(procStatus(r).get('Pid'), '1', 'the process is pid 1 of its pid namespace');
    },
  },
  {
    name: 'namespaces: only mount and pid new, network/ipc/uts/cgroup the host\'s',
    config: (s) => {
      s.linux.namespaces = [{ type: 'mount' }, { type: 'pid' }];
      delete s.hostname; // a hostname needs a uts namespace of its own
    },
    check: (r, { spec }) => { assertNamespaces(r, spec); },
  },
  {
    name: 'namespaces: network, ipc and uts joined by path',
    config: (s, ctx) => {
      const pid = namespaceHolder(ctx, ['--net', '--ipc', '--uts'], 'net');
      s.linux.namespaces = [
        { type: 'mount' }, { type: 'pid' },
        { type: 'network', path: `/proc/${pid}/ns/net` },
        { type: 'ipc', path: `/proc/${pid}/ns/ipc` },
        { type: 'uts', path: `/proc/${pid}/ns/uts` },
      ];
      delete s.hostname; // would rename the holder's uts namespace
    },
    check: (r, { spec }) => { assertNamespaces(r, spec); },
  },
  {
    name: 'user namespace: uid/gid mappings, root inside',
    config: (s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: USERNS_HOST_ID, size: USERNS_SIZE }];
      s.linux.gidMappings = [{ containerID: 0, hostID: USERNS_HOST_ID + 1000, size: USERNS_SIZE }];
    },
    check: (r, { spec }) => {
      const expected = (m: Array<{ containerID: number; hostID: number; size: number }>): string[] =>
        m.map((x) => `${x.containerID} ${x.hostID} ${x.size}`);
      assert.deepEqual(mapLines(fileData(r, '/proc/self/uid_map')), expected(spec.linux.uidMappings), 'uid_map');
      assert.deepEqual(mapLines(fileData(r, '/proc/self/gid_map')), expected(spec.linux.gidMappings), 'gid_map');
      assert.deepEqual(r.uid, [0, 0, 0], 'root inside');
      assertNamespaces(r, spec);
    },
  },
  {
    name: 'user namespace: the template\'s /dev, /dev/shm and /dev/mqueue belong to the container\'s root',
    probe: ['--stat', '/dev', '--stat', '/dev/shm', '--stat', '/dev/mqueue'],
    config: (s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: USERNS_HOST_ID, size: USERNS_SIZE }];
      s.linux.gidMappings = [{ containerID: 0, hostID: USERNS_HOST_ID, size: USERNS_SIZE }];
    },
    check: (r) => {
      // mounted by the container's root, not by the host's (which is unmapped: nobody inside),
      // so that root inside has CAP_FOWNER over them
      for (const p of ['/dev', '/dev/shm', '/dev/mqueue']) assert.equal(statOf(r, p).uid, 0, `${p} owner`);
    },
  },
  {
    name: 'linux.sysctl: net.ipv4.ip_forward (network ns), kernel.shmmax and kernel.msgmax (ipc ns)',
    probe: ['--read', '/proc/sys/net/ipv4/ip_forward', '--read', '/proc/sys/kernel/shmmax', '--read', '/proc/sys/kernel/msgmax'],
    config: (s) => {
      s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '123456789', 'kernel.msgmax': '4321' };
    },
    check: (r, { spec }) => {
      for (const [key, value] of Object.entries(spec.linux.sysctl as Record<string, string>)) {
        assert.equal(fileData(r, `/proc/sys/${key.replace(/\./g, '/')}`).trim(), value, key);
      }
    },
  },
  {
    name: 'linux.timeOffsets in a new time namespace',
    config: (s) => {
      s.linux.namespaces.push({ type: 'time' });
      s.linux.timeOffsets = { boottime: { secs: 86400 * 3 }, monotonic: { secs: 3600, nanosecs: 5 } };
    },
    check: (r, { spec }) => {
      assert.notEqual(r.ns.time, hostNs('time'), 'a new time namespace');
      const offsets = fileData(r, '/proc/self/timens_offsets');
      for (const [clock, o] of Object.entries(spec.linux.timeOffsets as Record<string, { secs?: number; nanosecs?: number }>)) {
        assert.match(offsets, new RegExp(`^${clock}\\s+${o.secs ?? 0}\\s+${o.nanosecs ?? 0}$`, 'm'), clock);
      }
    },
  },
  {
    name: 'linux.cgroupsPath without a cgroup namespace: /proc/self/cgroup names it',
    check: (r, { spec }) => {
      for (const c of v1Cgroups(r)) assert.equal(c.path, spec.linux.cgroupsPath, c.line);
    },
  },
  {
    name: 'linux.resources: memory limit, pids limit and cpu shares read back inside',
    probe: ['--read', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '--read', '/sys/fs/cgroup/pids/pids.max', '--read', '/sys/fs/cgroup/cpu/cpu.shares'],
    config: (s) => {
      s.linux.resources = { ...s.linux.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 123 }, cpu: { shares: 512 } };
    },
    check: (r, { spec }) => {
      const res = spec.linux.resources;
      assert.equal(fileData(r, '/sys/fs/cgroup/memory/memory.limit_in_bytes').trim(), String(res.memory.limit), 'memory.limit_in_bytes');
      assert.equal(fileData(r, '/sys/fs/cgroup/pids/pids.max').trim(), String(res.pids.limit), 'pids.max');
      assert.equal(fileData(r, '/sys/fs/cgroup/cpu/cpu.shares').trim(), String(res.cpu.shares), 'cpu.shares');
    },
  },
  {
    name: 'cgroup namespace: the container\'s cgroup is its root',
    config: (s) => { s.linux.namespaces.push({ type: 'cgroup' }); },
    check: (r) => {
      for (const c of v1Cgroups(r)) assert.equal(c.path, '/', c.line);
    },
  },
];
