/**
 * End-to-end fuzzing of dist/oci-ts (root only; skipped otherwise): fuzzed config.json files,
 * command lines, state files and rootfs trees full of hostile symlinks. Every call must end with
 * a clear error or a correct container, never a JavaScript error text; afterwards nothing may be
 * left (process, mount, cgroup, state) and nothing may have been written outside the rootfs (a
 * canary directory that hostile symlinks point at stays empty; /, /etc, /dev, /tmp keep their
 * entries).
 *
 * What the runtime would legitimately do to the host on the config's orders (bind-mount a host
 * path, join the host's network namespace and set its sysctls, put limits on an existing
 * cgroup, run hooks) is defanged before a fuzzed config is used: that is the config author's
 * power, not an escape, and a fuzzer must not exercise it on the test machine.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { makeBundle, type TestSpec } from '../helpers/bundle';
import { removeCgroupTree, sandbox, skipReason, type Sandbox } from '../helpers/runtime';
import { FLAG_WORDS, VERB_WORDS } from '../fuzz/argv';
import { HOSTILE_STRINGS, fuzzParams, mutate, mutation, type Mutation } from '../fuzz/arbitraries';
import { crashSignature, forceClean, leftovers, runCli, type CliResult, type LeakScope } from '../fuzz/host-check';
import { baseRecord, defang } from '../fuzz/state';

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const CG_PARENT = `oci-ts-fuzzcli-${RUN}`;
let sb: Sandbox;
let canary = '';
let n = 0;

/** Names the fuzzed containers try to create through hostile links: found on the host = escape. */
const TOKEN = `ocits-escape-${RUN}`;
const WATCHED_DIRS = ['/', '/etc', '/run', '/root', '/dev', '/tmp', '/var/tmp'];
const WATCHED_FILES = ['/etc/hosts', '/etc/hostname', '/etc/passwd', '/proc/sys/kernel/hostname', '/proc/sys/kernel/core_pattern'];
let filesBefore = new Map<string, string>();

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '<unreadable>';
  }
}

/** The canary stays empty, no host directory got a TOKEN entry, the watched files kept their content. */
function hostUnchanged(): void {
  assert.deepEqual(fs.readdirSync(canary), [], 'nothing was written into the canary directory outside the rootfs');
  for (const d of WATCHED_DIRS) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(d);
    } catch {
      names = [];
    }
    assert.deepEqual(names.filter((e) => e.includes(TOKEN)), [], `nothing made in ${d}`);
  }
  for (const f of WATCHED_FILES) assert.equal(readOr(f), filesBefore.get(f), `${f} unchanged`);
}

/**
 * Every call: finished (not killed, not timed out) with 0, 1 or 2 (`exec` and `run`: also the
 * process's own status, 255 when exec could not start it) and no JS error text.
 */
function clean(r: CliResult, what: string, processStatus = false): void {
  assert.equal(r.signal, null, `${what}: killed by ${r.signal} (timeout?): ${r.output}`);
  assert.ok(r.status === 0 || r.status === 1 || r.status === 2 || (processStatus && r.status !== null), `${what}: exit status ${r.status}: ${r.output}`);
  assert.equal(crashSignature(r.output), undefined, `${what}: JS error text: ${r.output}`);
  if (r.status !== 0) assert.notEqual(r.output.trim(), '', `${what}: a failure says why`);
}

function scopeOf(id: string, bundle: string, cgroup: string): LeakScope {
  return { root: sb.root, id, paths: [bundle], cgroup };
}

function cleanupContainer(scope: LeakScope): void {
  clean(runCli(sb.root, ['delete', '--force', scope.id]), `delete --force ${scope.id}`);
  const deadline = Date.now() + 3000;
  let left = leftovers(scope);
  while (left.length > 0 && Date.now() < deadline) left = leftovers(scope);
  if (left.length > 0) forceClean(scope);
  assert.deepEqual(left, [], `nothing left by ${scope.id}`);
}

/** Keep the fuzzed types, take away the config author's legitimate powers over the host. */
function defangSpec(raw: unknown, rootfs: string, cgroup: string): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const s = raw as TestSpec;
  if (s.root !== null && typeof s.root === 'object' && !Array.isArray(s.root)) s.root.path = rootfs;
  if (Array.isArray(s.mounts)) {
    for (const m of s.mounts as unknown[]) {
      if (m === null || typeof m !== 'object') continue;
      const mt = m as Record<string, unknown>;
      // Bind sources: only below the sandbox (a relative source resolves in the bundle).
      if (typeof mt.source === 'string' && mt.source.startsWith('/') && !mt.source.startsWith(sb.dir + '/')) mt.source = path.join(sb.dir, 'binds', mt.source);
    }
  }
  if (s.hooks !== undefined) s.hooks = { poststop: [{ path: '/bin/true' }] };
  if (s.linux !== null && typeof s.linux === 'object' && !Array.isArray(s.linux)) {
    s.linux.cgroupsPath = `/${cgroup}`;
    if (Array.isArray(s.linux.namespaces)) {
      for (const ns of s.linux.namespaces as unknown[]) if (ns !== null && typeof ns === 'object') delete (ns as Record<string, unknown>).path;
    }
  }
  if (s.process !== null && typeof s.process === 'object' && !Array.isArray(s.process)) {
    // A container that exits at once (a fuzzed `run` must not block).
    if (Array.isArray(s.process.args) && s.process.args.length > 0) s.process.args[0] = typeof s.process.args[0] === 'string' && s.process.args[0].startsWith('/bin/sleep') ? '/bin/true' : s.process.args[0];
  }
  return s;
}

describe('fuzz: the CLI end to end', { skip: skipReason }, () => {
  let rootfs = '';
  let base: TestSpec = {};

  before(() => {
    sb = sandbox('fuzzcli');
    canary = path.join(sb.dir, 'canary');
    fs.mkdirSync(canary);
    fs.mkdirSync(path.join(sb.dir, 'binds', 'srv', 'data'), { recursive: true });
    const b = makeBundle(path.join(sb.dir, 'base'), (s) => {
      s.process.args = ['/bin/true'];
      s.linux.cgroupsPath = `/${CG_PARENT}/base`;
      s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.domainname': 'fuzz' };
      s.mounts.push({ destination: '/data', type: 'bind', source: path.join(sb.dir, 'binds', 'srv', 'data'), options: ['rbind'] });
      s.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      s.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }];
      s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 512 }];
    });
    rootfs = path.join(b, 'rootfs');
    base = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8')) as TestSpec;
    filesBefore = new Map(WATCHED_FILES.map((f) => [f, readOr(f)]));
  });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('fuzzed config.json: create gives a container or a clear error, and delete leaves nothing', () => {
    const seen = { ok: 0, refused: 0 };
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts: Mutation[]) => {
        const id = `cfg${++n}`;
        const cgroup = `${CG_PARENT}/${id}`;
        const dir = path.join(sb.dir, id);
        fs.mkdirSync(dir);
        const spec = defangSpec(mutate(structuredClone(base), muts), rootfs, cgroup);
        let text: string;
        try {
          text = JSON.stringify(spec) ?? 'null';
        } catch {
          text = '[]';
        }
        fs.writeFileSync(path.join(dir, 'config.json'), text);
        const scope = scopeOf(id, dir, cgroup);
        try {
          const r = runCli(sb.root, ['create', '--bundle', dir, id], { timeoutMs: 20_000 });
          clean(r, `create with ${JSON.stringify(muts).slice(0, 300)}`);
          if (r.status === 0) {
            seen.ok++;
            const st = runCli(sb.root, ['state', id]);
            clean(st, 'state');
            assert.equal((JSON.parse(st.output) as { status: string }).status, 'created');
          } else {
            seen.refused++;
            assert.ok(!fs.existsSync(path.join(sb.root, id)), 'a failed create leaves no state dir');
          }
          cleanupContainer(scope);
          hostUnchanged();
        } finally {
          forceClean(scope);
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      fuzzParams(30, 40),
    );
    assert.ok(seen.ok > 0, `some fuzzed configs still make containers: ${JSON.stringify(seen)}`);
  });

  test('fuzzed command lines: a clear result for every argv', () => {
    // cwd: a bundle running /bin/true, so that a bare `run` or `create` works and ends.
    // No cgroupsPath: every container the fuzzer makes gets its own (/oci-ts/<id>).
    const cwd = makeBundle(path.join(sb.dir, 'cwd-bundle'), (s) => {
      s.process.args = ['/bin/true'];
      delete s.linux.cgroupsPath;
    });
    const live = `live-${RUN}`;
    clean(runCli(sb.root, ['create', '--bundle', cwd, live]), 'create the live container');
    // Flags that take a host path get sandbox paths only (--log /etc/passwd would append to it).
    const PATH_FLAGS = ['log', 'root', 'criu', 'bundle', 'b', 'console-socket', 'pidfd-socket', 'pid-file', 'process', 'p', 'resources', 'r', 'image-path', 'work-path', 'parent-path'];
    const isPathFlag = (w: string): boolean => PATH_FLAGS.includes(w.replace(/^--?/, ''));
    const SAFE_VERBS = VERB_WORDS.filter((v) => !['events', 'doctor'].includes(v));
    // (A real argv cannot hold a NUL byte: execve ends the string there.)
    const values = HOSTILE_STRINGS.filter((s) => s.length < 100 && !s.startsWith('/') && !s.includes('..') && !s.includes('/') && !s.includes('\0'));
    const paths = ['', 'rel', 'cwd-bundle', 'missing/x', path.join(sb.dir, 'out.log'), path.join(sb.dir, 'cwd-bundle'), path.join(sb.dir, 'nope'), path.join(sb.dir, 'pid')];
    const ids = [live, 'nope', 'a/b', '..', '.', '', 'x'.repeat(300), '-x', 'a b', `new-${RUN}`];
    const word = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...SAFE_VERBS) },
      { weight: 3, arbitrary: fc.constantFrom(...FLAG_WORDS.filter((f) => !isPathFlag(f))) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...FLAG_WORDS.filter((f) => !isPathFlag(f))), fc.constantFrom(...values)).map(([f, v]) => `${f}=${v}`) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...PATH_FLAGS), fc.constantFrom(...paths)).map(([f, p]) => `--${f}=${p}`) },
      { weight: 3, arbitrary: fc.constantFrom(...ids) },
      { weight: 2, arbitrary: fc.constantFrom(...values, 'KILL', '9', '0', '-1', 'json', '--', '-') },
    );
    const argv = fc.tuple(fc.array(word, { maxLength: 2 }), fc.constantFrom(...SAFE_VERBS), fc.array(word, { maxLength: 5 })).map(([a, v, b]) => [...a, v, ...b]);
    try {
      fc.assert(
        fc.property(argv, (args) => {
          const r = runCli(sb.root, args, { cwd, timeoutMs: 20_000 });
          clean(r, `oci-ts ${JSON.stringify(args)}`, args.includes('exec') || args.includes('run'));
        }),
        fuzzParams(40, 30),
      );
    } finally {
      for (const id of fs.existsSync(sb.root) ? fs.readdirSync(sb.root).filter((e) => !e.startsWith('.')) : []) {
        cleanupContainer(scopeOf(id, cwd, `oci-ts/${id}`));
      }
    }
    hostUnchanged();
  });

  test('fuzzed process.json: exec --process gives a process or a clear error', () => {
    const cwd = makeBundle(path.join(sb.dir, 'exec-bundle'), (s) => {
      s.process.args = ['/bin/sleep', '1000'];
      s.linux.cgroupsPath = `/${CG_PARENT}/exec`;
    });
    const id = `exec-${RUN}`;
    const scope = scopeOf(id, cwd, `${CG_PARENT}/exec`);
    clean(runCli(sb.root, ['run', '-d', '--bundle', cwd, id]), 'run -d the exec target');
    const proc = { ...(base.process as Record<string, unknown>), args: ['/bin/true'], terminal: false };
    try {
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (muts) => {
          const file = path.join(sb.dir, 'process.json');
          let text: string;
          try {
            text = JSON.stringify(mutate(structuredClone(proc), muts)) ?? 'null';
          } catch {
            text = '{';
          }
          fs.writeFileSync(file, text);
          const r = runCli(sb.root, ['exec', '--process', file, id], { timeoutMs: 20_000 });
          // exec exits with the process's status, or 255 when it could not start it.
          assert.equal(r.signal, null, `exec killed: ${r.output}`);
          assert.equal(crashSignature(r.output), undefined, `exec --process ${text.slice(0, 300)}: ${r.output}`);
          if (r.status === 255) assert.notEqual(r.output.trim(), '', 'a failure says why');
        }),
        fuzzParams(12, 60),
      );
    } finally {
      cleanupContainer(scope);
    }
    hostUnchanged();
  });

  test('fuzzed state files: state, list, kill and delete answer cleanly', () => {
    const cg = `/${CG_PARENT}/state`;
    const id = 'st';
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (muts, force) => {
        fs.mkdirSync(path.join(sb.root, id), { recursive: true });
        let text: string;
        try {
          text = JSON.stringify(defang(mutate(baseRecord(id, cg), muts), cg)) ?? 'null';
        } catch {
          text = '{';
        }
        fs.writeFileSync(path.join(sb.root, id, 'state.json'), text);
        for (const args of [['state', id], ['list'], ['list', '--format', 'json'], ['kill', id, '0'], force ? ['delete', '--force', id] : ['delete', id]]) {
          clean(runCli(sb.root, args), `${args.join(' ')} of ${text.slice(0, 300)}`);
        }
        fs.rmSync(path.join(sb.root, id), { recursive: true, force: true });
      }),
      fuzzParams(15, 60),
    );
    hostUnchanged();
  });

  test('rootfs trees full of hostile symlinks: the container stays inside, the host is untouched', () => {
    // [path in the rootfs, symlink target]: to host directories, the canary, /proc, loops.
    const HOSTILE_LINKS: ReadonlyArray<[string, string]> = [
      ['proc', '/'], ['proc', '../../../..'], ['proc', '/proc/self/root'], ['proc', 'proc'], ['proc', canary],
      ['dev', '/dev'], ['dev', canary], ['dev', '../../../../../dev'], ['sys', '/etc'], ['sys', canary],
      ['tmp', '/proc/sys/kernel'], ['etc/hostname', '/proc/sysrq-trigger'], ['etc/hosts', canary + '/hosts'],
      ['data', canary], ['data', '/../../../../' + canary], ['scratch', canary], ['scratch', '/proc/self/fd/5'],
      ['loop1', 'loop2'], ['loop2', 'loop1'], ['root', '/root'], ['run', '/run'], ['var', '/proc/1/root/var'],
    ];
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: HOSTILE_LINKS.length - 1 }), { minLength: 1, maxLength: 4, selector: (i) => HOSTILE_LINKS[i]![0] }), fc.boolean(), (picks, sleeper) => {
        const id = `sym${++n}`;
        const cgroup = `${CG_PARENT}/${id}`;
        const dir = makeBundle(path.join(sb.dir, id), (s) => {
          Object.assign(s, structuredClone(base));
          s.root = { path: path.join(sb.dir, id, 'rootfs'), readonly: false };
          s.linux.cgroupsPath = `/${cgroup}`;
          // Writes only where a hostile link could lead to the canary (never to a procfs file).
          const t = TOKEN;
          s.process.args = sleeper ? ['/bin/sleep', '1000'] : ['/bin/sh', '-c', `echo ${t} >> /etc/hosts; mkdir -p /data/${t} /scratch/${t} /run/${t} /root/${t} /proc/${t}; touch /dev/${t} /tmp/${t} /sys/${t}; true`];
        });
        const fsRoot = path.join(dir, 'rootfs');
        for (const i of picks) {
          const [rel, target] = HOSTILE_LINKS[i]!;
          const p = path.join(fsRoot, rel);
          fs.rmSync(p, { recursive: true, force: true });
          fs.mkdirSync(path.dirname(p), { recursive: true });
          fs.symlinkSync(target, p);
        }
        const scope = scopeOf(id, dir, cgroup);
        try {
          const r = runCli(sb.root, sleeper ? ['run', '-d', '--bundle', dir, id] : ['run', '--bundle', dir, id], { timeoutMs: 20_000 });
          clean(r, `run with links ${JSON.stringify(picks.map((i) => HOSTILE_LINKS[i]))}`);
          cleanupContainer(scope);
          hostUnchanged();
        } finally {
          forceClean(scope);
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      fuzzParams(15, 60),
    );
  });
});
