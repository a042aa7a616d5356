/**
 * Known container-runtime attacks, each performed for real against dist/oci-ts, from inside a
 * container or through a hostile bundle, followed by a check that the host is unchanged: a
 * canary directory outside the rootfs (that the hostile symlinks point at) stays as it was, the
 * runtime binary keeps its hash, host files keep their content, no mount escapes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBundle, type TestSpec } from '../helpers/bundle';
import { ociTsBinary, removeCgroupTree, repoRoot, sandbox, skipReason, statusField, type Sandbox } from '../helpers/runtime';
import { startConsoleServer } from '../helpers/shim-harness';
import { crashSignature, forceClean, runCli, waitNoLeftovers, type CliResult, type LeakScope } from '../fuzz/host-check';

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const CG_PARENT = `oci-ts-cve-${RUN}`;
let sb: Sandbox;
let canary = '';
let n = 0;

interface Box {
  id: string;
  dir: string;
  rootfs: string;
  scope: LeakScope;
}

function box(tag: string, patch?: (s: TestSpec) => void): Box {
  const id = `cve${++n}-${tag}`;
  const cgroup = `${CG_PARENT}/${id}`;
  const dir = makeBundle(path.join(sb.dir, id), (s) => {
    s.process.args = ['/bin/sleep', '1000'];
    s.linux.cgroupsPath = `/${cgroup}`;
    patch?.(s);
  });
  return { id, dir, rootfs: path.join(dir, 'rootfs'), scope: { root: sb.root, id, paths: [dir], cgroup } };
}

function cli(args: string[]): CliResult {
  const r = runCli(sb.root, args);
  assert.equal(crashSignature(r.output), undefined, `${args.join(' ')}: ${r.output}`);
  return r;
}

function pidOf(id: string): number {
  const r = cli(['state', id]);
  assert.equal(r.status, 0, r.output);
  return (JSON.parse(r.output) as { pid: number }).pid;
}

/** Remove the container; nothing of it may stay. */
function finish(b: Box): void {
  try {
    cli(['delete', '--force', b.id]);
    assert.deepEqual(waitNoLeftovers(b.scope), []);
  } finally {
    forceClean(b.scope);
  }
}

function canaryUnchanged(): void {
  assert.deepEqual(fs.readdirSync(canary).sort(), ['keep'], 'nothing was created in the canary directory');
  assert.equal(fs.readFileSync(path.join(canary, 'keep'), 'utf8'), 'host\n');
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(canary));
  assert.deepEqual(mounts, [], 'no mount on the canary in the host mount namespace');
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Mount points (field 5) seen by a process, i.e. inside its root. */
function mountPoints(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split(' ')[4]!);
}

function replaceWithSymlink(p: string, target: string): void {
  fs.rmSync(p, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.symlinkSync(target, p);
}

describe('known attacks (CVE regressions)', { skip: skipReason }, () => {
  before(() => {
    sb = sandbox('cve');
    canary = path.join(sb.dir, 'canary');
    fs.mkdirSync(canary);
    fs.writeFileSync(path.join(canary, 'keep'), 'host\n');
  });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('CVE-2019-5736: /proc/<init>/exe is a sealed private copy; the runtime binary cannot be reached or overwritten', () => {
    const binHash = sha256(ociTsBinary);
    const shimFile = path.join(repoRoot, 'build/oci-ts-shim');
    const shimHash = fs.existsSync(shimFile) ? sha256(shimFile) : '';
    const b = box('exe');
    try {
      assert.equal(cli(['create', '--bundle', b.dir, b.id]).status, 0);
      const exe = `/proc/${pidOf(b.id)}/exe`;
      const st = fs.statSync(exe);
      const bin = fs.statSync(ociTsBinary);
      assert.ok(st.ino !== bin.ino || st.dev !== bin.dev, 'the init does not run dist/oci-ts');
      assert.equal(st.nlink, 0, 'the shim copy has no name on disk');
      assert.equal(st.mode & 0o222, 0, 'the shim copy is read-only');
      // The host side of a created container: writing through /proc/<pid>/exe fails...
      assert.throws(() => fs.openSync(exe, 'r+'), /ETXTBSY|EACCES|EPERM/);
      // ...and the classic trick (an O_PATH fd kept until the process is gone, then reopened
      // for writing) only reaches the private copy: the runtime and its shim are unchanged.
      const held = fs.openSync(exe, 0o10000000 /* O_PATH */);
      try {
        finish(b);
        try {
          const w = fs.openSync(`/proc/self/fd/${held}`, 'r+');
          fs.writeSync(w, '#!/bin/sh\necho pwned\n', 0);
          fs.closeSync(w);
        } catch {
          // refused: fine as well
        }
      } finally {
        fs.closeSync(held);
      }
      assert.equal(sha256(ociTsBinary), binHash, 'dist/oci-ts is unchanged');
      if (shimHash !== '') assert.equal(sha256(shimFile), shimHash, 'build/oci-ts-shim is unchanged');
      // The next container gets a fresh copy and runs.
      const b2 = box('exe2', (s) => { s.process.args = ['/bin/true']; });
      assert.equal(cli(['run', '--bundle', b2.dir, b2.id]).status, 0);
      finish(b2);
    } finally {
      forceClean(b.scope);
    }
  });

  test('CVE-2019-5736 from inside: a container sharing the host pid namespace cannot open the runtime\'s /proc/<pid>/exe', () => {
    const binHash = sha256(ociTsBinary);
    const script = [
      // Parent of the init: the shim supervisor (run mode); its parent: the runtime (node).
      'S=$PPID; R=$(cut -d" " -f4 /proc/$S/stat); echo "S=$S R=$R"',
      'for p in $S $R; do (exec 3</proc/$p/exe && echo OPENED-$p); (echo pwned >> /proc/$p/exe && echo WROTE-$p); done 2>/dev/null',
      'echo done',
    ].join('; ');
    const b = box('exe-in', (s) => {
      s.process.args = ['/bin/sh', '-c', script];
      s.linux.namespaces = s.linux.namespaces.filter((ns: { type: string }) => ns.type !== 'pid');
    });
    try {
      const r = runCli(sb.root, ['run', '--bundle', b.dir, b.id]);
      assert.equal(r.status, 0, r.output);
      assert.match(r.output, /S=\d+ R=\d+/, 'the runtime and the shim are visible: the attack is attempted');
      assert.match(r.output, /done/);
      assert.doesNotMatch(r.output, /OPENED|WROTE/);
      assert.equal(sha256(ociTsBinary), binHash);
    } finally {
      finish(b);
    }
  });

  test('CVE-2024-21626: a cwd through a leaked fd (/proc/self/fd/N) fails cleanly; nothing of the host is reachable', () => {
    const marker = path.join(canary, 'keep');
    // From a cwd that were the host's /proc, ../<canary> would be the host's canary file.
    const probe = `cat ../../../../../../../../../..${marker} 2>/dev/null && echo ESCAPED; readlink /proc/self/cwd`;
    const variants: Array<{ tag: string; cwd: string; noPivot?: boolean; link?: string }> = [];
    for (let fd = 3; fd <= 9; fd++) variants.push({ tag: `fd${fd}`, cwd: `/proc/self/fd/${fd}` });
    variants.push({ tag: 'nopivot', cwd: '/proc/self/fd/5', noPivot: true });
    variants.push({ tag: 'link', cwd: '/work', link: '/proc/self/fd/5' });
    for (const v of variants) {
      const b = box(`cwd-${v.tag}`, (s) => {
        s.process.cwd = v.cwd;
        s.process.args = ['/bin/sh', '-c', probe];
      });
      if (v.link !== undefined) fs.symlinkSync(v.link, path.join(b.rootfs, 'work'));
      try {
        const r = runCli(sb.root, ['run', ...(v.noPivot ? ['--no-pivot'] : []), '--bundle', b.dir, b.id]);
        assert.equal(crashSignature(r.output), undefined, r.output);
        assert.doesNotMatch(r.output, /ESCAPED/, `${v.tag}: the container reached the host`);
        if (r.status !== 0) {
          assert.match(r.output, /outside of container mount namespace root|not a directory|no such file or directory|permission denied/, `${v.tag}: ${r.output}`);
        } else {
          assert.doesNotMatch(r.output, /^\/proc/m, `${v.tag}: cwd ${r.output}`);
        }
      } finally {
        finish(b);
      }
    }
    // exec --cwd: the exec'd process is checked the same way.
    const live = box('cwd-exec');
    try {
      assert.equal(cli(['run', '-d', '--bundle', live.dir, live.id]).status, 0);
      for (let fd = 3; fd <= 9; fd++) {
        const r = runCli(sb.root, ['exec', '--cwd', `/proc/self/fd/${fd}`, live.id, '/bin/sh', '-c', probe]);
        assert.equal(crashSignature(r.output), undefined, r.output);
        assert.doesNotMatch(r.output, /ESCAPED/, `exec --cwd /proc/self/fd/${fd}: the process reached the host`);
        if (r.status === 0) assert.doesNotMatch(r.output, /^\/proc/m, r.output);
      }
    } finally {
      finish(live);
    }
    canaryUnchanged();
  });

  test('CVE-2024-21626: the container process holds fds 0-2 only, from the host\'s view and its own', () => {
    const b = box('fds');
    try {
      assert.equal(cli(['run', '-d', '--bundle', b.dir, b.id]).status, 0);
      const pid = pidOf(b.id);
      assert.deepEqual(fs.readdirSync(`/proc/${pid}/fd`).sort(), ['0', '1', '2']);
      const inside = runCli(sb.root, ['run', '--bundle', makeBundle(path.join(sb.dir, `${b.id}-ls`), (s) => {
        s.process.args = ['/bin/sh', '-c', 'ls /proc/self/fd | tr "\\n" " "'];
        s.linux.cgroupsPath = `/${CG_PARENT}/${b.id}-ls`;
      }), `${b.id}-ls`]);
      assert.equal(inside.status, 0, inside.output);
      assert.equal(inside.output.trim(), '0 1 2 3', 'ls sees 0-2 and its own directory fd');
      finish({ ...b, id: `${b.id}-ls`, scope: { ...b.scope, id: `${b.id}-ls`, cgroup: `${CG_PARENT}/${b.id}-ls` } });
    } finally {
      finish(b);
    }
  });

  test('CVE-2016-9962: a process exec\'d into a created container cannot use the init\'s fds (host /proc) or ptrace it', () => {
    const b = box('exec');
    try {
      assert.equal(cli(['create', '--bundle', b.dir, b.id]).status, 0);
      const init = pidOf(b.id);
      // The init still holds the host's /proc (for WAIT_START): it must not be dumpable.
      const hostProcFd = fs.readdirSync(`/proc/${init}/fd`).find((fd) => fs.readlinkSync(`/proc/${init}/fd/${fd}`) === '/proc');
      assert.equal(statusField(init, 'Uid').split(/\s+/)[0], '0');
      const marker = path.join(canary, 'keep');
      const probe = [
        `ls /proc/1/fd/${hostProcFd ?? 5}/1/root/ >/dev/null 2>&1 && echo ESCAPED-LS`,
        `cat /proc/1/fd/${hostProcFd ?? 5}/1/root${marker} 2>/dev/null && echo ESCAPED-CAT`,
        'cat /proc/1/root/etc/passwd >/dev/null 2>&1 && echo ROOT-OF-INIT',
        'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status',
        'echo probed',
      ].join('; ');
      const r = runCli(sb.root, ['exec', b.id, '/bin/sh', '-c', probe]);
      assert.equal(r.status, 0, r.output);
      assert.match(r.output, /probed/);
      assert.doesNotMatch(r.output, /ESCAPED/, r.output);
      // The exec'd process itself: detached, running, holds only 0-2 and is the container's.
      const d = runCli(sb.root, ['exec', '-d', b.id, '/bin/sleep', '1000']);
      assert.equal(d.status, 0, d.output);
      canaryUnchanged();
    } finally {
      finish(b);
    }
  });

  test('CVE-2019-19921 / CVE-2021-30465 / CVE-2023-27561: mount destinations that are symlinks to host paths land inside the rootfs', () => {
    const b = box('mnt', (s) => {
      s.mounts.push({ destination: '/mnt1', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      s.mounts.push({ destination: '/mnt2/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      s.mounts.push({ destination: '/mnt3', type: 'bind', source: path.join(sb.dir, 'vol-src'), options: ['rbind'] });
    });
    fs.mkdirSync(path.join(sb.dir, 'vol-src'), { recursive: true });
    replaceWithSymlink(path.join(b.rootfs, 'mnt1'), canary); // absolute host path
    replaceWithSymlink(path.join(b.rootfs, 'mnt2'), `../../../../../../../../../..${canary}`); // relative escape
    replaceWithSymlink(path.join(b.rootfs, 'mnt3'), '/proc/self/root' + canary); // through a magic link
    replaceWithSymlink(path.join(b.rootfs, 'proc'), canary); // CVE-2019-19921: /proc itself
    try {
      const r = cli(['create', '--bundle', b.dir, b.id]);
      if (r.status === 0) {
        const pid = pidOf(b.id);
        const inside = mountPoints(pid);
        assert.ok(inside.includes(canary), 'the tmpfs and proc mounts landed on the in-rootfs path of the symlink');
        assert.ok(fs.statSync(path.join(b.rootfs, canary)).isDirectory(), 'the mount point was made inside the rootfs');
      } else {
        assert.match(r.output, /mount|symbolic links|no such file/, r.output);
      }
      canaryUnchanged();
    } finally {
      finish(b);
    }
    canaryUnchanged();
  });

  test('CVE-2021-30465: a mount destination raced by a host-side symlink swap stays inside the rootfs', async () => {
    const b = box('race', (s) => {
      s.mounts.push({ destination: '/vol/x/y', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    });
    const volX = path.join(b.rootfs, 'vol', 'x');
    fs.mkdirSync(volX, { recursive: true });
    // Swap vol/x between a directory and a symlink to the host canary, as fast as possible.
    const racer: ChildProcess = spawn(process.execPath, ['-e', `
      const fs = require('fs');
      const x = ${JSON.stringify(volX)}, d = x + '.d', l = x + '.l';
      fs.mkdirSync(d, { recursive: true });
      for (;;) {
        try { fs.rmSync(l, { force: true }); fs.symlinkSync(${JSON.stringify(canary)}, l); fs.renameSync(l, x); } catch {}
        try { fs.rmSync(x, { force: true }); fs.renameSync(d, x); fs.mkdirSync(d, { recursive: true }); } catch {}
      }`], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 6; i++) {
        const id = `${b.id}-${i}`;
        const r = runCli(sb.root, ['create', '--bundle', b.dir, id]);
        assert.equal(crashSignature(r.output), undefined, r.output);
        cli(['delete', '--force', id]);
        canaryUnchanged();
      }
    } finally {
      racer.kill('SIGKILL');
      await new Promise((r) => racer.once('exit', r));
      for (let i = 0; i < 6; i++) forceClean({ ...b.scope, id: `${b.id}-${i}` });
      finish(b);
    }
    canaryUnchanged();
  });

  test('CVE-2025-31133: /dev/null replaced by a symlink is never used to mask a path', () => {
    const corePattern = fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    for (const target of ['/proc/sys/kernel/core_pattern', '/etc/passwd', canary + '/keep']) {
      // No /dev tmpfs: the rootfs's own /dev/null is what masking would bind.
      const b = box('devnull', (s) => {
        s.mounts = s.mounts.filter((m: { destination: string }) => !m.destination.startsWith('/dev'));
        s.linux.maskedPaths = [...s.linux.maskedPaths, '/etc/masked-file'];
      });
      fs.writeFileSync(path.join(b.rootfs, 'etc/masked-file'), 'secret\n');
      replaceWithSymlink(path.join(b.rootfs, 'dev/null'), target);
      try {
        const r = cli(['create', '--bundle', b.dir, b.id]);
        if (r.status === 0) {
          // Masking went ahead: then only with a real null device (char 1:3).
          const st = fs.statSync(`/proc/${pidOf(b.id)}/root/etc/masked-file`);
          assert.ok(st.isCharacterDevice() && st.rdev === 0x103, `/etc/masked-file is masked by the null device (${target})`);
        } else {
          assert.match(r.output, /\/dev\/null/, r.output);
        }
      } finally {
        finish(b);
      }
    }
    assert.equal(fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), corePattern);
    canaryUnchanged();
  });

  // Many masked files: each MASK is one more chance for a racer to win a check-then-mount window.
  const MASKED_FILES = Array.from({ length: 40 }, (_, i) => `/etc/masked-${i}`);
  test('CVE-2025-31133: /dev/null raced between the null device and a symlink never masks with anything else', async (t) => {
    const b = box('nullrace', (s) => {
      s.mounts = s.mounts.filter((m: { destination: string }) => !m.destination.startsWith('/dev'));
      s.linux.maskedPaths = [...s.linux.maskedPaths, ...MASKED_FILES];
    });
    for (const f of MASKED_FILES) fs.writeFileSync(path.join(b.rootfs, f), 'secret\n');
    const devNull = path.join(b.rootfs, 'dev', 'null');
    fs.rmSync(devNull, { force: true });
    // Swap dev/null between a real null device and a symlink to a procfs file, atomically
    // (rename), as fast as possible: a stat-then-mount check would be fooled sooner or later.
    const dev = path.dirname(devNull);
    execFileSync('mknod', [path.join(dev, 'null.c'), 'c', '1', '3']);
    const racer: ChildProcess = spawn(process.execPath, ['-e', `
      const fs = require('fs'), p = require('path');
      const d = ${JSON.stringify(dev)}, n = p.join(d, 'null'), c = p.join(d, 'null.c');
      const t1 = p.join(d, '.n1'), t2 = p.join(d, '.n2');
      // Mostly the null device, a symlink now and then: a create must either refuse or mask with
      // the device, never with the symlink's target.
      for (let i = 0; ; i++) {
        try { fs.rmSync(t1, { force: true }); fs.linkSync(c, t1); fs.renameSync(t1, n); } catch {}
        if (i % 16 === 0) try { fs.rmSync(t2, { force: true }); fs.symlinkSync('/proc/sys/kernel/core_pattern', t2); fs.renameSync(t2, n); } catch {}
      }`], { stdio: 'ignore' });
    const ids: string[] = [];
    try {
      const deadline = Date.now() + 8000;
      let created = 0;
      for (let i = 0; i < 12 && Date.now() < deadline; i++) {
        const id = `${b.id}-${i}`;
        ids.push(id);
        const r = runCli(sb.root, ['create', '--bundle', b.dir, id]);
        assert.equal(crashSignature(r.output), undefined, r.output);
        if (r.status === 0) {
          created++;
          // Each masked by the null device itself, whatever the racer did in between.
          for (const f of MASKED_FILES) {
            const st = fs.statSync(`/proc/${pidOf(id)}/root${f}`);
            assert.ok(st.isCharacterDevice() && st.rdev === 0x103, `run ${i}: ${f} is masked by char 1:3`);
          }
        }
        cli(['delete', '--force', id]);
      }
      assert.ok(ids.length >= 3, 'the race ran for a few creates');
      t.diagnostic(`${created} of ${ids.length} creates went ahead under the race`);
    } finally {
      racer.kill('SIGKILL');
      await new Promise((r) => racer.once('exit', r));
      for (const id of ids) forceClean({ ...b.scope, id });
      finish(b);
    }
    canaryUnchanged();
  });

  test('CVE-2025-31133: a masked path replaced by a symlink to a host path masks nothing of the host', () => {
    const b = box('masklink', (s) => { s.linux.maskedPaths = [...s.linux.maskedPaths, '/etc/secret', '/etc/secretdir']; });
    replaceWithSymlink(path.join(b.rootfs, 'etc/secret'), canary + '/keep');
    replaceWithSymlink(path.join(b.rootfs, 'etc/secretdir'), canary);
    try {
      const r = cli(['create', '--bundle', b.dir, b.id]);
      assert.ok(r.status === 0 || /mask/.test(r.output), r.output);
      canaryUnchanged();
    } finally {
      finish(b);
    }
  });

  test('CVE-2025-52565: /dev/console as a symlink is refused, the console is never bound onto its target', async () => {
    for (const target of ['/etc/target', '/proc/sys/kernel/hostname', canary + '/keep']) {
      const b = box('console', (s) => {
        s.process.terminal = true;
        s.mounts = s.mounts.filter((m: { destination: string }) => m.destination !== '/dev');
      });
      fs.writeFileSync(path.join(b.rootfs, 'etc/target'), 'target\n');
      replaceWithSymlink(path.join(b.rootfs, 'dev/console'), target);
      const sock = path.join(sb.dir, `${b.id}.sock`);
      const server = await startConsoleServer(sock);
      try {
        const r = cli(['create', '--bundle', b.dir, '--console-socket', sock, b.id]);
        if (r.status === 0) {
          const inside = mountPoints(pidOf(b.id));
          assert.ok(!inside.includes(target), `no mount on ${target}`);
        } else {
          assert.match(r.output, /\/dev\/console is a symlink/, r.output);
        }
      } finally {
        server.kill();
        finish(b);
      }
    }
    canaryUnchanged();
  });

  test('CVE-2025-52881: a sysctl write redirected by a /proc symlink into a volume never reaches the host file', () => {
    const vol = path.join(sb.dir, 'sysctl-vol');
    fs.mkdirSync(path.join(vol, 'sys/kernel'), { recursive: true });
    fs.writeFileSync(path.join(vol, 'sys/kernel/domainname'), 'host-file\n');
    fs.mkdirSync(path.join(vol, 'self'), { recursive: true });
    fs.writeFileSync(path.join(vol, 'self/oom_score_adj'), 'host-file\n');
    const b = box('sysctl', (s) => {
      s.linux.sysctl = { 'kernel.domainname': 'pwned' };
      s.process.oomScoreAdj = 500;
      // proc is mounted through the symlink first, then the volume covers it.
      s.mounts.splice(1, 0, { destination: '/vol', type: 'bind', source: vol, options: ['rbind'] });
    });
    replaceWithSymlink(path.join(b.rootfs, 'proc'), '/vol');
    fs.mkdirSync(path.join(b.rootfs, 'vol'));
    try {
      const r = cli(['create', '--bundle', b.dir, b.id]);
      assert.notEqual(r.status, 0, 'the redirected sysctl write is refused');
      assert.match(r.output, /not a file of a procfs mount/, r.output);
      assert.equal(fs.readFileSync(path.join(vol, 'sys/kernel/domainname'), 'utf8'), 'host-file\n');
      assert.equal(fs.readFileSync(path.join(vol, 'self/oom_score_adj'), 'utf8'), 'host-file\n');
    } finally {
      finish(b);
    }
    // The same config without the redirect works: the check does not refuse real procfs files.
    const ok = box('sysctl-ok', (s) => {
      s.linux.sysctl = { 'kernel.domainname': 'fine' };
      s.process.oomScoreAdj = 500;
      s.process.args = ['/bin/cat', '/proc/sys/kernel/domainname', '/proc/self/oom_score_adj'];
    });
    try {
      const r = cli(['run', '--bundle', ok.dir, ok.id]);
      assert.equal(r.status, 0, r.output);
      assert.equal(r.output, 'fine\n500\n');
    } finally {
      finish(ok);
    }
  });

  test('CVE-2022-29162: the default config gives the container process no inheritable capabilities', () => {
    for (const variant of ['default', 'runc-1.1-spec'] as const) {
      const b = box(`capinh-${variant}`, (s) => {
        if (variant === 'runc-1.1-spec') s.process.capabilities.ambient = [...s.process.capabilities.bounding];
      });
      try {
        assert.equal(cli(['run', '-d', '--bundle', b.dir, b.id]).status, 0);
        const pid = pidOf(b.id);
        assert.equal(statusField(pid, 'CapInh'), '0000000000000000', variant);
        assert.equal(statusField(pid, 'CapAmb'), '0000000000000000', variant);
      } finally {
        finish(b);
      }
    }
  });

  test('CVE-2024-45310: a symlinked bind source is resolved once; target directories are never made outside the rootfs', () => {
    const real = path.join(sb.dir, 'bind-real');
    fs.mkdirSync(real, { recursive: true });
    fs.writeFileSync(path.join(real, 'marker'), 'real\n');
    const link = path.join(sb.dir, 'bind-link');
    fs.rmSync(link, { force: true });
    fs.symlinkSync(real, link);
    // A volume with a symlink to the host canary; mounts below it need directories made.
    const vol = path.join(sb.dir, 'vol-45310');
    fs.mkdirSync(vol, { recursive: true });
    fs.rmSync(path.join(vol, 'escape'), { force: true });
    fs.symlinkSync(canary, path.join(vol, 'escape'));
    fs.rmSync(path.join(vol, 'escape-rel'), { force: true });
    fs.symlinkSync(`../../../../../../../..${canary}`, path.join(vol, 'escape-rel'));
    const b = box('bindsrc', (s) => {
      s.process.args = ['/bin/sh', '-c', 'cat /data/marker'];
      s.mounts.push({ destination: '/data', type: 'bind', source: link, options: ['rbind', 'ro'] });
    });
    try {
      const r = cli(['run', '--bundle', b.dir, b.id]);
      assert.equal(r.status, 0, r.output);
      assert.equal(r.output, 'real\n', 'the bind source symlink was followed (once) to its target');
    } finally {
      finish(b);
    }
    for (const [dest, type] of [['/vol/escape/newdir', 'tmpfs'], ['/vol/escape-rel/newfile', 'bind'], ['/vol/escape/a/b/c', 'tmpfs']] as const) {
      const c = box('voltarget', (s) => {
        s.process.args = ['/bin/true'];
        s.mounts.push({ destination: '/vol', type: 'bind', source: vol, options: ['rbind'] });
        s.mounts.push(type === 'tmpfs'
          ? { destination: dest, type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }
          : { destination: dest, type: 'bind', source: path.join(real, 'marker'), options: ['bind'] });
      });
      try {
        const r = cli(['run', '--bundle', c.dir, c.id]);
        // Either the symlink is followed inside the rootfs (where the target is then made), or
        // the mount fails on the dangling in-root link: never a directory on the host.
        if (r.status === 0) assert.ok(fs.existsSync(path.join(c.rootfs, canary)), 'made inside the rootfs');
        else assert.match(r.output, /mount .* to .*: no such file or directory/, r.output);
        assert.deepEqual(fs.readdirSync(vol).sort(), ['escape', 'escape-rel'], 'nothing made in the volume itself');
      } finally {
        finish(c);
      }
      canaryUnchanged();
    }
    canaryUnchanged();
  });
});
