/**
 * The conformance harness: every case runs once under runc (the reference) and once under
 * oci-ts, each with a fresh bundle whose process is the probe; the case's check compares the
 * probe's report with the config.json that was written.
 *
 * Result semantics, per case:
 *  - runc passes, oci-ts fails: a real failure (unless the case carries a `todo` naming a
 *    known oci-ts bug: then node reports it as todo).
 *  - runc fails too (refused the config, or did not do what it asked): the host (or the runc
 *    installed on it) lacks the feature. The oci-ts check is skipped with that reason when
 *    oci-ts fails, and passes when oci-ts does it anyway.
 *  - runc not installed: oci-ts is checked on its own (no reference to excuse a failure).
 * A last test prints the pass counts of both runtimes (and one line per failure) and fails when
 * an oci-ts `run` left its state or cgroup behind.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { inspect } from 'node:util';
import { makeBusyboxRootfs, runcDefaultSpec, type TestSpec } from '../helpers/bundle';
import { cgroupDirsLeft, cleanEnv, isRoot, ociTsBinary, removeCgroupTree } from '../helpers/runtime';
import { parseReport, probeBinary, probeSkipReason, type ProbeReport } from './probe';

export type RuntimeName = 'runc' | 'oci-ts';

export interface Runtime {
  name: RuntimeName;
  /** absolute path, or null when not installed */
  binary: string | null;
}

function findRunc(): string | null {
  if (process.env.RUNC_BINARY) return fs.existsSync(process.env.RUNC_BINARY) ? process.env.RUNC_BINARY : null;
  if (fs.existsSync('/usr/sbin/runc')) return '/usr/sbin/runc';
  const r = spawnSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** runc first: its outcome decides how an oci-ts failure of the same case is reported. */
export const RUNTIMES: readonly Runtime[] = [
  { name: 'runc', binary: findRunc() },
  { name: 'oci-ts', binary: fs.existsSync(ociTsBinary) ? ociTsBinary : null },
];

/** Why the whole suite cannot run here (undefined: it can). */
export const suiteSkipReason: string | undefined = !isRoot
  ? 'the conformance suite needs root (namespaces, mounts, cgroups)'
  : !fs.existsSync(ociTsBinary)
    ? `${ociTsBinary} is missing: run make build`
    : probeSkipReason();

/** What a case may do while its bundle is being prepared. */
export interface PrepareContext {
  runtime: RuntimeName;
  bundle: string;
  rootfs: string;
  /** Registers a clean-up that runs after the container is gone (helper processes, files). */
  defer(fn: () => void): void;
}

/** What a check gets besides the report: the config the runtime was given. */
export interface CheckContext {
  runtime: RuntimeName;
  spec: TestSpec;
  bundle: string;
}

export interface Case {
  name: string;
  /** Edits the base config (the `runc spec` template, root writable, process = the probe). */
  config?: (spec: TestSpec, ctx: PrepareContext) => void;
  /** Extra probe arguments (--stat PATH, --read PATH, --wopen PATH, --mkdir PATH). */
  probe?: string[];
  /** Throws (node:assert) when the report does not show what the config asked for. */
  check: (report: ProbeReport, ctx: CheckContext) => void;
  /** A known oci-ts bug (runc passes, oci-ts does not): the oci-ts result is reported as todo. */
  todo?: string;
}

type Outcome = { ok: true } | { ok: false; reason: string; error: unknown };

/** One line of a failure, for the summary and skip messages (an assertion: what it compared). */
function firstLine(e: unknown): string {
  if (e instanceof assert.AssertionError) {
    // (node appends a diff to a custom message: its first line is the message)
    const what = e.generatedMessage ? 'mismatch' : e.message.split('\n')[0];
    const show = (v: unknown): string => inspect(v, { breakLength: Infinity, depth: 3 });
    return `${what}: got ${show(e.actual)}, expected ${show(e.expected)}`.slice(0, 300);
  }
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n').find((l) => l.trim()) ?? msg).trim().slice(0, 300);
}

/** The last meaningful line a runtime wrote on stderr (its error). */
function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop()?.slice(0, 300) ?? '';
}

/** Host mount points at or under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)
    .map((l) => l.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * rm -rf of a bundle, but never across a mount point: a case may mount on the host (a shared
 * rootfs), and a runtime bug could leak a mount out; rm would then delete through it.
 */
function removeBundle(bundle: string): void {
  for (const mp of mountsUnder(bundle)) spawnSync('umount', ['--lazy', mp], { stdio: 'ignore' });
  const left = mountsUnder(bundle);
  if (left.length) throw new Error(`not removing ${bundle}: still mounted: ${left.join(' ')}`);
  fs.rmSync(bundle, { recursive: true, force: true });
}

class Suite {
  private dir = '';
  private n = 0;
  private probe = '';
  /** cgroup parent of every container of this run, removed at the end */
  readonly cgroupParent = `oci-ts-conf-${process.pid}`;
  readonly outcomes = new Map<string, Partial<Record<RuntimeName, Outcome>>>();
  /** What a runtime's `run` left behind (state dir, cgroup dirs), per runtime. */
  readonly leaks: Record<RuntimeName, string[]> = { runc: [], 'oci-ts': [] };
  private summarized = false;

  constructor(private readonly cases: readonly Case[]) {
    const names = cases.map((c) => c.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new Error(`two conformance cases are named "${dup}"`);
  }

  setup(): void {
    this.probe = probeBinary();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-conformance-'));
    // A user-namespaced container's root (an unprivileged host uid) must reach its rootfs.
    fs.chmodSync(this.dir, 0o711);
  }

  teardown(): void {
    if (!this.dir) return; // setup failed before making anything
    for (const rt of RUNTIMES) {
      const root = this.stateRoot(rt.name);
      if (!rt.binary || !fs.existsSync(root)) continue;
      for (const id of fs.readdirSync(root)) {
        if (!id.startsWith('.') && id !== ':cache') this.exec(rt, ['delete', '--force', id]);
      }
    }
    removeBundle(this.dir);
    removeCgroupTree(this.cgroupParent);
    const left = cgroupDirsLeft(this.cgroupParent);
    if (left.length) console.log(`conformance: cgroup dirs left behind: ${left.join(' ')}`);
  }

  private stateRoot(rt: RuntimeName): string {
    return path.join(this.dir, `state-${rt}`);
  }

  private exec(rt: Runtime, args: string[]): SpawnSyncReturns<string> {
    return spawnSync(rt.binary!, ['--root', this.stateRoot(rt.name), ...args], {
      encoding: 'utf8', env: cleanEnv(), cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000, killSignal: 'SIGKILL',
    });
  }

  /** Runs `c` under `rt` in the foreground: bundle, run, parse, check; always cleans up. */
  attempt(rt: Runtime, c: Case): Outcome {
    const id = `${rt.name === 'runc' ? 'runc' : 'ocits'}-${++this.n}`;
    const bundle = path.join(this.dir, id);
    const rootfs = path.join(bundle, 'rootfs');
    const deferred: Array<() => void> = [];
    try {
      fs.mkdirSync(bundle);
      makeBusyboxRootfs(rootfs);
      fs.copyFileSync(this.probe, path.join(rootfs, 'probe'));
      fs.chmodSync(path.join(rootfs, 'probe'), 0o755);
      const spec = baseConfig(rootfs, `/${this.cgroupParent}/${id}`);
      c.config?.(spec, { runtime: rt.name, bundle, rootfs, defer: (fn) => deferred.push(fn) });
      spec.process.args = ['/probe', ...(c.probe ?? [])];
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2));

      const r = this.exec(rt, ['run', '--bundle', bundle, id]);
      if (r.error) throw r.error;
      if (r.status !== 0) {
        const err = new Error(`${rt.name} run exited ${r.status ?? r.signal}:\n${r.stderr}`);
        return { ok: false, reason: `exit ${r.status ?? r.signal}: ${lastLine(r.stderr)}`, error: err };
      }
      const report = parseReport(r.stdout);
      c.check(report, { runtime: rt.name, spec, bundle });
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: firstLine(e), error: e };
    } finally {
      // A foreground run deletes its container, state and cgroup. What it left is recorded (the
      // last test asserts there is none for oci-ts) and removed here.
      const cgroup = `${this.cgroupParent}/${id}`;
      const left = cgroupDirsLeft(cgroup);
      if (fs.existsSync(path.join(this.stateRoot(rt.name), id))) {
        this.leaks[rt.name].push(`${id}: state`);
        this.exec(rt, ['delete', '--force', id]);
      }
      if (left.length) {
        this.leaks[rt.name].push(`${id}: ${left.join(' ')}`);
        removeCgroupTree(cgroup);
      }
      for (const fn of deferred.reverse()) {
        try { fn(); } catch { /* best effort: the next clean-up still runs */ }
      }
      removeBundle(bundle);
    }
  }

  record(name: string, rt: RuntimeName, o: Outcome): void {
    this.outcomes.set(name, { ...this.outcomes.get(name), [rt]: o });
  }

  /** The summary once: from the last test, or from the after hook when that did not run. */
  takeSummary(): string | undefined {
    if (this.summarized) return undefined;
    this.summarized = true;
    return this.summary();
  }

  private summary(): string {
    const all = [...this.outcomes.entries()];
    const count = (rt: RuntimeName): string => {
      const ran = all.filter(([, o]) => o[rt]);
      return ran.length ? `${rt} ${ran.filter(([, o]) => o[rt]!.ok).length}/${all.length} passed` : `${rt} not run`;
    };
    const lines = [`conformance: ${count('oci-ts')}, ${count('runc')}`];
    for (const [name, o] of all) {
      const r = o.runc;
      const t = o['oci-ts'];
      if (r && !r.ok) lines.push(`  runc fails "${name}": ${r.reason}${t?.ok ? ' (oci-ts passes)' : ''}`);
      const todo = this.cases.find((c) => c.name === name)?.todo;
      const note = r && !r.ok ? ' (skipped: runc fails too)' : todo ? ' (todo: a known oci-ts bug)' : '';
      if (t && !t.ok) lines.push(`  oci-ts fails "${name}": ${t.reason}${note}`);
    }
    return lines.join('\n');
  }
}

/**
 * The base every case edits: runc 1.1's `runc spec` template, frozen in tests/helpers (not
 * oci-ts's own default, so the suite does not depend on the runtime under test), with a
 * writable root and a cgroup of its own.
 */
function baseConfig(rootfs: string, cgroupsPath: string): TestSpec {
  const spec = runcDefaultSpec();
  spec.root = { path: rootfs, readonly: false };
  spec.process.terminal = false;
  spec.linux.cgroupsPath = cgroupsPath;
  return spec;
}

function runFor(t: TestContext, suite: Suite, rt: Runtime, c: Case): void {
  if (!rt.binary) {
    t.skip(`${rt.name} is not installed`);
    return;
  }
  const o = suite.attempt(rt, c);
  suite.record(c.name, rt.name, o);
  if (o.ok) {
    if (rt.name === 'oci-ts' && c.todo) t.diagnostic(`passes now: remove the todo "${c.todo}"`);
    return;
  }
  if (rt.name === 'runc') {
    t.skip(`runc fails: ${o.reason}`);
    return;
  }
  const ref = suite.outcomes.get(c.name)?.runc;
  if (ref && !ref.ok) {
    t.skip(`host lacks the feature: runc fails too (${ref.reason})`);
    return;
  }
  throw o.error;
}

/** Declares the suite: one describe per case, with a runc and an oci-ts test in that order. */
export function conformanceSuite(title: string, cases: readonly Case[]): void {
  const suite = new Suite(cases);
  describe(title, { skip: suiteSkipReason }, () => {
    before(() => suite.setup());
    after(() => {
      const summary = suite.takeSummary();
      if (summary) console.log(summary);
      suite.teardown();
    });
    for (const c of cases) {
      describe(c.name, () => {
        for (const rt of RUNTIMES) {
          test(rt.name, { todo: rt.name === 'oci-ts' ? c.todo : undefined }, (t) => runFor(t, suite, rt, c));
        }
      });
    }
    // Last (tests in a describe run in order): the counts as diagnostics, so that the reporter
    // prints them after the cases, and the check that oci-ts cleaned up after every run.
    test('summary: pass counts, and nothing left behind by oci-ts', (t) => {
      for (const line of suite.takeSummary()?.split('\n') ?? []) t.diagnostic(line);
      if (suite.leaks.runc.length) t.diagnostic(`runc left behind: ${suite.leaks.runc.join('; ')}`);
      assert.deepEqual(suite.leaks['oci-ts'], [], 'state or cgroup dirs oci-ts left after a foreground run');
    });
  });
}
