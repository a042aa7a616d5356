/**
 * process.*: credentials, capabilities, no_new_privs, rlimits, environment, cwd, OOM score,
 * seccomp, scheduling, I/O priority, and linux.personality.
 */
import assert from 'node:assert/strict';
import type { Case } from '../harness';
import { capMask, capNames, capsAfterExec, EPERM, ioprio, PER_LINUX32, SCHED_POLICIES, type CapSets } from '../kernel';
import { procStatus, type ProbeReport } from '../probe';

/** Compares the five capability sets in /proc/self/status with what execve makes of the config. */
function assertCaps(r: ProbeReport, caps: CapSets, uid: number, nnp: boolean): void {
  const status = procStatus(r);
  const expected = capsAfterExec(caps, uid, nnp);
  for (const [field, names] of Object.entries(expected)) {
    const got = status.get(field) ?? '';
    assert.equal(got, capMask(names), `${field}: got [${capNames(got).join(' ')}], expected [${[...names].sort().join(' ')}]`);
  }
}

export const processCases: Case[] = [
  {
    name: 'process.user: uid, gid, additionalGids, umask',
    config: (s) => { s.process.user = { uid: 1000, gid: 1001, additionalGids: [10, 2000, 3000], umask: 0o027 }; },
    check: (r, { spec }) => {
      const u = spec.process.user;
      assert.deepEqual(r.uid, [u.uid, u.uid, u.uid], 'real, effective, saved uid');
      assert.deepEqual(r.gid, [u.gid, u.gid, u.gid], 'real, effective, saved gid');
      assert.deepEqual([...r.groups].sort((a, b) => a - b), u.additionalGids, 'supplementary groups');
      assert.equal(r.umask, u.umask, 'umask');
    },
  },
  {
    name: 'process.capabilities: uid 0, reduced sets, noNewPrivileges true',
    config: (s) => {
      s.process.noNewPrivileges = true;
      s.process.capabilities = {
        bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SYS_CHROOT'],
        permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_SETUID'],
        effective: ['CAP_CHOWN'],
        inheritable: ['CAP_KILL'],
        ambient: ['CAP_KILL'],
      };
    },
    check: (r, { spec }) => {
      assert.equal(procStatus(r).get('NoNewPrivs'), '1', 'NoNewPrivs');
      assertCaps(r, spec.process.capabilities, 0, true);
    },
  },
  {
    name: 'process.capabilities: uid 1000, all five sets, noNewPrivileges false',
    config: (s) => {
      s.process.user = { uid: 1000, gid: 1000 };
      s.process.noNewPrivileges = false;
      s.process.capabilities = {
        bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SYS_CHROOT'],
        permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
        effective: ['CAP_KILL'],
        inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETGID'],
        ambient: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      };
    },
    check: (r, { spec }) => {
      assert.equal(procStatus(r).get('NoNewPrivs'), '0', 'NoNewPrivs');
      assertCaps(r, spec.process.capabilities, 1000, false);
    },
  },
  {
    name: 'process.rlimits',
    config: (s) => {
      s.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 512, hard: 2048 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 1048576 },
        { type: 'RLIMIT_NPROC', soft: 3000, hard: 4000 },
        { type: 'RLIMIT_MSGQUEUE', soft: 4096, hard: 8192 },
      ];
    },
    check: (r, { spec }) => {
      for (const l of spec.process.rlimits as Array<{ type: string; soft: number; hard: number }>) {
        assert.deepEqual(r.rlimits[l.type], [String(l.soft), String(l.hard)], l.type);
      }
    },
  },
  {
    name: 'process.env: exactly the configured variables (HOME may be added)',
    config: (s) => {
      s.process.env = ['PATH=/bin', 'CONF_PLAIN=1', 'CONF_SPACES=a b  c', 'CONF_EMPTY=', 'CONF_EQUALS=x=y', 'CONF_UTF8=grüße'];
    },
    check: (r, { spec }) => {
      const configured = spec.process.env as string[];
      // runc (and so engines' users) get HOME from /etc/passwd when the config does not set it
      const extra = r.env.filter((e) => !configured.includes(e) && !e.startsWith('HOME='));
      assert.deepEqual(extra, [], 'variables the config did not ask for');
      for (const e of configured) assert.equal(r.env.filter((x) => x === e).length, 1, `${e} once`);
    },
  },
  {
    name: 'process.env: a name set twice keeps the last value',
    config: (s) => { s.process.env = ['PATH=/bin', 'CONF_DUP=first', 'CONF_OTHER=1', 'CONF_DUP=last']; },
    check: (r) => {
      // with both entries in environ, getenv() would see the first one: the runtime must merge them
      assert.deepEqual(r.env.filter((e) => e.startsWith('CONF_DUP=')), ['CONF_DUP=last']);
    },
  },
  {
    name: 'process.cwd: a directory the rootfs lacks is created',
    config: (s) => { s.process.cwd = '/var/conf/work dir'; },
    check: (r, { spec }) => { assert.equal(r.cwd, spec.process.cwd); },
  },
  {
    name: 'process.oomScoreAdj',
    config: (s) => { s.process.oomScoreAdj = 517; },
    check: (r, { spec }) => {
      const f = r.files['/proc/self/oom_score_adj'];
      assert.ok(f && 'data' in f, 'oom_score_adj readable');
      assert.equal(f.data.trim(), String(spec.process.oomScoreAdj));
    },
  },
  {
    name: 'linux.seccomp: SCMP_ACT_ERRNO with errnoRet (mkdir) and the default EPERM (getcwd)',
    probe: ['--mkdir', '/tmp/conf-seccomp'],
    config: (s) => {
      s.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [
          { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 42 },
          { names: ['getcwd'], action: 'SCMP_ACT_ERRNO' },
        ],
      };
    },
    check: (r) => {
      assert.equal(procStatus(r).get('Seccomp'), '2', 'seccomp filter mode');
      assert.equal(r.mkdir['/tmp/conf-seccomp'], 42, 'mkdir fails with errnoRet');
      assert.equal(r.cwd, null, 'getcwd fails');
      assert.equal(r.cwdErrno, EPERM, 'with EPERM');
    },
  },
  {
    name: 'linux.seccomp with noNewPrivileges false for uid 1000 (the filter goes in while the runtime may still do it)',
    probe: ['--mkdir', '/tmp/conf-seccomp'],
    config: (s) => {
      s.process.user = { uid: 1000, gid: 1000 };
      s.process.noNewPrivileges = false;
      s.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 43 }],
      };
    },
    check: (r) => {
      const status = procStatus(r);
      assert.equal(status.get('Seccomp'), '2', 'seccomp filter mode');
      assert.equal(status.get('NoNewPrivs'), '0', 'NoNewPrivs');
      assert.equal(r.mkdir['/tmp/conf-seccomp'], 43, 'mkdir fails with errnoRet');
    },
  },
  {
    name: 'linux.personality LINUX32: uname -m is i686',
    config: (s) => { s.linux.personality = { domain: 'LINUX32' }; },
    check: (r) => {
      assert.equal(r.personality & 0xff, PER_LINUX32, 'personality domain');
      assert.equal(r.uname.machine, 'i686');
    },
  },
  {
    name: 'process.scheduler: SCHED_BATCH with nice 7',
    config: (s) => { s.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 }; },
    check: (r, { spec }) => {
      assert.equal(r.sched.policy, SCHED_POLICIES[spec.process.scheduler.policy], 'policy');
      assert.equal(r.sched.nice, spec.process.scheduler.nice, 'nice');
    },
  },
  {
    name: 'process.ioPriority: IOPRIO_CLASS_BE level 6',
    config: (s) => { s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }; },
    check: (r, { spec }) => {
      assert.equal(r.ioprio, ioprio(spec.process.ioPriority.class, spec.process.ioPriority.priority));
    },
  },
];
