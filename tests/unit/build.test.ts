/**
 * The build's products and the lib/sys plumbing they rely on: dist/oci-ts (Node SEA),
 * the embedded-asset loader, the ffi-rs loader and the O_TMPFILE executable copy.
 * Tests of dist/ skip (with the reason) when `make build` has not been run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assetBuildPath, isSea, materializeExecutable, readAsset, repoRoot } from '../../lib/sys/assets';
import { ffiHash, libc, SyscallError } from '../../lib/sys/ffi';
import stringWidth from '../../lib/sys/string-width-lite';

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist/oci-ts');
const BASE_NODE = path.join(ROOT, 'build/node-stripped');
const NO_DIST = fs.existsSync(DIST) ? false : 'dist/oci-ts not built (run make build)';
const TSX = ['--import', 'tsx'];

const tmpDirs: string[] = [];
function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}
after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Environment without NODE_EXTRA_CA_CERTS (it costs ~45 ms per Node start) or NODE_OPTIONS. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return env;
}

interface Probe {
  getpid: number;
  pid: number;
  sea: boolean;
  from: string;
}

function parseProbe(out: string): Probe {
  return JSON.parse(out.trim().split('\n').pop() ?? '') as Probe;
}

describe('dist/oci-ts (single executable)', () => {
  test('--version prints exactly three lines in runc shape', { skip: NO_DIST }, () => {
    const out = execFileSync(DIST, ['--version'], { encoding: 'utf8', env: cleanEnv() });
    const lines = out.replace(/\n$/, '').split('\n');
    assert.equal(lines.length, 3, `--version printed:\n${out}`);
    assert.match(lines[0]!, /^oci-ts version \S+/);
    assert.match(lines[1]!, /^commit: \S+/);
    assert.match(lines[2]!, /^spec: \d+\.\d+\.\d+/);
  });

  test('runs alone from another directory with an empty environment, cwd /', { skip: NO_DIST }, () => {
    const dir = tmpDir('oci-ts-alone-');
    const copy = path.join(dir, 'oci-ts');
    fs.copyFileSync(DIST, copy);
    fs.chmodSync(copy, 0o755);
    const r = spawnSync('/usr/bin/env', ['-i', copy, '--version'], { cwd: '/', encoding: 'utf8' });
    assert.equal(r.status, 0, `exit ${r.status}, stderr:\n${r.stderr}`);
    assert.equal(r.stdout.replace(/\n$/, '').split('\n').length, 3, r.stdout);
    assert.equal(r.stderr, '');
  });

  test('the parts the executable keeps out of its main script (help, validators) answer like the plain bundle', { skip: NO_DIST }, () => {
    // lib/sys/split.ts: dist/oci-ts runs help/yargs and the validators from SEA assets.
    const env = cleanEnv();
    const both = (args: string[]): [string, string] => {
      const sea = spawnSync(DIST, args, { encoding: 'utf8', env });
      const cjs = spawnSync(process.execPath, [path.join(ROOT, 'dist/oci-ts.cjs'), ...args], { encoding: 'utf8', env });
      // log lines carry a timestamp
      const norm = (r: typeof sea): string => `${r.status} ${r.stdout} ${r.stderr.replace(/time="[^"]*"/g, 'time=T')}`;
      return [norm(sea), norm(cjs)];
    };
    for (const args of [['--help'], ['help', 'create'], ['exec', '--help'], ['nosuchverb'], ['completion', 'bash']]) {
      const [sea, cjs] = both(args);
      assert.equal(sea, cjs, `oci-ts ${args.join(' ')}`);
    }
    const bundle = tmpDir('oci-ts-split-');
    fs.mkdirSync(path.join(bundle, 'rootfs'));
    execFileSync(DIST, ['spec', '--bundle', bundle], { env });
    const spec = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { process: { terminal: unknown } };
    const [ok, okCjs] = both(['plan', '--bundle', bundle, '--format', 'json']);
    assert.equal(ok, okCjs);
    spec.process.terminal = 5;
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
    const [bad, badCjs] = both(['plan', '--bundle', bundle]);
    assert.equal(bad, badCjs);
    assert.match(bad, /config\.json \/process\/terminal: must be a boolean/);
  });

  test('dist/oci-ts.cjs (plain bundle) runs with node and prints the same version', { skip: NO_DIST }, () => {
    const env = cleanEnv();
    const a = execFileSync(DIST, ['--version'], { encoding: 'utf8', env });
    const b = execFileSync(process.execPath, [path.join(ROOT, 'dist/oci-ts.cjs'), '--version'], { encoding: 'utf8', env });
    assert.equal(b, a);
    assert.ok(fs.readFileSync(path.join(ROOT, 'dist/oci-ts.cjs'), 'utf8').startsWith('#!/usr/bin/env node\n'));
  });
});

describe('assets', () => {
  test('repo root is found from the sources and the assets are read from the build tree', () => {
    assert.equal(isSea(), false);
    assert.equal(repoRoot(), ROOT);
    const ffi = readAsset('ffi-rs.node');
    assert.equal(ffi.subarray(0, 4).toString('latin1'), '\x7fELF');
    assert.equal(assetBuildPath('ffi-rs.node'), path.join(ROOT, 'node_modules/@yuuang/ffi-rs-linux-x64-gnu/ffi-rs.linux-x64-gnu.node'));
  });

  test('materializeExecutable: unnamed read-only O_TMPFILE copy that can be spawned', () => {
    const exe = materializeExecutable(fs.readFileSync('/bin/echo'));
    try {
      assert.match(exe.path, /^\/proc\/self\/fd\/\d+$/);
      const target = fs.readlinkSync(exe.path);
      assert.match(target, /^\/dev\/shm\/.* \(deleted\)$/, target);
      assert.equal(fs.fstatSync(exe.fd).mode & 0o777, 0o500);
      // the fd itself is read-only
      assert.throws(() => fs.writeSync(exe.fd, 'x'), { code: 'EBADF' });
      const r = spawnSync(exe.path, ['materialized'], { encoding: 'utf8' });
      assert.equal(r.error, undefined);
      assert.equal(r.stdout, 'materialized\n');
    } finally {
      exe.close();
      exe.close(); // idempotent
    }
  });

  test('materializeExecutable: falls back to the runtime root when tmpDir is unusable', () => {
    const root = tmpDir('oci-ts-root-');
    const exe = materializeExecutable(fs.readFileSync('/bin/echo'), { tmpDir: path.join(root, 'missing'), fallbackDir: path.join(root, 'run') });
    try {
      assert.deepEqual(fs.readdirSync(path.join(root, 'run')), []); // nothing left with a name
      assert.ok(fs.readlinkSync(exe.path).startsWith(path.join(root, 'run') + '/'), fs.readlinkSync(exe.path));
      const r = spawnSync(exe.path, ['fallback'], { encoding: 'utf8' });
      assert.equal(r.stdout, 'fallback\n');
    } finally {
      exe.close();
    }
  });

  test('materializeExecutable: skips a tmpDir on a noexec mount', { skip: process.getuid?.() === 0 ? false : 'needs root (mounts a tmpfs in a private mount namespace)' }, () => {
    const dir = tmpDir('oci-ts-noexec-shm-');
    fs.mkdirSync(path.join(dir, 'shm'));
    const js = `
      const { materializeExecutable, isNoexecDir } = require(${JSON.stringify(path.join(ROOT, 'lib/sys/assets.ts'))});
      const fs = require('fs'), { spawnSync } = require('child_process');
      const d = process.argv[1];
      const exe = materializeExecutable(fs.readFileSync('/bin/echo'), { tmpDir: d + '/shm', fallbackDir: d + '/run' });
      const r = spawnSync(exe.path, ['ok'], { encoding: 'utf8' });
      console.log(JSON.stringify({ noexec: isNoexecDir(d + '/shm/x/y'), target: fs.readlinkSync(exe.path), out: r.stdout }));`;
    const r = spawnSync(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o noexec tmpfs "$1/shm" && exec "$2" --import tsx -e "$3" "$1"', 'sh', dir, process.execPath, js],
      { encoding: 'utf8', env: cleanEnv(), cwd: ROOT },
    );
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout.trim()) as { noexec: boolean; target: string; out: string };
    assert.equal(res.noexec, true);
    assert.ok(res.target.startsWith(path.join(dir, 'run') + '/'), res.target);
    assert.equal(res.out, 'ok\n');
  });
});

describe('ffi (ffi-rs through process.dlopen)', () => {
  test('getpid through ffi-rs from the sources (tsx) equals process.pid', () => {
    const getpid = libc().func('getpid', 'i32', []);
    assert.equal(getpid(), process.pid);
  });

  test('errno: a failing call throws SyscallError with the errno', () => {
    const umount2 = libc().checked('umount2', 'i32', ['string', 'i32']);
    assert.throws(
      () => umount2('/nonexistent-oci-ts-path', 0),
      (e: unknown) => e instanceof SyscallError && e.code === 'ENOENT' && e.message === 'umount2: no such file or directory',
    );
    const prctl = libc().funcErrno('prctl', 'i32', ['i32', 'i64', 'i64', 'i64', 'i64']);
    const PR_GET_DUMPABLE = 3;
    assert.equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0).value, 1);
  });

  test('buffer arguments are written back (gethostname)', () => {
    const gethostname = libc().func('gethostname', 'i32', ['buffer', 'u64']);
    const buf = Buffer.alloc(256);
    assert.equal(gethostname(buf, buf.length - 1), 0);
    assert.equal(buf.toString('utf8', 0, buf.indexOf(0)), os.hostname());
  });

  test('dev mode: the addon is cached as <root>/:cache/ffi-rs-<sha256/16>.node and reused', () => {
    const root = tmpDir('oci-ts-ffi-');
    const expected = path.join(root, ':cache', `ffi-rs-${ffiHash()}.node`);
    const want = createHash('sha256').update(readAsset('ffi-rs.node')).digest('hex').slice(0, 16);
    assert.equal(ffiHash(), want);
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(process.execPath, [...TSX, path.join(ROOT, 'scripts/ffi-probe.ts'), root, 'via-cache'], { encoding: 'utf8', env: cleanEnv(), cwd: ROOT });
      assert.equal(r.status, 0, r.stderr);
      const p = parseProbe(r.stdout);
      assert.equal(p.getpid, p.pid);
      assert.equal(p.sea, false);
      assert.equal(p.from, expected);
    }
    assert.deepEqual(fs.readdirSync(path.join(root, ':cache')), [path.basename(expected)]);
  });

  test('a root on a noexec mount (Debian mounts /run noexec) falls back to an unnamed copy', { skip: process.getuid?.() === 0 ? false : 'needs root (mounts a tmpfs in a private mount namespace)' }, () => {
    const dir = tmpDir('oci-ts-noexec-');
    const probe = `${JSON.stringify(process.execPath)} --import tsx scripts/ffi-probe.ts "$1/root" via-cache`;
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs -o noexec tmpfs "$1" && ${probe}`, 'sh', dir], { encoding: 'utf8', env: cleanEnv(), cwd: ROOT });
    assert.equal(r.status, 0, r.stderr);
    const p = parseProbe(r.stdout);
    assert.equal(p.from, 'O_TMPFILE');
    assert.equal(p.getpid, p.pid);
  });

  test('in a single executable: asset -> <root>/lib cache -> dlopen, getpid matches', { skip: fs.existsSync(BASE_NODE) ? false : 'build/node-stripped missing (run make build)', timeout: 120_000 }, () => {
    const dir = tmpDir('oci-ts-sea-probe-');
    const build = path.join(ROOT, 'scripts/build.mjs');
    const ffiNode = assetBuildPath('ffi-rs.node')!;
    const opts = { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[] };
    execFileSync(process.execPath, [build, 'bundle', 'scripts/ffi-probe.ts', path.join(dir, 'probe.cjs')], opts);
    execFileSync(
      process.execPath,
      [build, 'sea', path.join(dir, 'probe.cjs'), path.join(dir, 'probe'), '--base', BASE_NODE, '--config', path.join(dir, 'sea.json'), '--blob', path.join(dir, 'probe.blob'), '--asset', `ffi-rs.node=${ffiNode}`],
      opts,
    );
    const hash = execFileSync(process.execPath, [build, 'ffi-hash'], { encoding: 'utf8' }).trim();
    const root = path.join(dir, 'root');
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(path.join(dir, 'probe'), [root], { encoding: 'utf8', cwd: '/', env: {} });
      assert.equal(r.status, 0, r.stderr);
      const p = parseProbe(r.stdout);
      assert.equal(p.sea, true);
      assert.equal(p.getpid, p.pid);
      assert.equal(p.from, path.join(root, ':cache', `ffi-rs-${hash}.node`));
    }
    // read-only root: falls back to an unnamed copy
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro, { mode: 0o500 });
    const r = spawnSync(path.join(dir, 'probe'), [path.join(ro, 'sub')], { encoding: 'utf8', env: {} });
    if (process.getuid?.() !== 0) {
      const p = parseProbe(r.stdout);
      assert.equal(p.from, 'O_TMPFILE');
      assert.equal(p.getpid, p.pid);
    } else {
      assert.equal(r.status, 0, r.stderr); // root writes anyway
    }
  });
});

describe('string-width-lite (the bundler alias for string-width)', () => {
  test('matches string-width for ASCII, ANSI, CJK, combining marks and emoji', async () => {
    const real = ((await import('string-width')) as { default: (s: string) => number }).default;
    for (const s of ['', 'hello world', '--root <dir>  root directory', '\u001b[31mred\u001b[39m', '日本語', 'e\u0301', '👍', 'a\u200bb', 'ｶﾞ']) {
      assert.equal(stringWidth(s), real(s), JSON.stringify(s));
    }
  });
});
