/**
 * The C shim against the real kernel: builds c-shim/, runs plans in throwaway busybox rootfs
 * dirs and checks effects from inside the container and from the host. Needs root.
 *
 *   node --import tsx --test tests/integration/shim.test.ts
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CLONE, MS, type PlanOp } from '../../lib/shim/ops';
import {
  NS_FLAGS, S_IFCHR, buildShim, containerPlan, errorOf, makeSandbox, runShim, shimPath, skipReason, sleep,
  poll, startConsoleServer, startShim, statusField, type Sandbox,
} from '../helpers/shim-harness';

const skip = skipReason();

/** Run fn with a fresh sandbox that is always removed. */
async function withSandbox<T>(fn: (sb: Sandbox) => Promise<T>): Promise<T> {
  const sb = makeSandbox();
  try {
    return await fn(sb);
  } finally {
    sb.cleanup();
  }
}

/** Mount points (field 5) of a mountinfo text. */
function mountPoints(mountinfo: string): string[] {
  return mountinfo.split('\n').filter((l) => /^\d+ \d+ /.test(l)).map((l) => l.split(' ')[4]!);
}

function nsLink(pid: number | 'self', ns: string): string {
  return fs.readlinkSync(`/proc/${pid}/ns/${ns}`);
}

const hex = (n: number | bigint): string => BigInt(n).toString(16).padStart(16, '0');

describe('oci-ts-shim', { skip }, () => {
  before(() => buildShim());

  test('usage without a control fd, --version', () => {
    const none = spawnSync(shimPath, [], { encoding: 'utf8' });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^usage: oci-ts-shim <ctlfd>/);
    const bad = spawnSync(shimPath, ['x'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    const v = spawnSync(shimPath, ['--version'], { encoding: 'utf8' });
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^oci-ts-shim /);
  });

  test('bad plans are refused with an ERROR line', async () => {
    const badMagic = Buffer.alloc(8);
    let run = startShim(badMagic);
    let r = await run.closed;
    assert.equal(r.code, 1);
    assert.deepEqual(r.lines, ['ERROR bad plan: bad magic or length']);

    r = await runShim([{ op: 'HOSTNAME', args: ['x'] }]);
    assert.equal(r.code, 1);
    assert.equal(errorOf(r), 'bad plan: HOSTNAME is a child-phase op');

    r = await runShim([{ op: 'MOUNT', args: ['x'] }]);
    assert.equal(errorOf(r), 'bad plan: MOUNT takes 8 arguments, got 1');

    const unknown = Buffer.from([0x4f, 0x49, 0x43, 0x50, 4, 0, 0, 0, 99, 0, 0, 0]);
    run = startShim(unknown);
    r = await run.closed;
    assert.equal(errorOf(r), 'bad plan: unknown op 99');

    r = await runShim([{ op: 'MODE', args: ['sideways'] }]);
    assert.equal(errorOf(r), 'bad plan: unknown mode "sideways"');
  });

  test('clones pid/mount/uts/ipc namespaces, sets the hostname, mounts proc and pivots', () =>
    withSandbox(async (sb) => {
      const ns: Record<string, [string, string]> = {};
      const r = await runShim(
        containerPlan(sb.rootfs, {
          afterPivot: [{ op: 'HOSTNAME', args: ['shimtest'] }],
          args: ['sh', '-c', 'echo pid=$$; hostname; id -u; ls /; echo --; cat /proc/self/mountinfo'],
        }),
        {
          onSync: async (tag, run) => {
            if (tag === 'hooks') {
              const pid = await run.pid();
              for (const n of ['pid', 'mnt', 'uts', 'ipc', 'net']) ns[n] = [nsLink(pid, n), nsLink('self', n)];
            }
            return 'G';
          },
        },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.lines[0]!, /^PID \d+$/, 'PID is the first line');
      assert.deepEqual(r.lines.slice(1), ['SYNC hooks']);
      for (const n of ['pid', 'mnt', 'uts', 'ipc']) assert.notEqual(ns[n]![0], ns[n]![1], `${n} namespace is new`);
      assert.equal(ns.net![0], ns.net![1], 'net namespace is shared (not in the clone flags)');

      const [head, mountinfo] = r.stdout.split('--\n') as [string, string];
      const lines = head.trim().split('\n');
      assert.equal(lines[0], 'pid=1');
      assert.equal(lines[1], 'shimtest');
      assert.equal(lines[2], '0');
      assert.deepEqual(lines.slice(3), ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp'], 'ls / shows the rootfs');
      // The old root is gone: only the rootfs and the plan's mounts are visible.
      assert.deepEqual(mountPoints(mountinfo).sort(), ['/', '/dev', '/dev/pts', '/proc']);
      assert.match(mountinfo, / \/proc rw,nosuid,nodev,noexec,\S* - proc /);
      assert.match(mountinfo, new RegExp(` ${sb.rootfs} / `), 'the root mount is the rootfs self-bind');
    }));

  test('CHROOT (--no-pivot) enters the rootfs too', () =>
    withSandbox(async (sb) => {
      const r = await runShim(containerPlan(sb.rootfs, { noPivot: true, args: ['sh', '-c', 'ls /'] }));
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp']);
    }));

  test('bind mounts: read-only dir, file bind, nested targets created', () =>
    withSandbox(async (sb) => {
      const hostdir = path.join(sb.base, 'hostdir');
      fs.mkdirSync(hostdir);
      fs.writeFileSync(path.join(hostdir, 'in.txt'), 'from-host-dir\n');
      const hostfile = path.join(sb.base, 'hello.txt');
      fs.writeFileSync(hostfile, 'hello-file\n');
      const r = await runShim(containerPlan(sb.rootfs, {
        beforePivot: [
          { op: 'MOUNT', args: [hostdir, '/data', '', MS.BIND | MS.REC, '', MS.RDONLY, 0, 'd'] },
          { op: 'MOUNT', args: [hostfile, '/etc/hello.txt', '', MS.BIND, '', 0, 0, 'f'] },
          { op: 'MOUNT', args: ['tmpfs', '/a/b/c', 'tmpfs', MS.NOEXEC, 'size=1m', 0, MS.PRIVATE, 'd'] },
        ],
        args: ['sh', '-c',
          'cat /etc/hello.txt /data/in.txt; if echo x > /data/new; then echo WROTE; else echo RO; fi; ' +
          'touch /a/b/c/ok && echo TMPFS-RW; cat /proc/self/mountinfo'],
      }));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^hello-file\nfrom-host-dir\nRO\nTMPFS-RW\n/);
      const data = r.stdout.split('\n').find((l) => l.split(' ')[4] === '/data');
      assert.ok(data, 'mount on /data');
      assert.match(data, / \/data ro,/, '/data is read-only');
      assert.ok(mountPoints(r.stdout).includes('/etc/hello.txt'));
      const abc = r.stdout.split('\n').find((l) => l.split(' ')[4] === '/a/b/c');
      assert.ok(abc && !/ shared:/.test(abc), 'propagation applied (private)');
      assert.ok(!fs.existsSync(path.join(hostdir, 'new')), 'nothing written to the host dir');
      assert.ok(fs.statSync(path.join(sb.rootfs, 'a/b/c')).isDirectory(), 'missing dirs created in the rootfs');
      assert.ok(fs.statSync(path.join(sb.rootfs, 'etc/hello.txt')).isFile(), 'file target created');
    }));

  test('symlinks in the rootfs cannot lead mount targets outside it', () =>
    withSandbox(async (sb) => {
      const name = `oci-ts-escape-${randomBytes(4).toString('hex')}`;
      const hostEtc = ['', '-rel', '-dot', '-file'].map((s) => `/etc/${name}${s}`);
      fs.symlinkSync('/etc', path.join(sb.rootfs, 'evil'));
      fs.mkdirSync(path.join(sb.rootfs, 'deep'));
      fs.symlinkSync('../../../../../../../etc', path.join(sb.rootfs, 'deep/link'));
      const hostfile = path.join(sb.base, 'f.txt');
      fs.writeFileSync(hostfile, 'f\n');
      try {
        const r = await runShim(containerPlan(sb.rootfs, {
          beforePivot: [
            { op: 'MOUNT', args: ['tmpfs', `/evil/${name}`, 'tmpfs', 0, '', 0, 0, 'd'] },
            { op: 'MOUNT', args: ['tmpfs', `/deep/link/${name}-rel`, 'tmpfs', 0, '', 0, 0, 'd'] },
            { op: 'MOUNT', args: ['tmpfs', `/../../../etc/${name}-dot`, 'tmpfs', 0, '', 0, 0, 'd'] },
            { op: 'MOUNT', args: [hostfile, `/evil/${name}-file`, '', MS.BIND, '', 0, 0, 'f'] },
          ],
          args: ['cat', '/proc/self/mountinfo'],
        }));
        assert.equal(r.code, 0, r.stderr + r.lines.join('\n'));
        const mps = mountPoints(r.stdout);
        for (const p of hostEtc) {
          assert.ok(!fs.existsSync(p), `${p} must not be created on the host`);
          assert.ok(fs.existsSync(path.join(sb.rootfs, p)), `${p} created inside the rootfs`);
          assert.ok(mps.includes(p), `${p} mounted inside the container`);
        }
      } finally {
        for (const p of hostEtc) fs.rmSync(p, { recursive: true, force: true });
      }
    }));

  test('magic links inside the rootfs are refused', () =>
    withSandbox(async (sb) => {
      fs.symlinkSync('/proc/self/root/etc', path.join(sb.rootfs, 'magic'));
      const r = await runShim(containerPlan(sb.rootfs, {
        beforePivot: [{ op: 'MOUNT', args: ['tmpfs', '/magic/x', 'tmpfs', 0, '', 0, 0, 'd'] }],
        args: ['true'],
      }));
      assert.equal(r.code, 1);
      assert.equal(errorOf(r), 'mount tmpfs to /magic/x: too many levels of symbolic links');
    }));

  test('LOOKUP errors match Go exec.LookPath / runc', () =>
    withSandbox(async (sb) => {
      fs.writeFileSync(path.join(sb.rootfs, 'etc/plain'), 'not a program\n', { mode: 0o644 });
      const cases: Array<[string, string, string]> = [
        ['/bin/nonexistent', '/bin', 'exec: "/bin/nonexistent": stat /bin/nonexistent: no such file or directory'],
        ['nosuchcmd', '/bin:/usr/bin', 'exec: "nosuchcmd": executable file not found in $PATH'],
        ['nosuchcmd', '', 'exec: "nosuchcmd": executable file not found in $PATH'],
        ['/etc', '/bin', 'exec: "/etc": permission denied'],
        ['/etc/plain', '/bin', 'exec: "/etc/plain": permission denied'],
        ['/etc/plain/x', '/bin', 'exec: "/etc/plain/x": stat /etc/plain/x: not a directory'],
        ['plain', '/etc', 'exec: "plain": executable file not found in $PATH'],
      ];
      for (const [arg0, pathEnv, want] of cases) {
        const r = await runShim(containerPlan(sb.rootfs, { args: [arg0], pathEnv }));
        assert.equal(errorOf(r), want, `${arg0} in ${pathEnv}`);
        assert.equal(r.code, 1);
        assert.equal(r.stdout, '');
      }
      // found in a later PATH entry; an empty entry is the cwd ("/" here)
      const ok = await runShim(containerPlan(sb.rootfs, { args: ['echo', 'found'], pathEnv: '/nowhere::/bin' }));
      assert.equal(ok.code, 0, ok.lines.join('\n'));
      assert.equal(ok.stdout, 'found\n');
      fs.writeFileSync(path.join(sb.rootfs, 'garbage'), 'neither ELF nor #!\n', { mode: 0o755 });
      const cwd = await runShim(containerPlan(sb.rootfs, { args: ['garbage'], pathEnv: '/bin:' }));
      // found in the cwd entry, then execve fails: exit 255 with Go's text
      assert.equal(errorOf(cwd), 'exec: "garbage": exec format error');
      assert.equal(cwd.code, 255);
    }));

  test('run mode propagates the exit code', () =>
    withSandbox(async (sb) => {
      const r = await runShim(containerPlan(sb.rootfs, { args: ['sh', '-c', 'exit 42'] }));
      assert.equal(r.code, 42);
      // killed by a signal: 128+N (no pid namespace, so pid 1's signal protection does not apply)
      const k = await runShim(containerPlan(sb.rootfs, { cloneFlags: CLONE.NEWNS, args: ['sh', '-c', 'kill -TERM $$'] }));
      assert.equal(k.code, 143);
    }));

  test('run mode forwards signals to the container', () =>
    withSandbox(async (sb) => {
      // pid 1 of a pid namespace only gets signals it handles: trap TERM
      let run = startShim(containerPlan(sb.rootfs, {
        args: ['sh', '-c', 'trap "exit 7" TERM; echo ready; while :; do sleep 0.05; done'],
      }));
      try {
        await run.until('ready', () => run.stdout.includes('ready'));
        run.child.kill('SIGTERM');
        assert.equal((await run.closed).code, 7);
      } finally {
        await run.stop();
      }
      // without a pid namespace the default action applies: 128+SIGHUP
      run = startShim(containerPlan(sb.rootfs, { cloneFlags: CLONE.NEWNS, args: ['sh', '-c', 'echo ready; exec sleep 30'] }));
      try {
        const pid = await run.pid();
        await poll('sleep', () => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'));
        run.child.kill('SIGHUP');
        assert.equal((await run.closed).code, 129);
      } finally {
        await run.stop();
      }
    }));

  test('SYNC answered with anything but G aborts the child', () =>
    withSandbox(async (sb) => {
      const r = await runShim(containerPlan(sb.rootfs, { args: ['echo', 'never'] }), { onSync: () => 'X' });
      assert.equal(r.code, 1);
      assert.deepEqual(r.lines.slice(1), ['SYNC hooks']);
      assert.equal(r.stdout, '');
    }));

  test('create mode: parent exits at once, FIFO + WAIT_START hold the container until start', () =>
    withSandbox(async (sb) => {
      const fifo = path.join(sb.base, 'exec.fifo');
      let parentExit: number | null | undefined;
      const run = startShim(
        containerPlan(sb.rootfs, {
          mode: 'create', fifo,
          beforeExec: [{ op: 'READY', args: [] }, { op: 'WAIT_START', args: [] }],
          args: ['echo', 'started'],
        }),
        {
          onSync: async (tag, r) => {
            // the parent is gone while the child still waits here
            if (tag === 'hooks') parentExit = (await r.exited).code;
            return 'G';
          },
        },
      );
      let fd: number | undefined;
      try {
        const pid = await run.pid();
        await run.line('READY');
        assert.equal(parentExit, 0);
        const st = fs.statSync(fifo);
        assert.ok(st.isFIFO());
        assert.equal(st.mode & 0o777, 0o622);
        await sleep(300);
        assert.equal(run.stdout, '', 'blocked before start');
        assert.match(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'), /^\d+ \(oci-ts-shim\) S /, 'still the shim, sleeping');

        fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        const got = await poll('fifo byte', () => {
          const b = Buffer.alloc(8);
          try {
            const n = fs.readSync(fd!, b);
            return n > 0 ? b.subarray(0, n).toString() : undefined;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return undefined;
            throw e;
          }
        }, 5000);
        assert.equal(got, '0');
        const r = await run.closed;
        assert.equal(r.stdout, 'started\n');
        assert.deepEqual(r.lines.slice(1), ['SYNC hooks', 'READY']);
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
        await run.stop();
      }
    }));

  test('only stdio and the preserved fds reach the container', () =>
    withSandbox(async (sb) => {
      const keep = path.join(sb.base, 'preserved.txt');
      fs.writeFileSync(keep, 'kept\n');
      const keepFd = fs.openSync(keep, 'r');
      const run = startShim(
        containerPlan(sb.rootfs, {
          fifo: path.join(sb.base, 'exec.fifo'),
          closeFrom: 4,
          args: ['sh', '-c', 'cat <&3; exec sleep 30'],
        }),
        { preserveFds: [keepFd] },
      );
      try {
        const pid = await run.pid();
        await poll('sleep', () => run.stdout === 'kept\n' &&
          fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'));
        assert.deepEqual(fs.readdirSync(`/proc/${pid}/fd`).sort(), ['0', '1', '2', '3']);
      } finally {
        fs.closeSync(keepFd);
        await run.stop();
      }
    }));

  test('CONSOLE sends the pty master to the console socket and makes it the controlling tty', () =>
    withSandbox(async (sb) => {
      const sock = path.join(sb.base, 'console.sock');
      const server = await startConsoleServer(sock);
      try {
        const r = await runShim(containerPlan(sb.rootfs, {
          consoleSocket: sock,
          console: { rows: 30, cols: 100 },
          beforePivot: [{ op: 'MKNOD', args: ['/dev/console', S_IFCHR | 0o600, 5, 1, 0, 0, ''] }],
          args: ['sh', '-c', 'tty; stty size; grep -c " /dev/console " /proc/self/mountinfo; echo done'],
        }));
        assert.equal(r.code, 0, r.lines.join('\n'));
        const c = await server.result;
        assert.equal(c.name, '/dev/ptmx');
        assert.equal(c.nfds, 1);
        assert.equal(c.out.replace(/\r/g, ''), '/dev/pts/0\n30 100\n1\ndone\n');
        assert.equal(r.stdout, '', 'stdio went to the pty');
      } finally {
        server.kill();
      }
    }));

  test('user, capabilities, bounding set, rlimits, umask, cwd, oom score', () =>
    withSandbox(async (sb) => {
      const priv = path.join(sb.rootfs, 'private');
      fs.mkdirSync(priv, { mode: 0o700 });
      fs.chownSync(priv, 1000, 1000);
      const CHOWN = 0, KILL = 5, SETGID = 6, SETUID = 7, SETPCAP = 8, NET_BIND = 10;
      const mask = (1 << CHOWN) | (1 << KILL) | (1 << NET_BIND);
      const all = BigInt('0x' + statusField(fs.readFileSync('/proc/self/status', 'utf8'), 'CapPrm'));
      const r = await runShim(containerPlan(sb.rootfs, {
        beforeExec: [
          { op: 'OOM_SCORE', args: ['123'] },
          { op: 'RLIMIT', args: [7, 1024, 2048] },
          { op: 'UMASK', args: ['027'] },
          // no DAC override while changing dir: EACCES, retried as uid 1000 after SETUSER
          { op: 'CAPS', args: [(1 << SETUID) | (1 << SETGID) | (1 << SETPCAP), all, 0] },
          { op: 'CHDIR', args: ['/private'] },
          { op: 'BOUNDING', args: [mask] },
          { op: 'SETUSER', args: [1000, 1000, '10,20'] },
          { op: 'CAPS', args: [mask, mask, mask] },
          { op: 'AMBIENT', args: [1 << NET_BIND] },
          { op: 'NO_NEW_PRIVS', args: [] },
        ],
        args: ['sh', '-c', 'cat /proc/self/status; echo --; umask; pwd; ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj'],
      }));
      assert.equal(r.code, 0, r.lines.join('\n') + r.stderr);
      const [status, rest] = r.stdout.split('--\n') as [string, string];
      assert.equal(statusField(status, 'Uid'), '1000\t1000\t1000\t1000');
      assert.equal(statusField(status, 'Gid'), '1000\t1000\t1000\t1000');
      assert.equal(statusField(status, 'Groups'), '10 20');
      assert.equal(statusField(status, 'CapInh'), hex(mask));
      assert.equal(statusField(status, 'CapPrm'), hex(1 << NET_BIND), 'non-root exec keeps only ambient');
      assert.equal(statusField(status, 'CapEff'), hex(1 << NET_BIND));
      assert.equal(statusField(status, 'CapBnd'), hex(mask));
      assert.equal(statusField(status, 'CapAmb'), hex(1 << NET_BIND));
      assert.equal(statusField(status, 'NoNewPrivs'), '1');
      assert.deepEqual(rest.trim().split('\n'), ['0027', '/private', '1024', '2048', '123']);

      // without a SETUSER after it, EACCES is final
      const denied = await runShim(containerPlan(sb.rootfs, {
        beforeExec: [{ op: 'CAPS', args: [0, all, 0] }, { op: 'CHDIR', args: ['/private'] }],
        args: ['true'],
      }));
      assert.equal(errorOf(denied), 'chdir to cwd ("/private") set in config.json failed: permission denied');
    }));

  test('RLIMIT EPERM text', () =>
    withSandbox(async (sb) => {
      const inf = '18446744073709551615';
      const r = await runShim(containerPlan(sb.rootfs, { beforeExec: [{ op: 'RLIMIT', args: [7, inf, inf] }], args: ['true'] }));
      assert.equal(r.code, 1);
      assert.equal(errorOf(r), 'error setting rlimit type 7: operation not permitted');
    }));

  test('mask, readonly paths, read-only root, sysctl and domain name', () =>
    withSandbox(async (sb) => {
      fs.mkdirSync(path.join(sb.rootfs, 'secret'));
      fs.writeFileSync(path.join(sb.rootfs, 'secret/x'), 'secret\n');
      const r = await runShim(containerPlan(sb.rootfs, {
        afterPivot: [
          { op: 'WRITE_FILE', args: ['/proc/sys/kernel/msgmax', '12345'] },
          { op: 'MASK', args: ['/proc/timer_list'] },
          { op: 'MASK', args: ['/secret'] },
          { op: 'MASK', args: ['/does/not/exist'] },
          { op: 'READONLY', args: ['/proc/sys'] },
          { op: 'READONLY', args: ['/nor/this'] },
          { op: 'REMOUNT_RO', args: ['/'] },
          { op: 'HOSTNAME', args: ['h'] },
          { op: 'DOMAINNAME', args: ['example.test'] },
        ],
        args: ['sh', '-c',
          'cat /proc/sys/kernel/msgmax; wc -c < /proc/timer_list; ls -A /secret | wc -l; ' +
          'touch /secret/y && echo SECRET-WRITABLE; ' +
          '(echo 1 > /proc/sys/kernel/msgmax) && echo SYSCTL-WRITABLE; ' +
          'touch /newfile && echo ROOT-WRITABLE; ' +
          'cat /proc/sys/kernel/domainname; hostname; echo end'],
      }));
      assert.equal(r.code, 0, r.lines.join('\n'));
      assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim()), ['12345', '0', '0', 'example.test', 'h', 'end']);
      assert.ok(!fs.existsSync(path.join(sb.rootfs, 'newfile')));
      assert.equal(fs.readFileSync(path.join(sb.rootfs, 'secret/x'), 'utf8'), 'secret\n', 'masked, not touched');
    }));

  test('SECCOMP loads a raw BPF program', { skip: process.arch !== 'x64' && 'x86-64 syscall numbers' }, () =>
    withSandbox(async (sb) => {
      const LD_ABS = 0x20, JEQ = 0x15, RET = 0x06;
      const insns: Array<[number, number, number, number]> = [
        [LD_ABS, 0, 0, 4],                  // arch
        [JEQ, 0, 3, 0xc000003e],            // not x86-64: allow
        [LD_ABS, 0, 0, 0],                  // syscall nr
        [JEQ, 2, 0, 83],                    // mkdir
        [JEQ, 1, 0, 258],                   // mkdirat
        [RET, 0, 0, 0x7fff0000],            // SECCOMP_RET_ALLOW
        [RET, 0, 0, 0x00050000 | 1],        // SECCOMP_RET_ERRNO | EPERM
      ];
      const bpf = Buffer.alloc(insns.length * 8);
      insns.forEach(([code, jt, jf, k], i) => {
        bpf.writeUInt16LE(code, i * 8);
        bpf.writeUInt8(jt, i * 8 + 2);
        bpf.writeUInt8(jf, i * 8 + 3);
        bpf.writeUInt32LE(k, i * 8 + 4);
      });
      const r = await runShim(containerPlan(sb.rootfs, {
        beforeExec: [{ op: 'NO_NEW_PRIVS', args: [] }, { op: 'SECCOMP', args: [0, bpf] }],
        args: ['sh', '-c', 'mkdir /tmp/blocked 2>&1; echo rc=$?; touch /tmp/allowed && echo touched'],
      }));
      assert.equal(r.code, 0, r.lines.join('\n'));
      assert.match(r.stdout, /Operation not permitted\nrc=1\ntouched\n$/);
      assert.ok(!fs.existsSync(path.join(sb.rootfs, 'tmp/blocked')));

      const bad = await runShim(containerPlan(sb.rootfs, {
        beforeExec: [{ op: 'SECCOMP', args: [0, Buffer.alloc(5)] }], args: ['true'],
      }));
      assert.equal(errorOf(bad), 'seccomp: bad filter length 5: invalid argument');
    }));

  test('exec plan: JOIN_NS into a running container, MODE exec, CLONE 0', () =>
    withSandbox(async (sb) => {
      const ctr = startShim(containerPlan(sb.rootfs, {
        afterPivot: [{ op: 'HOSTNAME', args: ['joined'] }],
        args: ['sh', '-c', 'echo up; exec sleep 30'],
      }));
      try {
        const pid = await ctr.pid();
        await ctr.until('up', () => ctr.stdout === 'up\n');
        const nsOps: PlanOp[] = ([['ipc', CLONE.NEWIPC], ['uts', CLONE.NEWUTS], ['pid', CLONE.NEWPID], ['mnt', CLONE.NEWNS]] as const)
          .map(([n, flag]) => ({ op: 'JOIN_NS', args: [flag, `/proc/${pid}/ns/${n}`] }));
        const r = await runShim([
          ...nsOps,
          { op: 'MODE', args: ['exec'] },
          { op: 'CLONE', args: [0] },
          { op: 'LOOKUP', args: ['sh', '/bin'] },
          { op: 'CLOSE_FDS', args: [3] },
          { op: 'EXEC', args: [3, 'sh', '-c', 'hostname; echo $$; readlink /proc/self/ns/pid; ls /; exit 3', 'PATH=/bin'] },
        ]);
        assert.equal(r.code, 3, r.lines.join('\n') + r.stderr);
        const [host, innerPid, pidns, ...ls] = r.stdout.trim().split('\n');
        assert.equal(host, 'joined');
        assert.notEqual(innerPid, '1');
        assert.equal(pidns, nsLink(pid, 'pid'));
        assert.deepEqual(ls, ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp']);

        const missing = await runShim([{ op: 'JOIN_NS', args: [CLONE.NEWNS, '/proc/0/ns/nope'] }, { op: 'CLONE', args: [0] }]);
        assert.equal(errorOf(missing), 'open /proc/0/ns/nope: no such file or directory');
      } finally {
        await ctr.stop();
      }
    }));

  test('user namespace: ID_MAP maps written by the parent after the clone, MKNOD falls back to a bind of the host node', () =>
    withSandbox(async (sb) => {
      const r = await runShim(
        containerPlan(sb.rootfs, {
          cloneFlags: NS_FLAGS | CLONE.NEWUSER,
          beforeClone: [{ op: 'ID_MAP', args: ['uid_map', '0 100000 65536\n'] }, { op: 'ID_MAP', args: ['gid_map', '0 200000 65536\n'] }],
          // become root of the new user namespace (the maps exist before the child runs an op)
          afterClone: [{ op: 'SETUSER', args: [0, 0, ''] }],
          args: ['sh', '-c', 'id -u; cat /proc/self/uid_map; cat /proc/self/gid_map; ls -ln /dev/null; echo x > /dev/null && echo null-ok; grep " /dev/null " /proc/self/mountinfo | wc -l'],
        }),
      );
      assert.equal(r.code, 0, r.lines.join('\n') + r.stderr);
      const out = r.stdout.trim().split('\n').map((l) => l.trim());
      assert.equal(out[0], '0');
      assert.match(out[1]!, /^0\s+100000\s+65536$/);
      assert.match(out[2]!, /^0\s+200000\s+65536$/);
      assert.match(out[3]!, /^crw-rw-rw-\s+1\s+65534\s+65534\s+1,\s+3 /, 'the host /dev/null, bind-mounted');
      assert.equal(out[4], 'null-ok');
      assert.equal(out[5], '1');
    }));

  test('INIT_CHECK: the process must be alive with the recorded start time, or nothing is cloned', () =>
    withSandbox(async (sb) => {
      const target = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        const pid = target.pid!;
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
        const plan = (startTime: string): PlanOp[] => containerPlan(sb.rootfs, {
          beforeClone: [{ op: 'INIT_CHECK', args: [pid, startTime] }],
          args: ['echo', 'ran'],
        });
        const ok = await runShim(plan(start));
        assert.equal(ok.code, 0, ok.lines.join('\n') + ok.stderr);
        assert.equal(ok.stdout, 'ran\n');
        // Another start time: a process that took a dead init's pid.
        const other = await runShim(plan(String(Number(start) + 1)));
        assert.equal(other.code, 1);
        assert.equal(errorOf(other), 'the container\'s init process is gone');
        assert.ok(!other.lines.some((l) => l.startsWith('PID')), 'nothing cloned');
        assert.equal(other.stdout, '', 'the program never ran');
        target.kill('SIGKILL');
        await new Promise((r) => target.once('exit', r));
        const gone = await runShim(plan(start));
        assert.equal(errorOf(gone), 'the container\'s init process is gone');
      } finally {
        target.kill('SIGKILL');
      }
    }));

  test('CGROUP_JOIN: the init is in the cgroup before its first op; a bad file is refused before the clone', () =>
    withSandbox(async (sb) => {
      const dir = `/sys/fs/cgroup/pids/oci-ts-shimtest-${process.pid}`;
      fs.mkdirSync(dir);
      try {
        const r = await runShim(
          containerPlan(sb.rootfs, {
            beforeClone: [{ op: 'CGROUP_JOIN', args: [path.join(dir, 'cgroup.procs')] }],
            args: ['sh', '-c', 'cat /proc/self/cgroup'],
          }),
        );
        assert.equal(r.code, 0, r.lines.join('\n') + r.stderr);
        assert.match(r.stdout, new RegExp(`^\\d+:pids:/oci-ts-shimtest-${process.pid}$`, 'm'));

        const bad = await runShim(
          containerPlan(sb.rootfs, {
            beforeClone: [{ op: 'CGROUP_JOIN', args: [path.join(dir, 'no-such-file')] }],
            args: ['echo', 'never'],
          }),
        );
        assert.equal(bad.code, 1);
        assert.equal(errorOf(bad), `open ${dir}/no-such-file: no such file or directory`);
        assert.ok(!bad.lines.some((l) => l.startsWith('PID')), 'nothing cloned');
      } finally {
        fs.rmdirSync(dir);
      }
    }));
});
