/**
 * oci-ts's configs against the OCI runtime-tools bundle validator (opencontainers/runtime-tools,
 * package validate), built from Debian's golang-github-opencontainers-runtime-tools-dev with
 * Debian's Go into build/rt-validate (tools/rt-validate: what it checks and why).
 *
 * Checked here:
 *   - `oci-ts spec` and `oci-ts spec --rootless`: oci-ts's own templates must pass outright.
 *   - A corpus of the config shapes the test suite has oci-ts accept: the same makeBundle /
 *     baseSpec / runcDefaultSpec helpers and the same patches as the integration tests (each
 *     entry names its source), every one run through `oci-ts create` (it must succeed, and is
 *     deleted again) and through the validator. Plus the golden plan fixtures, accepted by
 *     `oci-ts plan`.
 *   - The makeBundle recording hook (OCI_TS_CONFIG_CORPUS) and the sweep over what it records:
 *     in every run over this file's own corpus; with OCI_TS_CONFIG_CORPUS=<dir> set, also over
 *     the configs recorded by an earlier run of the whole suite (see the README).
 *
 * Where the two disagree, the reason is a rule in KNOWN_DISAGREEMENTS: it excuses one validator
 * error message, and only on a config that has the feature causing it. Any other validator error
 * on a config oci-ts accepts fails the test (a new disagreement: fix oci-ts, or add a rule with
 * its reason here and in the README), and so does a rule that no corpus entry needs any more.
 *
 * Why a corpus built here rather than only the recording hook: the configs the other test files
 * write are full of host resources that are gone after they ran (hook scripts, bind sources,
 * /proc/<pid>/ns paths of dead processes), and whether oci-ts accepted a recorded config is not
 * recorded at all (a `refused` test writes its config through the same makeBundle). Here every
 * entry is created for real, on every CI run, whatever order the files run in. The recorded sweep
 * complements it for a full-suite audit: it relocates each config into a fresh bundle, keeps the
 * ones `oci-ts plan` accepts on this host, applies the same rules, and has `oci-ts create` confirm
 * any config the validator rejects without a known reason before calling it a disagreement.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cachedRootfs, makeBundle, makeBusyboxRootfs, runcDefaultSpec, type TestSpec } from '../helpers/bundle';
import {
  cgroupDirsLeft, cleanEnv, ociTsBinary, removeCgroupTree, repoRoot, sandbox, skipReason, waitFor, type Sandbox,
} from '../helpers/runtime';

const VALIDATOR = process.env.OCI_TS_RT_VALIDATE ?? path.join(repoRoot, 'build/rt-validate');
const TOOL_DIR = path.join(repoRoot, 'tools/rt-validate');
const RUNTIME_TOOLS_SRC = '/usr/share/gocode/src/github.com/opencontainers/runtime-tools/validate';

/** Skip only where the toolchain is truly absent and this is not CI (deps.sh installs it there). */
function toolchainSkip(): string | undefined {
  if (skipReason) return skipReason;
  if (process.env.OCI_TS_RT_VALIDATE || process.env.CI) return undefined; // CI: a missing Go must fail
  const go = spawnSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' });
  if (go.status !== 0) return 'go not found: install golang-go golang-github-opencontainers-runtime-tools-dev (make deps)';
  if (!fs.existsSync(RUNTIME_TOOLS_SRC)) return `${RUNTIME_TOOLS_SRC} missing: install golang-github-opencontainers-runtime-tools-dev (make deps)`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// the validator

interface Finding { check: string; level?: string; reference?: string; message: string }
interface RtResult {
  path: string;
  bundle: string;
  ociVersion?: string;
  valid: boolean;
  errors: Finding[];
  warnings: Finding[];
  unknownFields: string[];
}

/** Builds build/rt-validate when it is missing or older than its sources. */
function ensureValidator(): void {
  if (process.env.OCI_TS_RT_VALIDATE) return;
  const sources = ['main.go', 'build.sh'].map((f) => fs.statSync(path.join(TOOL_DIR, f)).mtimeMs);
  const built = fs.existsSync(VALIDATOR) ? fs.statSync(VALIDATOR).mtimeMs : 0;
  if (built >= Math.max(...sources)) return;
  const r = spawnSync('bash', [path.join(TOOL_DIR, 'build.sh'), VALIDATOR], { encoding: 'utf8', timeout: 600_000, env: cleanEnv() });
  assert.equal(r.status, 0, `building ${VALIDATOR} failed:\n${r.stdout}${r.stderr}`);
}

/** Runs the validator on bundle dirs (or config files); exit 0 or 1 are verdicts, anything else a failure. */
function rtValidate(paths: string[], flags: string[] = []): RtResult[] {
  const r = spawnSync(VALIDATOR, ['--json', ...flags, ...paths], { encoding: 'utf8', timeout: 120_000, maxBuffer: 256 << 20 });
  assert.ok(r.status === 0 || r.status === 1, `rt-validate exited ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  let results: RtResult[];
  try {
    results = JSON.parse(r.stdout) as RtResult[];
  } catch (e) {
    assert.fail(`rt-validate printed no JSON (${String(e)}):\n${r.stdout}${r.stderr}`);
  }
  assert.equal(results.length, paths.length);
  assert.equal(r.status === 0, results.every((x) => x.valid), 'exit status matches the verdicts');
  return results;
}

function show(r: RtResult): string {
  const lines = [`${r.path} (ociVersion ${r.ociVersion ?? '?'}):`];
  for (const f of r.errors) lines.push(`  error   [${f.check}] ${f.message}${f.level ? ` (${f.level})` : ''}`);
  for (const f of r.warnings) lines.push(`  warning [${f.check}] ${f.message}`);
  if (r.unknownFields.length > 0) lines.push(`  unknown to the validator: ${r.unknownFields.join(' ')}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// known disagreements: configs oci-ts accepts (as runc does) that the validator rejects

interface KnownDisagreement {
  id: string;
  /** Why oci-ts is right to accept it (tools/rt-validate/README.md says the same, at more length). */
  why: string;
  check: string;
  message: RegExp;
  /** The feature that causes it: the rule excuses the error only on a config that has it. */
  applies(spec: TestSpec, finding: Finding): boolean;
}

const namespaces = (s: TestSpec): Array<{ type: string; path?: string }> => s.linux?.namespaces ?? [];
const capSet = (s: TestSpec, set: string): string[] => s.process?.capabilities?.[set] ?? [];

const KNOWN_DISAGREEMENTS: KnownDisagreement[] = [
  {
    id: 'ambient-not-inheritable',
    why: 'runtime-spec puts no condition on process.capabilities.ambient. The kernel raises an ambient capability '
      + 'only when it is permitted and inheritable (PR_CAP_AMBIENT_RAISE); runc ignores the others, oci-ts drops '
      + 'them with a warning (lib/plan/identity.ts), so `runc spec` templates (ambient without inheritable) run and '
      + 'the process gets nothing it was not given (cve.test.ts, CVE-2022-29162, checks CapAmb). The validator errs.',
    check: 'CheckProcess',
    message: /^ambient capability "CAP_[A-Z_]+" is not allowed, as it's not permitted and inheribate$/,
    applies: (s, f) => {
      const cap = /"(CAP_[A-Z_]+)"/.exec(f.message)?.[1] ?? '';
      return capSet(s, 'ambient').includes(cap) && !(capSet(s, 'permitted').includes(cap) && capSet(s, 'inheritable').includes(cap));
    },
  },
  {
    id: 'time-namespace',
    why: 'The "time" namespace type and linux.timeOffsets are runtime-spec 1.1.0; the schema Debian ships '
      + '(runtime-spec 1.0.2-dev, the version of its Go types) enumerates only mount pid network uts ipc user cgroup.',
    check: 'schema',
    // the enum, and the anyOf around it (a namespace entry is either { type } or { type, path })
    message: /^linux\.namespaces\.(\d+)(?:\.type: linux\.namespaces\.\d+\.type must be one of the following: .*|: Must validate at least one schema \(anyOf\))$/,
    applies: (s, f) => namespaces(s)[Number(/^linux\.namespaces\.(\d+)/.exec(f.message)?.[1])]?.type === 'time',
  },
  {
    id: 'oci-version-before-1.0.2',
    why: 'oci-ts reads every runtime-spec 1.x config (the 1.x line is backward compatible); the validator\'s '
      + 'schema check (JSONSchemaURL) refuses any ociVersion older than 1.0.2 outright.',
    check: 'schema',
    message: /^unsupported configuration version \(older than 1\.0\.2\)$/,
    applies: (s) => /^1\.0\.[01](?:[-+].*)?$/.test(String(s.ociVersion)),
  },
  {
    id: 'unknown-capability',
    why: 'Since runtime-spec 1.1 a capability that cannot be mapped to a kernel interface MUST be logged as a warning '
      + '(1.0 said: cause an error). oci-ts warns "ignoring unknown or unavailable capability" and goes on '
      + '(lib/plan/capabilities.ts), so a config naming a newer kernel\'s capability still runs; the validator errs.',
    check: 'CheckProcess',
    message: /^capability "[^"]*" is not valid, man capabilities\(7\)$/,
    applies: (s, f) => {
      const name = /^capability "([^"]*)"/.exec(f.message)?.[1] ?? '';
      return ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'].some((set) => capSet(s, set).includes(name));
    },
  },
  {
    id: 'root-outside-bundle',
    why: 'config.md allows root.path to be any absolute path, and runc and oci-ts use it as given (engines keep '
      + 'the rootfs elsewhere, tests/integration/concurrency.test.ts shares one); the validator reads the bundle '
      + 'rule that the artifacts sit in one directory as "root.path MUST be a child of the bundle".',
    check: 'CheckRoot',
    message: /^root\.path is ".*", but it MUST be a child of ".*"$/,
    applies: (s, f) => typeof s.root?.path === 'string' && path.isAbsolute(s.root.path)
      && f.message.startsWith(`root.path is ${JSON.stringify(s.root.path)},`),
  },
];

/** The validator errors that no known disagreement explains, and the rules that explained some. */
function explain(r: RtResult, spec: TestSpec): { unexplained: Finding[]; used: string[] } {
  const unexplained: Finding[] = [];
  const used = new Set<string>();
  for (const f of r.errors) {
    const rule = KNOWN_DISAGREEMENTS.find((d) => d.check === f.check && d.message.test(f.message) && d.applies(spec, f));
    if (rule) used.add(rule.id);
    else unexplained.push(f);
  }
  return { unexplained, used: [...used] };
}

// ---------------------------------------------------------------------------------------------
// the corpus

interface Host {
  /** A directory for bind mounts, with a file `marker`, a directory `sub` and a file `hosts`. */
  vol: string;
  /** A symlink to vol (a bind source that is a symlink, CVE-2024-45310). */
  volLink: string;
  /** /proc/<pid>/ns/user of a process in its own user namespace (0 -> 100000, 65536 ids). */
  userNsPath(): string;
  /** /proc/<pid>/ns/net of a process in its own network namespace. */
  netNsPath(): string;
}

interface Entry {
  name: string;
  /** The test file(s) whose accepted config this is. */
  from: string;
  patch(s: TestSpec, host: Host): void;
  /** Host facts an entry needs; a reason when they are missing here. */
  unavailable?(): string | undefined;
}

const seccompFixture = (name: string): TestSpec =>
  JSON.parse(fs.readFileSync(path.join(repoRoot, 'tests/fixtures/seccomp', name), 'utf8')) as TestSpec;
const allow = (syscalls: TestSpec[]): TestSpec => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls });
const withUserns = (s: TestSpec): void => {
  s.linux.namespaces.push({ type: 'user' });
  s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
};
const withoutNs = (type: string) => (s: TestSpec): void => {
  s.linux.namespaces = namespaces(s).filter((n) => n.type !== type);
};
const numaNode0 = (): string | undefined =>
  fs.existsSync('/sys/devices/system/node/node0') ? undefined : 'no NUMA node 0 on this host (as config-process.test.ts needs)';

const CORPUS: Entry[] = [
  { name: 'the makeBundle default (oci-ts spec template, 1.3.0)', from: 'tests/helpers/bundle.ts', patch: () => {} },
  {
    name: 'runc 1.1.5 `runc spec` (1.0.2-dev, ambient without inheritable)', from: 'tests/helpers/bundle.ts runcDefaultSpec',
    patch: (s) => {
      const keep = { args: s.process.args, root: s.root.path, cgroupsPath: s.linux.cgroupsPath };
      for (const k of Object.keys(s)) delete s[k];
      Object.assign(s, runcDefaultSpec());
      s.process.args = keep.args;
      s.root.path = keep.root;
      s.linux.cgroupsPath = keep.cgroupsPath;
    },
  },
  ...['1.0.0', '1.0.2-dev', '1.1.0', '1.1.0-rc.3', '1.2.1', '1.3.0+dev', '1.3.7'].map((v): Entry => ({
    name: `ociVersion ${v}`, from: 'tests/unit/validate.test.ts', patch: (s) => { s.ociVersion = v; },
  })),
  // lifecycle.test.ts
  { name: 'hostname', from: 'lifecycle.test.ts', patch: (s) => { s.hostname = 'box1'; } },
  {
    name: 'memory, pids and cpu limits', from: 'lifecycle.test.ts',
    patch: (s) => { s.linux.resources = { ...s.linux.resources, memory: { limit: 64 << 20 }, pids: { limit: 30 }, cpu: { shares: 512, quota: 50000, period: 100000 } }; },
  },
  {
    name: 'nobody with groups, rlimits, capabilities with ambient, oomScoreAdj, read-only root', from: 'lifecycle.test.ts',
    patch: (s) => {
      s.process.user = { uid: 65534, gid: 65534, additionalGids: [5, 7] };
      s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 }];
      s.process.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL', 'CAP_CHOWN'] };
      s.process.noNewPrivileges = true;
      s.process.oomScoreAdj = 123;
      s.root.readonly = true;
    },
  },
  {
    name: 'prestart and poststop hooks', from: 'lifecycle.test.ts, soak.test.ts',
    patch: (s) => { s.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /dev/null'] }], poststop: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /dev/null'] }] }; },
  },
  { name: 'seccomp with only a default action', from: 'lifecycle.test.ts', patch: (s) => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }; } },
  // cgroup-verbs.test.ts
  { name: 'memory reservation', from: 'cgroup-verbs.test.ts', patch: (s) => { s.linux.resources = { ...s.linux.resources, memory: { reservation: 32 << 20 } }; } },
  { name: 'memory reservation and cpu shares', from: 'cgroup-verbs.test.ts', patch: (s) => { s.linux.resources = { ...s.linux.resources, memory: { reservation: 16 << 20 }, cpu: { shares: 256 } }; } },
  { name: 'memory limit with swap = limit', from: 'cgroup-verbs.test.ts', patch: (s) => { s.linux.resources = { ...s.linux.resources, memory: { limit: 16 << 20, swap: 16 << 20 } }; } },
  { name: 'no pid namespace', from: 'cgroup-verbs.test.ts, stdio.test.ts, cve.test.ts', patch: withoutNs('pid') },
  // config-process.test.ts
  { name: 'personality LINUX32', from: 'config-process.test.ts', patch: (s) => { s.linux.personality = { domain: 'LINUX32' }; } },
  { name: 'personality LINUX', from: 'config-process.test.ts', patch: (s) => { s.linux.personality = { domain: 'LINUX' }; } },
  { name: 'scheduler SCHED_BATCH nice 7', from: 'config-process.test.ts', patch: (s) => { s.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 }; } },
  { name: 'scheduler SCHED_IDLE', from: 'config-process.test.ts', patch: (s) => { s.process.scheduler = { policy: 'SCHED_IDLE' }; } },
  { name: 'ioPriority idle', from: 'config-process.test.ts', patch: (s) => { s.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 }; } },
  { name: 'ioPriority best-effort 6', from: 'config-process.test.ts', patch: (s) => { s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }; } },
  { name: 'memoryPolicy MPOL_BIND', from: 'config-process.test.ts', unavailable: numaNode0, patch: (s) => { s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' }; } },
  {
    name: 'memoryPolicy MPOL_INTERLEAVE with flags', from: 'config-process.test.ts', unavailable: numaNode0,
    patch: (s) => { s.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] }; },
  },
  {
    name: 'net and ipc sysctls (dotted and slashed names)', from: 'config-process.test.ts',
    patch: (s) => { s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel/shmmni': '1234', 'net.ipv4.conf.lo.forwarding': '1' }; },
  },
  { name: 'hostname and domainname', from: 'config-process.test.ts', patch: (s) => { s.hostname = 'box7'; s.domainname = 'example.test'; } },
  {
    name: 'time namespace with boottime and monotonic offsets', from: 'config-process.test.ts',
    patch: (s) => { s.linux.namespaces.push({ type: 'time' }); s.linux.timeOffsets = { boottime: { secs: 86400 * 3 }, monotonic: { secs: 3600, nanosecs: 5 } }; },
  },
  { name: 'execCPUAffinity', from: 'config-process.test.ts', patch: (s) => { s.process.execCPUAffinity = { initial: '0', final: '0' }; } },
  // config-mounts.test.ts
  ...[['rro'], ['ro'], ['rnosuid', 'rnodev', 'rnoexec', 'rnoatime'], ['rro', 'rrw']].map((opts): Entry => ({
    name: `rbind with ${opts.join(',')}`, from: 'config-mounts.test.ts',
    patch: (s, h) => { s.mounts.push({ destination: '/vol', type: 'bind', source: h.vol, options: ['rbind', ...opts] }); },
  })),
  {
    name: 'tmpfs with recursive attributes', from: 'config-mounts.test.ts',
    patch: (s) => { s.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'rnoexec', 'rro'] }); },
  },
  // config-hooks.test.ts
  {
    name: 'createContainer hook with args, env, timeout; an annotation', from: 'config-hooks.test.ts',
    patch: (s) => {
      s.annotations = { 'org.example/k': 'v' };
      s.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /dev/null', 'cc'], env: ['HOOK_ENV=from-config'], timeout: 10 }] };
    },
  },
  {
    name: 'startContainer hook (path inside the container)', from: 'config-hooks.test.ts',
    patch: (s) => { s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /dev/null'] }] }; },
  },
  {
    name: 'every hook kind', from: 'tests/fixtures/plan/hooks-seccomp',
    patch: (s) => {
      const hook = { path: '/bin/true' };
      s.hooks = { createRuntime: [hook], prestart: [hook], createContainer: [hook], startContainer: [hook], poststart: [hook], poststop: [hook] };
    },
  },
  // config-userns.test.ts
  { name: 'user namespace 0 -> 100000 (65536)', from: 'config-userns.test.ts', patch: withUserns },
  {
    name: 'user namespace with a user.* sysctl', from: 'config-userns.test.ts',
    patch: (s) => { withUserns(s); s.linux.sysctl = { 'user.max_inotify_watches': '1234' }; },
  },
  { name: 'joining a user namespace by path', from: 'config-userns.test.ts', patch: (s, h) => { s.linux.namespaces.push({ type: 'user', path: h.userNsPath() }); } },
  {
    name: 'joining a network namespace by path', from: 'tests/unit/validate.test.ts (Podman-like)',
    patch: (s, h) => { s.linux.namespaces = namespaces(s).map((n) => (n.type === 'network' ? { type: 'network', path: h.netNsPath() } : n)); },
  },
  // config-seccomp.test.ts, permissions.test.ts, exec.test.ts, soak.test.ts
  {
    name: 'seccomp ERRNO(1) with a name libseccomp does not know', from: 'config-seccomp.test.ts',
    patch: (s) => { s.linux.seccomp = allow([{ names: ['mkdir', 'mkdirat', 'not_a_syscall_at_all'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }]); },
  },
  {
    name: 'seccomp for a non-root user without noNewPrivileges', from: 'config-seccomp.test.ts',
    patch: (s) => {
      s.process.user = { uid: 1000, gid: 1000 };
      s.process.noNewPrivileges = false;
      s.process.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
      s.linux.seccomp = allow([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }]);
    },
  },
  {
    name: 'seccomp default ERRNO with defaultErrnoRet', from: 'config-seccomp.test.ts',
    patch: (s) => {
      const names = seccompFixture('podman-default.json').syscalls[1].names as string[];
      s.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, syscalls: [{ names: [...names, 'clone'], action: 'SCMP_ACT_ALLOW' }] };
    },
  },
  ...['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG'].map((action): Entry => ({
    name: `seccomp ${action}`, from: 'config-seccomp.test.ts',
    patch: (s) => { s.linux.seccomp = allow([{ names: ['mkdir', 'mkdirat'], action }]); },
  })),
  { name: 'seccomp SCMP_ACT_TRACE with errnoRet', from: 'config-seccomp.test.ts', patch: (s) => { s.linux.seccomp = allow([{ names: ['mkdir'], action: 'SCMP_ACT_TRACE', errnoRet: 5 }]); } },
  {
    name: 'seccomp argument conditions, every operator', from: 'config-seccomp.test.ts',
    patch: (s) => {
      const ops = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GE', 'SCMP_CMP_GT'];
      s.linux.seccomp = allow([
        ...ops.map((op) => ({ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 18, op }] })),
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 3, valueTwo: 1, op: 'SCMP_CMP_MASKED_EQ' }] },
      ]);
    },
  },
  { name: 'seccomp: Docker-shaped default profile', from: 'config-seccomp.test.ts', patch: (s) => { s.linux.seccomp = seccompFixture('docker-default.json'); } },
  { name: 'seccomp: Podman-shaped default profile', from: 'config-seccomp.test.ts', patch: (s) => { s.linux.seccomp = seccompFixture('podman-default.json'); } },
  {
    name: 'seccomp filter flags', from: 'config-seccomp.test.ts',
    patch: (s) => {
      s.linux.seccomp = { ...allow([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }]), flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'] };
    },
  },
  {
    name: 'limits, a read-only bind, seccomp and a prestart hook together', from: 'soak.test.ts, permissions.test.ts',
    patch: (s, h) => {
      s.linux.resources = { ...s.linux.resources, pids: { limit: 50 }, memory: { limit: 64 << 20 } };
      s.mounts.push({ destination: '/mnt', type: 'bind', source: h.vol, options: ['rbind', 'ro'] });
      s.linux.seccomp = allow([{ names: ['mknod'], action: 'SCMP_ACT_ERRNO' }]);
      s.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /dev/null'] }] };
    },
  },
  { name: 'no noNewPrivileges', from: 'exec.test.ts', patch: (s) => { s.process.noNewPrivileges = false; } },
  { name: 'another env', from: 'exec.test.ts, faults.test.ts', patch: (s) => { s.process.env = ['PATH=/bin', 'ORIGIN=create', 'OCI_TS_TOKEN=x1']; } },
  {
    name: 'a capability this runtime does not know (warned about, ignored)', from: 'tests/unit/fuzz-config.test.ts, lib/plan/capabilities.ts',
    patch: (s) => { s.process.capabilities.bounding.push('CAP_FROM_A_NEWER_KERNEL'); },
  },
  // cve.test.ts
  {
    name: 'nested tmpfs and bind mounts', from: 'cve.test.ts',
    patch: (s, h) => {
      s.mounts.push({ destination: '/mnt1', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      s.mounts.push({ destination: '/mnt2/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      s.mounts.push({ destination: '/mnt3', type: 'bind', source: h.vol, options: ['rbind'] });
      s.mounts.push({ destination: '/vol/x/y', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    },
  },
  {
    name: 'no /dev mounts, extra masked paths', from: 'cve.test.ts',
    patch: (s) => {
      s.mounts = s.mounts.filter((m: { destination: string }) => !m.destination.startsWith('/dev'));
      s.linux.maskedPaths = [...s.linux.maskedPaths, '/etc/masked-file', '/etc/secret', '/etc/secretdir'];
    },
  },
  { name: 'uts sysctl and oomScoreAdj', from: 'cve.test.ts', patch: (s) => { s.linux.sysctl = { 'kernel.domainname': 'fine' }; s.process.oomScoreAdj = 500; } },
  {
    name: 'runc 1.1 ambient = bounding', from: 'cve.test.ts (CVE-2022-29162)',
    patch: (s) => { s.process.capabilities.ambient = [...s.process.capabilities.bounding]; },
  },
  {
    name: 'a bind source that is a symlink', from: 'cve.test.ts (CVE-2024-45310)',
    patch: (s, h) => { s.mounts.push({ destination: '/data', type: 'bind', source: h.volLink, options: ['rbind', 'ro'] }); },
  },
  // plan-vs-kernel.test.ts
  {
    name: 'rlimits, inheritable and ambient, tmpfs, directory and file binds, a masked path that does not exist', from: 'plan-vs-kernel.test.ts',
    patch: (s, h) => {
      s.hostname = 'plan-vs-kernel';
      s.root.readonly = true;
      s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1000, hard: 2000 }, { type: 'RLIMIT_NPROC', soft: 300, hard: 400 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }];
      const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID'];
      s.process.capabilities = { bounding: [...caps, 'CAP_SYS_CHROOT'], effective: caps, permitted: caps, inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] };
      s.mounts.push(
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'mode=1777', 'size=1m'] },
        { destination: '/data', type: 'bind', source: h.vol, options: ['rbind', 'ro', 'nosuid', 'nodev', 'rprivate'] },
        { destination: '/etc/hosts', type: 'bind', source: path.join(h.vol, 'hosts'), options: ['rbind', 'noexec', 'rprivate'] },
      );
      s.linux.maskedPaths = [...s.linux.maskedPaths, '/proc/does-not-exist'];
    },
  },
  // concurrency.test.ts
  {
    name: 'a shared read-only rootfs outside the bundle', from: 'concurrency.test.ts',
    patch: (s) => { s.root = { path: cachedRootfs(), readonly: true }; },
  },
  // home-tmpcopyup.test.ts
  { name: 'a user without a passwd entry; an empty HOME', from: 'home-tmpcopyup.test.ts', patch: (s) => { s.process.user = { uid: 1234, gid: 1234 }; s.process.env.push('HOME='); } },
  {
    name: 'tmpcopyup tmpfs mounts', from: 'home-tmpcopyup.test.ts',
    patch: (s) => {
      s.mounts.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'tmpcopyup', 'mode=755', 'size=4m'] });
      s.mounts.push({ destination: '/ro', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'ro', 'nosuid', 'noexec'] });
      s.mounts.push({ destination: '/fresh/dir', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] });
      for (const set of ['bounding', 'effective', 'permitted']) s.process.capabilities[set] = [...capSet(s, set), 'CAP_DAC_OVERRIDE'];
    },
  },
];

// ---------------------------------------------------------------------------------------------

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const CG_PARENT = `oci-ts-it-rtv-${RUN}`;
let sb: Sandbox | undefined;
let host: Host | undefined;
let ownCorpus = '';
let savedCorpusEnv: string | undefined;
const helpers: ChildProcess[] = [];
/** A namespace path that cannot exist (above the largest pid_max). */
const NO_SUCH_NETNS = `/proc/${2 ** 22 + 1}/ns/net`;
let joinedNetSysctl = '';
const usedRules = new Set<string>();
/** Names of corpus entries that oci-ts created, with their bundles (for the sweep's cross-check). */
const created = new Map<string, string>();

function sandboxOf(): Sandbox {
  assert.ok(sb, 'before() did not run');
  return sb;
}

/** A process (killed in after()) that sits in namespaces of its own; returns /proc/<pid>/ns/<ns>. */
function helperNs(unshareFlags: string[], ns: string): string {
  const child = spawn('unshare', [...unshareFlags, 'sleep', '1000'], { stdio: 'ignore' });
  child.on('error', () => { /* reported by the wait below */ });
  helpers.push(child);
  const file = `/proc/${child.pid}/ns/${ns}`;
  const own = fs.readlinkSync(`/proc/self/ns/${ns}`);
  assert.ok(waitFor(() => { try { return fs.readlinkSync(file) !== own; } catch { return false; } }), `unshare ${unshareFlags.join(' ')} did not start`);
  return file;
}

/**
 * A user namespace mapped like config-userns.test.ts's (0 -> 100000, 65536 ids, so that the
 * devpts gid=5 option is mapped): root writes the maps of an unshared sleeper from outside.
 */
function mappedUserNs(): string {
  const file = helperNs(['--user'], 'user');
  const pid = file.split('/')[2]!;
  fs.writeFileSync(`/proc/${pid}/setgroups`, 'deny');
  fs.writeFileSync(`/proc/${pid}/uid_map`, '0 100000 65536');
  fs.writeFileSync(`/proc/${pid}/gid_map`, '0 100000 65536');
  return file;
}

function makeHost(dir: string): Host {
  const vol = path.join(dir, 'vol');
  fs.mkdirSync(path.join(vol, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(vol, 'marker'), 'real\n');
  fs.writeFileSync(path.join(vol, 'hosts'), '127.0.0.1 localhost\n');
  const volLink = path.join(dir, 'vol-link');
  fs.symlinkSync(vol, volLink);
  let userNs = '';
  let netNs = '';
  return {
    vol,
    volLink,
    userNsPath: () => (userNs ||= mappedUserNs()),
    netNsPath: () => (netNs ||= helperNs(['--net'], 'net')),
  };
}

const skip = toolchainSkip();

describe('runtime-tools validator (build/rt-validate) on the configs oci-ts writes and accepts', { skip }, () => {
  before(() => {
    ensureValidator();
    sb = sandbox('rtv');
    // A user namespace's root must reach the rootfs (as in config-userns.test.ts).
    fs.chmodSync(sb.dir, 0o711);
    host = makeHost(sb.dir);
    // Every corpus bundle goes through the recording hook into a corpus of our own, so that the
    // sweep below is exercised on each run; a corpus the caller asked for is swept as well.
    savedCorpusEnv = process.env.OCI_TS_CONFIG_CORPUS;
    ownCorpus = path.join(sb.dir, 'recorded');
    process.env.OCI_TS_CONFIG_CORPUS = ownCorpus;
  });

  after(() => {
    if (savedCorpusEnv === undefined) delete process.env.OCI_TS_CONFIG_CORPUS;
    else process.env.OCI_TS_CONFIG_CORPUS = savedCorpusEnv;
    for (const h of helpers) h.kill('SIGKILL');
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('the validator fails what it must: broken configs are rejected with the reason', () => {
    const dir = path.join(sandboxOf().dir, 'broken');
    const cases: Array<[string, (s: TestSpec) => void, string, RegExp]> = [
      ['relative cwd', (s) => { s.process.cwd = 'tmp'; }, 'CheckProcess', /^cwd "tmp" is not an absolute path$/],
      ['hostname without a uts namespace', withoutNs('uts'), 'CheckLinux', /hostname requires a new UTS namespace/],
      ['a namespace twice', (s) => { s.linux.namespaces.push({ type: 'ipc' }); }, 'CheckLinux', /^duplicated namespace "ipc"$/],
      ['a wrong type', (s) => { s.process.user.uid = 'root'; }, 'load', /cannot unmarshal string/],
      ['a value outside a schema enum', (s) => { s.linux.rootfsPropagation = 'sideways'; }, 'schema', /linux\.rootfsPropagation must be one of/],
      ['soft above hard', (s) => { s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 1 }]; }, 'CheckProcess', /hard limit of rlimit RLIMIT_NOFILE should not be less than soft limit/],
      ['an unknown capability', (s) => { s.process.capabilities.bounding.push('CAP_NOT_A_CAP'); }, 'CheckProcess', /capability "CAP_NOT_A_CAP" is not valid/],
      ['a relative mount destination', (s) => { s.mounts.push({ destination: 'mnt', type: 'tmpfs', source: 'tmpfs' }); }, 'CheckMounts', /destination "mnt" is not absolute/],
      ['a relative hook path', (s) => { s.hooks = { prestart: [{ path: 'true' }] }; }, 'CheckHooks', /hooks\.prestart\[0\]\.path true: is not absolute path/],
      ['a schema enum', (s) => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_MAYBE' }; }, 'schema', /linux\.seccomp\.defaultAction must be one of/],
      ['no rootfs directory', (s) => { s.root.path = path.join(dir, 'missing', 'rootfs'); }, 'CheckRoot', /cannot find the root path/],
      // (plan, which opens no namespace path, accepts this one; create refuses it: see the sweep)
      ['a net sysctl in a joined network namespace', (s) => {
        s.linux.namespaces = namespaces(s).map((ns) => (ns.type === 'network' ? { type: 'network', path: NO_SUCH_NETNS } : ns));
        s.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
      }, 'CheckLinux', /^sysctl net\.ipv4\.ip_forward requires a new Network namespace to be specified as well$/],
    ];
    const bundles = cases.map(([, patch], i) => makeBundle(path.join(dir, `b${i}`), patch));
    joinedNetSysctl = bundles[bundles.length - 1]!;
    const results = rtValidate(bundles);
    cases.forEach(([what, , check, message], i) => {
      const r = results[i]!;
      assert.equal(r.valid, false, `${what}: should be invalid\n${show(r)}`);
      assert.ok(r.errors.some((f) => f.check === check && message.test(f.message)), `${what}: no ${check} error matching ${message}\n${show(r)}`);
    });
    // ... and a SHOULD-level finding is only a warning, as in `oci-runtime-tool validate`.
    const annotated = rtValidate([makeBundle(path.join(dir, 'annotated'), (s) => { s.annotations = { k: 'v' }; })])[0]!;
    assert.equal(annotated.valid, true, show(annotated));
    assert.ok(annotated.warnings.some((f) => f.check === 'CheckAnnotations' && f.level === 'SHOULD'), show(annotated));
  });

  for (const rootless of [false, true]) {
    test(`\`oci-ts spec${rootless ? ' --rootless' : ''}\` passes with no error and nothing the validator cannot see`, () => {
      const dir = path.join(sandboxOf().dir, rootless ? 'spec-rootless' : 'spec');
      fs.mkdirSync(dir);
      const r = spawnSync(ociTsBinary, ['spec', ...(rootless ? ['--rootless'] : []), '--bundle', dir], { encoding: 'utf8', env: cleanEnv(), timeout: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      // Without its rootfs directory the bundle is incomplete (CheckRoot), the config alone is fine.
      const [noRootfs] = rtValidate([dir]);
      assert.ok(noRootfs!.errors.some((f) => f.check === 'CheckRoot' && /cannot find the root path/.test(f.message)), show(noRootfs!));
      const [configOnly] = rtValidate([path.join(dir, 'config.json')], ['--config-only']);
      assert.equal(configOnly!.valid, true, show(configOnly!));
      fs.mkdirSync(path.join(dir, 'rootfs'));
      const [res] = rtValidate([dir]);
      assert.equal(res!.valid, true, show(res!));
      assert.deepEqual(res!.unknownFields, [], show(res!));
      // The one warning: the validator's Go types are runtime-spec 1.0.2-dev, the template is newer.
      assert.deepEqual(res!.warnings.map((w) => w.check), ['CheckSemVer'], show(res!));
    });
  }

  describe('corpus: oci-ts create accepts it, the validator agrees (or a known disagreement explains why not)', () => {
    let n = 0;
    let ran = 0;
    for (const entry of CORPUS) {
      test(`${entry.name}  [${entry.from}]`, { skip: entry.unavailable?.() }, (t) => {
        const s = sandboxOf();
        const id = `rtv${++n}`;
        const cg = `${CG_PARENT}/${id}`;
        const dir = makeBundle(path.join(s.dir, id), (spec) => {
          spec.process.args = ['/bin/sleep', '100'];
          spec.root.readonly = false;
          spec.linux.cgroupsPath = `/${cg}`;
          assert.ok(host);
          entry.patch(spec, host);
        });
        const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as TestSpec;
        try {
          const c = s.detached(['create', '--bundle', dir, id]);
          assert.equal(c.status, 0, `oci-ts create refused it:\n${c.output}`);
        } finally {
          const d = s.run(['delete', '--force', id]);
          assert.ok(d.status === 0 || /does not exist/.test(d.stderr), d.stderr);
          assert.deepEqual(cgroupDirsLeft(cg), [], 'no cgroup left');
        }
        created.set(entry.name, dir);

        const [res] = rtValidate([dir]);
        const { unexplained, used } = explain(res!, spec);
        for (const u of used) usedRules.add(u);
        if (used.length > 0) t.diagnostic(`known disagreements: ${used.join(', ')}`);
        if (res!.unknownFields.length > 0) t.diagnostic(`not seen by the validator: ${res!.unknownFields.join(' ')}`);
        assert.deepEqual(unexplained, [], `a new disagreement: oci-ts accepts this config, the validator does not\n${show(res!)}`);
        ran++;
      });
    }

    test('every known disagreement is still needed by some corpus entry', (t) => {
      const expected = CORPUS.filter((e) => e.unavailable?.() === undefined).length;
      if (ran !== expected) {
        t.skip(`only ${ran} of ${expected} corpus entries passed (a filtered or failed run)`);
        return;
      }
      const stale = KNOWN_DISAGREEMENTS.filter((d) => !usedRules.has(d.id)).map((d) => d.id);
      assert.deepEqual(stale, [], 'these rules excused nothing: remove them (here and in tools/rt-validate/README.md)');
    });
  });

  test('the golden plan fixtures (accepted by `oci-ts plan`) pass, modulo known disagreements', () => {
    const base = path.join(repoRoot, 'tests/fixtures/plan');
    const dirs = fs.readdirSync(base).map((d) => path.join(base, d)).filter((d) => fs.existsSync(path.join(d, 'config.json')));
    assert.ok(dirs.length > 0);
    for (const d of dirs) {
      const p = sandboxOf().run(['plan', '--bundle', d]);
      assert.equal(p.status, 0, `oci-ts plan ${d}: ${p.stderr}`);
    }
    const results = rtValidate(dirs);
    results.forEach((r, i) => {
      const spec = JSON.parse(fs.readFileSync(path.join(dirs[i]!, 'config.json'), 'utf8')) as TestSpec;
      assert.deepEqual(explain(r, spec).unexplained, [], show(r));
    });
  });

  test('sweep of recorded configs (makeBundle with OCI_TS_CONFIG_CORPUS): the accepted ones pass, modulo known disagreements', async (t) => {
    const s = sandboxOf();
    // This run's own corpus first (the corpus above and the broken configs): the hook must have
    // recorded every corpus bundle, and `oci-ts plan`, the acceptance test of the sweep, must
    // accept every config that create accepted.
    const own = await sweep(ownCorpus, path.join(s.dir, 'sweep-own'), s);
    for (const [name, dir] of created) {
      const rec = own.get(dir);
      assert.ok(rec, `${name}: not recorded by the makeBundle hook`);
      assert.equal(rec.planned, true, `${name}: oci-ts create accepted it but \`oci-ts plan\` of the recorded copy did not: ${rec.planError}`);
    }
    const ownPlanned = [...own.values()].filter((r) => r.planned);
    t.diagnostic(`own corpus: ${own.size} configs recorded, ${ownPlanned.length} accepted by oci-ts plan and checked, `
      + `${ownPlanned.filter((r) => r.createRefused !== undefined).length} of those then refused by oci-ts create`);
    // The broken configs went through the sweep too: one that plan takes but create refuses.
    const joined = own.get(joinedNetSysctl);
    assert.ok(joined && (!joined.planned || joined.createRefused !== undefined), `${joinedNetSysctl}: ${JSON.stringify(joined)}`);
    const failures = [...own.values()].filter((r) => r.unexplained.length > 0);
    assert.deepEqual(failures.map((f) => f.report), []);

    if (savedCorpusEnv && fs.existsSync(savedCorpusEnv)) {
      const theirs = [...(await sweep(savedCorpusEnv, path.join(s.dir, 'sweep-env'), s)).values()];
      const planned = theirs.filter((r) => r.planned);
      const refused = planned.filter((r) => r.createRefused !== undefined);
      t.diagnostic(`${savedCorpusEnv}: ${theirs.length} configs recorded, ${planned.length} accepted by oci-ts plan here and checked; `
        + `${refused.length} of those the validator rejected were refused by oci-ts create as well`);
      for (const r of refused) t.diagnostic(`  plan accepted, create refused: ${r.report.split('\n')[0]}: ${r.createRefused}`);
      const bad = planned.filter((r) => r.unexplained.length > 0);
      assert.deepEqual(bad.map((f) => f.report), [], 'new disagreements in the recorded corpus');
    }
  });
});

interface SweepResult {
  planned: boolean;
  planError: string;
  /** Set when the validator objected and `oci-ts create` refused the config too (no disagreement). */
  createRefused?: string;
  unexplained: Finding[];
  report: string;
}

/**
 * Each recorded config (<entry>/config.json, <entry>/bundle-path) is put in a fresh bundle under
 * `work`: a root.path that was the original bundle's rootfs is moved along (to an empty `rootfs`
 * directory), everything else stays verbatim. `oci-ts plan` decides whether oci-ts accepts it on
 * this host (a config whose bind sources are gone is not), and the validator checks the accepted
 * ones. plan does not look at everything create does (it does not open namespace paths, for
 * one), so a config the validator objects to without a known reason goes through `oci-ts create`
 * as well: only if create takes it too is it a disagreement. Keyed by the original bundle path.
 */
async function sweep(corpus: string, work: string, s: Sandbox): Promise<Map<string, SweepResult>> {
  const out = new Map<string, SweepResult>();
  if (!fs.existsSync(corpus)) return out;
  const candidates: Array<{ key: string; dir: string; spec: TestSpec; recorded: TestSpec }> = [];
  for (const name of fs.readdirSync(corpus).sort()) {
    const entry = path.join(corpus, name);
    if (!fs.existsSync(path.join(entry, 'config.json')) || !fs.existsSync(path.join(entry, 'bundle-path'))) continue;
    const original = fs.readFileSync(path.join(entry, 'bundle-path'), 'utf8').trim();
    const recorded = JSON.parse(fs.readFileSync(path.join(entry, 'config.json'), 'utf8')) as TestSpec;
    const spec = structuredClone(recorded);
    const dir = path.join(work, name);
    fs.mkdirSync(dir, { recursive: true });
    if (spec.root?.path === path.join(original, 'rootfs')) spec.root.path = path.join(dir, 'rootfs');
    // plan reads no file of the rootfs (the validator only warns that args[0] is not there), and
    // oci-ts rightly refuses a rootfs that is a symlink: an empty directory is enough.
    fs.mkdirSync(path.join(dir, 'rootfs'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
    candidates.push({ key: original, dir, spec, recorded });
  }
  // A few plans at a time: each is a whole oci-ts start (a few hundred ms).
  const accepted: typeof candidates = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let c = candidates[next++]; c !== undefined; c = candidates[next++]) {
      const p = await ociTs(s, ['plan', '--format', 'json', '--bundle', c.dir]);
      const planned = p.status === 0;
      out.set(c.key, { planned, planError: planned ? '' : p.stderr.trim().split('\n').slice(-3).join(' | '), unexplained: [], report: '' });
      if (planned) accepted.push(c);
    }
  };
  await Promise.all(Array.from({ length: Math.max(2, os.availableParallelism()) }, worker));
  if (accepted.length === 0) return out;
  const results = rtValidate(accepted.map((a) => a.dir));
  accepted.forEach((a, i) => {
    const r = results[i]!;
    const { unexplained, used } = explain(r, a.spec);
    for (const u of used) usedRules.add(u);
    const res: SweepResult = { planned: true, planError: '', unexplained, report: `${a.key}\n${show(r)}` };
    if (unexplained.length > 0) {
      const c = createAccepts(s, work, a.key, a.recorded);
      if (!c.ok) Object.assign(res, { createRefused: c.output.trim().split('\n').slice(-1)[0] ?? '', unexplained: [] });
    }
    out.set(a.key, res);
  });
  return out;
}

let confirmed = 0;

/**
 * Whether `oci-ts create` takes a recorded config: in a bundle with a real busybox rootfs (a
 * root.path that was the original bundle's rootfs moves along), with its cgroup moved under this
 * file's parent so that it is cleaned up; deleted again right away. The config's create-time
 * hooks run, as they did when it was recorded.
 */
function createAccepts(s: Sandbox, work: string, original: string, recorded: TestSpec): { ok: boolean; output: string } {
  const id = `rtvsweep${++confirmed}`;
  const cg = `${CG_PARENT}/${id}`;
  const dir = path.join(work, id);
  const spec = structuredClone(recorded);
  if (spec.root?.path === path.join(original, 'rootfs')) spec.root.path = path.join(dir, 'rootfs');
  if (spec.linux) spec.linux.cgroupsPath = `/${cg}`;
  makeBusyboxRootfs(path.join(dir, 'rootfs'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
  try {
    const r = s.detached(['create', '--bundle', dir, id]);
    return { ok: r.status === 0, output: r.output };
  } finally {
    s.run(['delete', '--force', id]);
    assert.deepEqual(cgroupDirsLeft(cg), [], `${id}: no cgroup left`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** oci-ts with the sandbox's state root, asynchronously (stdout is not kept). */
function ociTs(s: Sandbox, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ociTsBinary, ['--root', s.root, ...args], { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stderr }); });
  });
}
