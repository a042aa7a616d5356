/**
 * Permissions of what oci-ts leaves on disk: the root and container dirs 0700, state files 0600,
 * the addon cache private to root and verified before it is loaded (a tampered, foreign or
 * world-writable copy is never dlopen'ed), the seccomp program cache likewise (a tampered,
 * foreign or group-writable entry or directory is never loaded into the kernel: the container
 * gets the profile's real filter), and a non-root caller of create/run refused early with a
 * clear error and nothing left behind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeEntry, encodeEntry } from '../../lib/seccomp/cache';
import { makeBundle } from '../helpers/bundle';
import { cleanEnv, ociTsBinary, removeCgroupTree, sandbox, skipReason, type Sandbox } from '../helpers/runtime';

const CG_PARENT = `oci-ts-perm-${process.pid}`;
let sb: Sandbox;
let n = 0;

/** A bundle with a seccomp profile: compiling it (on a seccomp cache miss) loads the ffi-rs addon. */
function bundle(args = ['/bin/sleep', '100']): { dir: string; id: string } {
  const id = `pm${++n}`;
  const dir = makeBundle(path.join(sb.dir, id), (s) => {
    s.process.args = args;
    s.linux.cgroupsPath = `/${CG_PARENT}/${id}`;
    s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mknod'], action: 'SCMP_ACT_ERRNO' }] };
  });
  return { dir, id };
}

/** A `run` with --root `root` that compiles seccomp (the seccomp cache is emptied first), so it loads the addon. */
function createAndDelete(root = sb.root): void {
  fs.rmSync(path.join(root, ':cache', 'seccomp'), { recursive: true, force: true });
  const { dir, id } = bundle(['/bin/true']);
  const r = spawnSync(ociTsBinary, ['--root', root, 'run', '--bundle', dir, id], { encoding: 'utf8', env: cleanEnv(), timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
}

const modeOf = (p: string): number => fs.lstatSync(p).mode & 0o7777;

/** Every file and dir under `dir` (relative), sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      out.push(path.relative(dir, path.join(d, e.name)));
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

function cachedAddon(): string {
  const files = fs.readdirSync(path.join(sb.root, ':cache')).filter((f) => /^ffi-rs-[0-9a-f]{16}\.node$/.test(f));
  assert.equal(files.length, 1, `one cached addon: ${files.join(', ')}`);
  return path.join(sb.root, ':cache', files[0]!);
}

/** One BPF instruction, `ret SECCOMP_RET_ALLOW`: a cache entry holding it would disable the profile. */
const ALLOW_ALL = Buffer.from([0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x7f]);

/**
 * `run` under `root` a container whose profile makes mknod fail (EPERM) and that tries to make a
 * fifo (which needs no capability) on /dev/shm (a tmpfs; the rootfs is read-only): BLOCKED when
 * the profile's filter is in force, MADE when a program that allows everything was loaded instead.
 */
function mknodUnder(root: string): 'BLOCKED' | 'MADE' {
  const id = `sc${++n}`;
  const dir = makeBundle(path.join(sb.dir, id), (s) => {
    s.process.args = ['/bin/sh', '-c', 'if mknod /dev/shm/fifo p 2>/dev/null; then echo MADE; else echo BLOCKED; fi'];
    s.linux.cgroupsPath = `/${CG_PARENT}/${id}`;
    s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mknod', 'mknodat'], action: 'SCMP_ACT_ERRNO' }] };
  });
  try {
    const r = spawnSync(ociTsBinary, ['--root', root, 'run', '--bundle', dir, id], { encoding: 'utf8', env: cleanEnv(), timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.trim();
    assert.ok(out === 'BLOCKED' || out === 'MADE', `container output: ${r.stdout}${r.stderr}`);
    return out;
  } finally {
    spawnSync(ociTsBinary, ['--root', root, 'delete', '--force', id], { env: cleanEnv(), timeout: 30_000 });
  }
}

describe('permissions', { skip: skipReason }, () => {
  before(() => { sb = sandbox('perm'); });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('root and container dirs are 0700, state.json and the lock 0600, :cache 0700 with a 0500 addon', () => {
    const { dir, id } = bundle();
    const c = sb.detached(['create', '--bundle', dir, id]);
    assert.equal(c.status, 0, c.output);
    try {
      assert.equal(modeOf(sb.root), 0o700, 'root');
      assert.equal(modeOf(path.join(sb.root, id)), 0o700, 'container dir');
      assert.equal(modeOf(path.join(sb.root, id, 'state.json')), 0o600, 'state.json');
      for (const f of fs.readdirSync(path.join(sb.root, id))) {
        const st = fs.lstatSync(path.join(sb.root, id, f));
        assert.equal(st.uid, 0, f);
        if (st.isFile()) assert.equal(st.mode & 0o077, 0, `${f} is private (${(st.mode & 0o777).toString(8)})`);
      }
      const cache = path.join(sb.root, ':cache');
      assert.equal(modeOf(cache), 0o700, ':cache');
      assert.equal(fs.statSync(cache).uid, 0);
      const addon = cachedAddon();
      assert.equal(modeOf(addon), 0o500);
      const hash = /ffi-rs-([0-9a-f]{16})\.node$/.exec(addon)![1]!;
      assert.ok(createHash('sha256').update(fs.readFileSync(addon)).digest('hex').startsWith(hash));
    } finally {
      assert.equal(sb.run(['delete', '--force', id]).status, 0);
    }
  });

  test('a tampered, group-writable or symlinked cached addon is replaced before it is loaded', () => {
    createAndDelete(); // make sure the cache exists
    const addon = cachedAddon();
    const good = fs.readFileSync(addon);
    const check = (what: string): void => {
      createAndDelete();
      const st = fs.lstatSync(addon);
      assert.ok(st.isFile(), `${what}: a regular file again`);
      assert.equal(st.mode & 0o7777, 0o500, `${what}: mode`);
      assert.equal(st.uid, 0, `${what}: owner`);
      assert.ok(fs.readFileSync(addon).equals(good), `${what}: the right bytes`);
    };

    // Corrupt bytes (a dlopen of these would crash or run foreign code).
    fs.chmodSync(addon, 0o600);
    fs.writeFileSync(addon, Buffer.concat([good.subarray(0, 4096), Buffer.from('not the addon')]));
    fs.chmodSync(addon, 0o500);
    check('truncated');

    // The right bytes but writable by another user.
    fs.chmodSync(addon, 0o766);
    check('world-writable');

    // Owned by another user.
    fs.chownSync(addon, 65534, 65534);
    check('foreign owner');

    // A symlink to a copy elsewhere.
    const elsewhere = path.join(sb.dir, 'addon-copy.node');
    fs.writeFileSync(elsewhere, good, { mode: 0o500 });
    fs.rmSync(addon);
    fs.symlinkSync(elsewhere, addon);
    check('symlink');
  });

  test('a :cache dir another user owns is not trusted: the addon is loaded from an unnamed copy', () => {
    const root = path.join(sb.dir, 'foreign-cache-root');
    fs.mkdirSync(path.join(root, ':cache'), { recursive: true, mode: 0o700 });
    fs.chownSync(path.join(root, ':cache'), 65534, 65534);
    createAndDelete(root);
    assert.deepEqual(fs.readdirSync(path.join(root, ':cache')).filter((f) => f.startsWith('ffi-rs')), [], 'no addon written into (or loaded from) the foreign dir');

    // A wider mode of our own :cache is tightened to 0700.
    fs.chmodSync(path.join(sb.root, ':cache'), 0o755);
    createAndDelete();
    assert.equal(modeOf(path.join(sb.root, ':cache')), 0o700);
  });

  test('a non-root caller of create and run gets a clear error and leaves nothing behind', () => {
    const { dir, id } = bundle();
    const work = path.join(sb.dir, 'nobody');
    fs.mkdirSync(work, { mode: 0o755 });
    fs.chownSync(work, 65534, 65534);
    fs.chmodSync(sb.dir, 0o711); // let uid 65534 reach its dir and the bundle
    const root = path.join(work, 'state');
    for (const verb of ['create', 'run']) {
      const r = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', ociTsBinary, '--root', root, verb, '--bundle', dir, id], {
        encoding: 'utf8', env: cleanEnv(), cwd: work, timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'],
      });
      assert.equal(r.status, 1, `${verb}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`oci-ts ${verb} failed: must be run as root \\(rootless containers are not supported\\)`));
      assert.equal(r.stdout, '');
      assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
      assert.deepEqual(tree(work), [], `${verb}: nothing left under the caller's dir`);
    }
    assert.ok(!fs.existsSync(path.join(sb.root, id)));
    assert.deepEqual(fs.readdirSync('/sys/fs/cgroup').filter((d) => d.startsWith(CG_PARENT)), []);
  });
  test('a seccomp cache entry is loaded only when it is whole, ours and private; the container always gets the profile\'s filter', () => {
    const root = path.join(sb.dir, 'seccomp-entries');
    const dir = path.join(root, ':cache', 'seccomp');
    assert.equal(mknodUnder(root), 'BLOCKED', 'a miss: compiled');
    const names = fs.readdirSync(dir);
    assert.equal(names.length, 1, `one entry: ${names.join(', ')}`);
    const entry = path.join(dir, names[0]!);
    const key = names[0]!.replace(/\.bpf$/, '');
    const genuine = fs.readFileSync(entry);
    assert.ok(Buffer.isBuffer(decodeEntry(key, genuine)), 'the entry written verifies');
    assert.equal(modeOf(dir), 0o700);
    assert.equal(modeOf(entry), 0o600);

    // Control: a valid entry (root-owned, 0600, right checksum) is loaded as it is. That it
    // allows everything shows the cache really is read, so the BLOCKED results below come from
    // the checks refusing an entry, not from a cache that is never consulted.
    const plant = (mode = 0o600): void => {
      fs.rmSync(entry, { force: true });
      fs.writeFileSync(entry, encodeEntry(key, ALLOW_ALL), { mode });
      fs.chmodSync(entry, mode);
    };
    plant();
    assert.equal(mknodUnder(root), 'MADE', 'a trusted entry is used');

    const refused = (what: string, rewritten: boolean): void => {
      const beforeNames = fs.readdirSync(dir).sort();
      const beforeBytes = fs.lstatSync(entry).isFile() ? fs.readFileSync(entry) : undefined;
      assert.equal(mknodUnder(root), 'BLOCKED', `${what}: not loaded; the profile is compiled`);
      assert.deepEqual(fs.readdirSync(dir).sort(), beforeNames, `${what}: no tmp file or other entry left`);
      if (rewritten) {
        const st = fs.lstatSync(entry);
        assert.ok(st.isFile() && st.uid === 0 && (st.mode & 0o777) === 0o600, `${what}: replaced by a private regular file`);
        assert.ok(fs.readFileSync(entry).equals(genuine), `${what}: replaced by the compiled program`);
      } else {
        assert.ok(beforeBytes !== undefined && fs.readFileSync(entry).equals(beforeBytes), `${what}: nothing written into a refused dir`);
      }
    };

    // Tampered: the program replaced, the header (checksum) kept.
    fs.writeFileSync(entry, Buffer.concat([genuine.subarray(0, genuine.indexOf(0x0a) + 1), ALLOW_ALL]));
    refused('tampered program', true);
    // One bit flipped in the genuine program.
    const flipped = Buffer.from(genuine);
    flipped[flipped.length - 3]! ^= 0x01;
    fs.writeFileSync(entry, flipped);
    refused('flipped bit', true);
    // A valid entry of another key (a copy under this name).
    fs.writeFileSync(entry, encodeEntry('0'.repeat(64), ALLOW_ALL));
    refused('entry of another key', true);
    // Valid, but writable by the group, or owned by another user.
    plant(0o620);
    refused('group-writable entry', true);
    plant();
    fs.chownSync(entry, 65534, 65534);
    refused('foreign entry', true);
    // A symlink to a valid entry elsewhere (O_NOFOLLOW).
    const elsewhere = path.join(sb.dir, 'planted.bpf');
    fs.writeFileSync(elsewhere, encodeEntry(key, ALLOW_ALL), { mode: 0o600 });
    fs.rmSync(entry);
    fs.symlinkSync(elsewhere, entry);
    refused('symlinked entry', true);
  });

  test('a seccomp cache dir that is group-writable or foreign is neither read nor written', () => {
    const root = path.join(sb.dir, 'seccomp-dirs');
    const dir = path.join(root, ':cache', 'seccomp');
    assert.equal(mknodUnder(root), 'BLOCKED');
    const [name] = fs.readdirSync(dir);
    const entry = path.join(dir, name!);
    const planted = encodeEntry(name!.replace(/\.bpf$/, ''), ALLOW_ALL);
    fs.writeFileSync(entry, planted);
    assert.equal(mknodUnder(root), 'MADE', 'control: the planted entry is valid and used from a private dir');

    for (const [what, spoil] of [
      ['group-writable dir', (): void => fs.chmodSync(dir, 0o770)],
      ['world-writable dir', (): void => fs.chmodSync(dir, 0o703)],
      ['foreign dir', (): void => fs.chownSync(dir, 65534, 65534)],
    ] as const) {
      spoil();
      const names = fs.readdirSync(dir).sort();
      assert.equal(mknodUnder(root), 'BLOCKED', `${what}: the planted entry is not loaded`);
      assert.ok(fs.readFileSync(entry).equals(planted), `${what}: the entry is not rewritten`);
      assert.deepEqual(fs.readdirSync(dir).sort(), names, `${what}: nothing written into it`);
      assert.ok(fs.statSync(dir).uid !== 0 || (modeOf(dir) & 0o022) !== 0, `${what}: the dir is not silently "fixed" (it may hold planted entries)`);
      fs.chownSync(dir, 0, 0);
      fs.chmodSync(dir, 0o700);
    }
  });
});
