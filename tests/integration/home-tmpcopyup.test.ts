/**
 * Two behaviours the Docker/containerd/Podman engine suite relies on, on real busybox bundles:
 *
 * HOME: without HOME in process.env, runc takes it from the container's /etc/passwd entry of the
 * process uid ("/" when there is none), for the init and for `exec` (shim op DEFAULT_HOME).
 *
 * tmpcopyup: a tmpfs mount with this option starts with a copy of what the directory held in the
 * rootfs (files with content, dirs, symlinks, modes, owners, mtimes); Podman adds it to every tmpfs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBundle, type TestSpec } from '../helpers/bundle';
import { removeCgroupTree, sandbox, skipReason, type Sandbox } from '../helpers/runtime';

const CG_PARENT = `oci-ts-it-ht-${process.pid}`;
let sb: Sandbox;
let n = 0;

function bundle(patch?: (s: TestSpec) => void, rootfs?: (dir: string) => void): { dir: string; id: string } {
  const id = `ht${++n}`;
  const dir = makeBundle(path.join(sb.dir, id), (s) => {
    s.linux.cgroupsPath = `/${CG_PARENT}/${id}`;
    patch?.(s);
  });
  rootfs?.(path.join(dir, 'rootfs'));
  return { dir, id };
}

/** `run` in the foreground: exit status 0 expected; returns stdout. */
function run(patch?: (s: TestSpec) => void, rootfs?: (dir: string) => void): string {
  const { dir, id } = bundle(patch, rootfs);
  const r = sb.run(['run', '--bundle', dir, id]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const echoHome = (s: TestSpec): void => { s.process.args = ['/bin/sh', '-c', 'echo "$HOME"']; };

describe('HOME from the container\'s /etc/passwd', { skip: skipReason }, () => {
  before(() => { sb = sandbox('home'); });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('the test rootfs has no HOME in env, root and nobody in /etc/passwd', () => {
    const { dir } = bundle();
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as TestSpec;
    assert.ok(!(spec.process.env as string[]).some((e) => e.startsWith('HOME=')));
    const passwd = fs.readFileSync(path.join(dir, 'rootfs/etc/passwd'), 'utf8');
    assert.match(passwd, /^root:x:0:0:[^:]*:\/root:/m);
    assert.match(passwd, /^nobody:x:65534:65534:[^:]*:\/nonexistent:/m);
  });

  test('init: root -> /root, 65534 -> /nonexistent, a uid without an entry -> /', () => {
    assert.equal(run(echoHome), '/root\n');
    assert.equal(run((s) => { echoHome(s); s.process.user = { uid: 65534, gid: 65534 }; }), '/nonexistent\n');
    assert.equal(run((s) => { echoHome(s); s.process.user = { uid: 1234, gid: 1234 }; }), '/\n');
  });

  test('init: HOME in env is kept, even for a uid with an entry; an empty one counts as none', () => {
    assert.equal(run((s) => { echoHome(s); s.process.env.push('HOME=/custom'); }), '/custom\n');
    assert.equal(run((s) => {
      s.process.args = ['/bin/sh', '-c', 'env | grep -c "^HOME="; echo "$HOME"'];
      s.process.env.push('HOME=');
    }), '1\n/root\n');
  });

  test('init: the first entry of the uid wins; its home is taken as written', () => {
    const passwd = '# comment\n\nbad line\nalice:x:1000:1000::/home/alice:/bin/sh\nalias:x:1000:1000::/home/alias:/bin/sh\nempty:x:1001:1001:::/bin/sh\n';
    const write = (root: string): void => fs.writeFileSync(path.join(root, 'etc/passwd'), passwd);
    assert.equal(run((s) => { echoHome(s); s.process.user = { uid: 1000, gid: 1000 }; }, write), '/home/alice\n');
    // An entry with an empty home field: HOME is set, empty (runc's behaviour).
    assert.equal(run((s) => { s.process.args = ['/bin/sh', '-c', 'echo "${HOME-unset}|"']; s.process.user = { uid: 1001, gid: 1001 }; }, write), '|\n');
  });

  test('init: /etc/passwd is read inside the container (a symlink resolves in it; none at all -> /)', () => {
    const link = (root: string): void => {
      fs.mkdirSync(path.join(root, 'srv'));
      fs.writeFileSync(path.join(root, 'srv/passwd'), 'root:x:0:0:root:/srv/roothome:/bin/sh\n');
      fs.rmSync(path.join(root, 'etc/passwd'));
      fs.symlinkSync('/srv/passwd', path.join(root, 'etc/passwd'));
    };
    assert.equal(run(echoHome, link), '/srv/roothome\n');
    assert.equal(run(echoHome, (root) => fs.rmSync(path.join(root, 'etc/passwd'))), '/\n');
    // A symlink to a /proc magic link is not followed (it could lead out of the container): here
    // to the init's stdin, a host file that would give HOME=/leaked.
    const { dir, id } = bundle(echoHome, (root) => {
      fs.rmSync(path.join(root, 'etc/passwd'));
      fs.symlinkSync('/proc/self/fd/0', path.join(root, 'etc/passwd'));
    });
    const hostFile = path.join(sb.dir, 'host-passwd');
    fs.writeFileSync(hostFile, 'root:x:0:0:root:/leaked:/bin/sh\n');
    const stdin = fs.openSync(hostFile, 'r');
    try {
      const r = sb.run(['run', '--bundle', dir, id], { stdio: [stdin, 'pipe', 'pipe'] });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '/\n');
    } finally {
      fs.closeSync(stdin);
    }
  });

  test('init with --no-pivot (chroot) too', () => {
    const { dir, id } = bundle((s) => { echoHome(s); s.process.user = { uid: 65534, gid: 65534 }; });
    const r = sb.run(['run', '--no-pivot', '--bundle', dir, id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '/nonexistent\n');
  });

  test('exec: root -> /root, -u 65534 -> /nonexistent, -u 1234 -> /, -e HOME= kept', () => {
    const { dir, id } = bundle((s) => { s.process.args = ['/bin/sleep', '1000']; });
    const c = sb.detached(['run', '-d', '--bundle', dir, id]);
    assert.equal(c.status, 0, c.output);
    try {
      const exec = (...args: string[]): string => {
        const r = sb.run(['exec', ...args, id, 'sh', '-c', 'echo "$HOME"']);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      };
      assert.equal(exec(), '/root\n');
      assert.equal(exec('-u', '65534:65534'), '/nonexistent\n');
      assert.equal(exec('-u', '1234'), '/\n');
      assert.equal(exec('-e', 'HOME=/elsewhere'), '/elsewhere\n');
      // --process with a process.json that has no HOME
      const file = path.join(sb.dir, `${id}-process.json`);
      fs.writeFileSync(file, JSON.stringify({ terminal: false, user: { uid: 65534, gid: 65534 }, args: ['/bin/sh', '-c', 'echo "$HOME"'], env: ['PATH=/bin'], cwd: '/' }));
      const p = sb.run(['exec', '--process', file, id]);
      assert.equal(p.status, 0, p.stderr);
      assert.equal(p.stdout, '/nonexistent\n');
    } finally {
      assert.equal(sb.run(['delete', '--force', id]).status, 0);
    }
  });
});

describe('tmpcopyup', { skip: skipReason }, () => {
  before(() => { sb = sandbox('tmpcopyup'); });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  const MTIME = 1_600_000_000;

  /** rootfs/data: a file (0640, 1000:1001, fixed mtime), sub/ (0750, 1000:1000) with files, symlinks, a fifo, a device. */
  function populate(root: string): void {
    const data = path.join(root, 'data');
    fs.mkdirSync(path.join(data, 'sub/deeper'), { recursive: true });
    fs.writeFileSync(path.join(data, 'f'), 'hello\n');
    fs.chmodSync(path.join(data, 'f'), 0o640);
    fs.chownSync(path.join(data, 'f'), 1000, 1001);
    fs.utimesSync(path.join(data, 'f'), MTIME, MTIME);
    fs.writeFileSync(path.join(data, 'sub/g'), 'in sub\n');
    fs.writeFileSync(path.join(data, 'sub/deeper/big'), Buffer.alloc(300_000, 'x'));
    fs.chmodSync(path.join(data, 'sub'), 0o750);
    fs.chownSync(path.join(data, 'sub'), 1000, 1000);
    fs.utimesSync(path.join(data, 'sub'), MTIME, MTIME);
    fs.symlinkSync('f', path.join(data, 'link'));
    fs.symlinkSync('/etc/hostname-nope', path.join(data, 'dangling'));
    fs.lchownSync(path.join(data, 'link'), 1000, 1000);
    execFileSync('mkfifo', ['-m', '0620', path.join(data, 'pipe')]);
    execFileSync('mknod', ['-m', '0600', path.join(data, 'null'), 'c', '1', '3']);
  }

  /** A tmpfs at dest; CAP_DAC_OVERRIDE so that root reads the 0640/0750 entries of other owners. */
  const tmpfsAt = (dest: string, options: string[]) => (s: TestSpec): void => {
    s.mounts.push({ destination: dest, type: 'tmpfs', source: 'tmpfs', options });
    for (const set of ['bounding', 'effective', 'permitted'] as const) {
      const caps = (s.process.capabilities[set] ?? []) as string[];
      if (!caps.includes('CAP_DAC_OVERRIDE')) s.process.capabilities[set] = [...caps, 'CAP_DAC_OVERRIDE'];
    }
  };

  test('the tmpfs starts with the directory\'s contents, and the container can write to it', () => {
    const out = run((s) => {
      tmpfsAt('/data', ['nosuid', 'nodev', 'tmpcopyup', 'mode=755', 'size=4m'])(s);
      s.process.args = ['/bin/sh', '-c', [
        'grep " /data " /proc/self/mountinfo | grep -q " - tmpfs " && echo is-tmpfs',
        'cat /data/f /data/sub/g',
        'wc -c < /data/sub/deeper/big',
        'stat -c "%n %a %u:%g %Y" /data/f /data/sub',
        'stat -c "%n %u:%g" /data/link',
        'stat -c "%n %F %a" /data/pipe',
        'stat -c "%n %F %t:%T %a" /data/null',
        'readlink /data/link; readlink /data/dangling',
        'cat /data/link',
        'echo new > /data/new && cat /data/new',
        'echo changed > /data/f && cat /data/f',
        'ls -A /data | tr "\\n" " "; echo',
      ].join('; ')];
    }, populate);
    assert.equal(out, [
      'is-tmpfs',
      'hello', 'in sub',
      '300000',
      `/data/f 640 1000:1001 ${MTIME}`, `/data/sub 750 1000:1000 ${MTIME}`,
      '/data/link 1000:1000',
      '/data/pipe fifo 620',
      '/data/null character special file 1:3 600',
      'f', '/etc/hostname-nope',
      'hello',
      'new',
      'changed',
      'dangling f link new null pipe sub ',
    ].join('\n') + '\n');
    // The rootfs itself is untouched.
    const rootData = path.join(sb.dir, `ht${n}`, 'rootfs/data');
    assert.equal(fs.readFileSync(path.join(rootData, 'f'), 'utf8'), 'hello\n');
    assert.ok(!fs.existsSync(path.join(rootData, 'new')));
  });

  test('without tmpcopyup the tmpfs is empty', () => {
    const out = run((s) => {
      tmpfsAt('/data', ['nosuid', 'mode=755'])(s);
      s.process.args = ['/bin/sh', '-c', 'echo [$(ls -A /data)]'];
    }, populate);
    assert.equal(out, '[]\n');
  });

  test('ro with tmpcopyup: copied first, read-only after; a missing directory is created empty', () => {
    const out = run((s) => {
      tmpfsAt('/data', ['tmpcopyup', 'ro', 'nosuid', 'noexec'])(s);
      tmpfsAt('/fresh/dir', ['tmpcopyup'])(s);
      s.process.args = ['/bin/sh', '-c', 'cat /data/sub/g; touch /data/x 2>/dev/null || echo read-only; grep " /data " /proc/self/mountinfo | cut -d" " -f6; echo "[$(ls -A /fresh/dir)]"; touch /fresh/dir/ok && echo writable'];
    }, populate);
    assert.equal(out, 'in sub\nread-only\nro,nosuid,noexec,relatime\n[]\nwritable\n');
  });

  test('a copy that does not fit fails create, naming the mount and the file', () => {
    const { dir, id } = bundle(tmpfsAt('/data', ['tmpcopyup', 'size=64k']), populate);
    const r = sb.detached(['create', '--bundle', dir, id]);
    assert.notEqual(r.status, 0);
    assert.match(r.output, /tmpcopyup \/data: copy big: no space left on device/);
    assert.ok(!fs.existsSync(path.join(sb.root, id)), 'no state left');
  });

  test('a symlinked destination stays inside the rootfs; the copy is of what it points to there', () => {
    const out = run((s) => {
      tmpfsAt('/alias', ['tmpcopyup'])(s);
      s.process.args = ['/bin/sh', '-c', 'cat /data/f; readlink /alias; echo [$(ls -A /data)]'];
    }, (root) => {
      populate(root);
      fs.symlinkSync('/data', path.join(root, 'alias'));
    });
    // /alias -> /data: the tmpfs is mounted on /data (resolved in the rootfs), with its contents.
    assert.equal(out, 'hello\n/data\n[dangling f link null pipe sub]\n');
  });
});
