/**
 * linux.seccomp on real busybox containers: the filter is in the kernel (/proc/<pid>/status
 * Seccomp: 2), blocked syscalls fail with the configured errno or kill the process, argument
 * conditions decide, Docker- and Podman-shaped default profiles run a shell, and what cannot be
 * applied is refused without leaving anything behind.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestSpec } from '../helpers/bundle';
import { skipReason, statusField, waitFor } from '../helpers/runtime';
import { configSuite } from './config-helpers';

const s = configSuite('sc');
const fixture = (name: string): TestSpec => JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/seccomp', name), 'utf8')) as TestSpec;
const sh = (script: string) => (x: TestSpec): void => { x.process.args = ['/bin/sh', '-c', script]; };

describe('config: linux.seccomp', { skip: skipReason }, () => {
  before(() => s.setup());
  after(() => s.teardown());

  test('ERRNO(1) on mkdir: "Operation not permitted" inside, everything else works', () => {
    const r = s.run((x) => {
      sh('grep -E "^Seccomp(_filters)?:" /proc/self/status; mkdir /tmp/x; echo "rc=$?"; touch /tmp/y && echo touched')(x);
      x.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat', 'not_a_syscall_at_all'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Seccomp:\s+2\nSeccomp_filters:\s+1\nrc=1\ntouched\n$/);
    assert.match(r.stderr, /mkdir: can't create directory '\/tmp\/x': Operation not permitted/);
  });

  test('the filter is on the container process as the host sees it; NoNewPrivs as configured', () => {
    const { dir, id } = s.bundle((x) => {
      x.process.args = ['/bin/sleep', '100'];
      x.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    });
    const c = s.sb().detached(['create', '--bundle', dir, id]);
    assert.equal(c.status, 0, c.output);
    const pid = Number(JSON.parse(s.sb().run(['state', id]).stdout).pid);
    // Loaded right before execve, so not yet while the init waits for start.
    assert.equal(statusField(pid, 'Seccomp'), '0');
    assert.equal(s.sb().detached(['start', id]).status, 0);
    assert.ok(waitFor(() => statusField(pid, 'Seccomp') === '2'), 'Seccomp: 2 after start');
    assert.equal(statusField(pid, 'NoNewPrivs'), '1');
    assert.equal(s.sb().run(['delete', '--force', id]).status, 0);
  });

  test('without noNewPrivileges the filter is loaded while privileged, then the user is switched', () => {
    const { dir, id } = s.bundle((x) => {
      x.process.args = ['/bin/sleep', '100'];
      x.process.user = { uid: 1000, gid: 1000 };
      x.process.noNewPrivileges = false;
      x.process.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
      x.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    });
    assert.equal(s.sb().detached(['run', '-d', '--bundle', dir, id]).status, 0);
    const pid = Number(JSON.parse(s.sb().run(['state', id]).stdout).pid);
    assert.ok(waitFor(() => statusField(pid, 'Seccomp') === '2'));
    assert.equal(statusField(pid, 'NoNewPrivs'), '0');
    assert.match(statusField(pid, 'Uid'), /^1000\s/);
    assert.equal(s.sb().run(['delete', '--force', id]).status, 0);
  });

  test('defaultErrnoRet: everything not allowed fails with ENOSYS', () => {
    const r = s.run((x) => {
      sh('hostname other; echo "rc=$?"')(x);
      x.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38,
        syscalls: [{ names: [...fixture('podman-default.json').syscalls[1].names, 'clone'], action: 'SCMP_ACT_ALLOW' }],
      };
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'rc=1\n');
    assert.match(r.stderr, /sethostname: Function not implemented/);
  });

  for (const [action, expected] of [['SCMP_ACT_KILL_PROCESS', 159], ['SCMP_ACT_KILL_THREAD', 159], ['SCMP_ACT_KILL', 159], ['SCMP_ACT_TRAP', 159]] as const) {
    test(`${action}: the process dies of SIGSYS (exit ${expected})`, () => {
      const r = s.run((x) => {
        x.process.args = ['/bin/mkdir', '/tmp/x'];
        x.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action }] };
      });
      assert.equal(r.status, expected, r.stderr);
      assert.ok(!fs.existsSync(path.join(r.dir, 'rootfs/tmp/x')));
    });
  }

  test('SCMP_ACT_LOG allows (and logs); SCMP_ACT_TRACE without a tracer fails with ENOSYS', () => {
    const log = s.run((x) => {
      sh('mkdir /tmp/logged && echo made')(x);
      x.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_LOG' }] };
    });
    assert.equal(log.status, 0, log.stderr);
    assert.equal(log.stdout, 'made\n');
    const trace = s.run((x) => {
      sh('mkdir /tmp/traced; echo "rc=$?"')(x);
      x.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_TRACE', errnoRet: 5 }] };
    });
    assert.equal(trace.stdout, 'rc=1\n');
    assert.match(trace.stderr, /Function not implemented/);
  });

  test('argument conditions: every operator decides on kill(2)\'s signal argument', () => {
    // Harmless signals for a shell: 0 (probe), CHLD, CONT, URG, WINCH.
    const probe = 'for s in 0 17 18 23 28; do kill -$s $$ 2>/dev/null && printf "$s:ok " || printf "$s:no "; done';
    const cases: Array<[string, number, number | undefined, string]> = [
      ['SCMP_CMP_EQ', 18, undefined, '0:ok 17:ok 18:no 23:ok 28:ok '],
      ['SCMP_CMP_NE', 18, undefined, '0:no 17:no 18:ok 23:no 28:no '],
      ['SCMP_CMP_LT', 18, undefined, '0:no 17:no 18:ok 23:ok 28:ok '],
      ['SCMP_CMP_LE', 18, undefined, '0:no 17:no 18:no 23:ok 28:ok '],
      ['SCMP_CMP_GE', 18, undefined, '0:ok 17:ok 18:no 23:no 28:no '],
      ['SCMP_CMP_GT', 18, undefined, '0:ok 17:ok 18:ok 23:no 28:no '],
      ['SCMP_CMP_MASKED_EQ', 3, 1, '0:ok 17:no 18:ok 23:ok 28:ok '],
    ];
    for (const [op, value, valueTwo, want] of cases) {
      const r = s.run((x) => {
        sh(probe)(x);
        x.linux.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value, ...(valueTwo === undefined ? {} : { valueTwo }), op }] }],
        };
      });
      assert.equal(r.stdout, want, `${op}: ${r.stderr}`);
    }
  });

  test('Docker-shaped default profile: a shell runs, capability-gated calls get EPERM', () => {
    const r = s.run((x) => {
      sh('grep "^Seccomp:" /proc/self/status; echo ok | cat; hostname other; echo "hostname=$?"; unshare -n true; echo "unshare=$?"')(x);
      x.linux.seccomp = fixture('docker-default.json');
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Seccomp:\s+2\nok\nhostname=1\nunshare=1\n$/);
    assert.match(r.stderr, /sethostname: Operation not permitted/);
    assert.match(r.stderr, /unshare.*Operation not permitted/);
  });

  test('Podman-shaped default profile: ENOSYS by default, EPERM for its explicit list', () => {
    const r = s.run((x) => {
      sh('echo ok | cat; hostname other; echo "hostname=$?"; swapoff /nothing; echo "swapoff=$?"')(x);
      x.linux.seccomp = fixture('podman-default.json');
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'ok\nhostname=1\nswapoff=1\n');
    assert.match(r.stderr, /sethostname: Function not implemented/);
    assert.match(r.stderr, /swapoff.*Operation not permitted/);
  });

  test('filter flags are passed to the kernel', () => {
    const r = s.run((x) => {
      sh('grep "^Seccomp:" /proc/self/status')(x);
      x.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Seccomp:\s+2/);
  });

  describe('refused, nothing left behind', () => {
    const allow = { defaultAction: 'SCMP_ACT_ALLOW' };
    test('SCMP_ACT_NOTIFY without a listenerPath', () => {
      s.refused((x) => { x.linux.seccomp = { ...allow, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }; }, '/linux/seccomp/listenerPath', /is required/);
    });
    test('listenerMetadata without a listenerPath', () => {
      s.refused((x) => { x.linux.seccomp = { ...allow, listenerMetadata: 'x' }; }, '/linux/seccomp/listenerMetadata');
    });
    test('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', () => {
      s.refused((x) => { x.linux.seccomp = { ...allow, flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }; }, '/linux/seccomp/flags/0');
    });
    test('an architecture this libseccomp does not know', () => {
      s.refused((x) => { x.linux.seccomp = { ...allow, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_SHEB'] }; }, '/linux/seccomp/architectures/1', /not supported by libseccomp/);
    });
    test('errnoRet on SCMP_ACT_ALLOW', () => {
      s.refused((x) => { x.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }; }, '/linux/seccomp/syscalls/0/errnoRet');
    });
    test('argument index beyond 5', () => {
      s.refused((x) => { x.linux.seccomp = { ...allow, syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }; }, '/linux/seccomp/syscalls/0/args/0/index');
    });
  });
});
