/**
 * Property-based fuzzing of the pure parts that read config.json and process.json: the schema
 * and semantic validation, the init planner and the plan codec. Every input must give a valid
 * result or an OciError with a clear message (never a TypeError, a RangeError or a stack
 * overflow), and a plan that is built must keep its safety invariants.
 *
 *   node --import tsx --test tests/unit/fuzz-config.test.ts          (seconds)
 *   OCI_TS_FUZZ_RUNS=20000 node --import tsx --test tests/unit/fuzz-*.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { loadBundle } from '../../lib/container/bundle';
import { configureLog } from '../../lib/log';
import { buildInitPlan, type HostView } from '../../lib/plan/init-plan';
import { encodePlan } from '../../lib/shim/codec';
import type { PlanOp } from '../../lib/shim/ops';
import { defaultSpec } from '../../lib/spec/default-spec';
import type { Spec } from '../../lib/spec/types';
import { validateConfig, validateProcess } from '../../lib/spec/validate';
import type { TestSpec } from '../helpers/bundle';
import { expand, expectCleanError, fuzzParams, hostileValue, mutate, mutation, textDamage } from '../fuzz/arbitraries';

// Warnings (unknown capabilities and the like) are fine; keep them out of the test output.
configureLog({ format: 'text', debug: false, file: '/dev/null' });

const host: HostView = {
  isDirectory: (p) => !p.endsWith('.conf'),
  cgroupViews: [
    { name: 'memory', source: '/sys/fs/cgroup/memory/oci/c1', links: [] },
    { name: 'cpu,cpuacct', source: '/sys/fs/cgroup/cpu,cpuacct/oci/c1', links: ['cpu', 'cpuacct'] },
  ],
};

const fakeSeccomp = (): { program: Buffer; flags: number; skipped: string[]; rules: number } => ({ program: Buffer.alloc(8), flags: 0, skipped: [], rules: 0 });

/** A rich valid config: the default spec plus bind mounts, hooks, devices, sysctls, rlimits. */
function richSpec(): Record<string, unknown> {
  const s = structuredClone(defaultSpec({ rootless: false })) as unknown as TestSpec;
  s.root = { path: 'rootfs', readonly: true };
  s.process.terminal = false;
  s.process.args = ['/bin/sh', '-c', 'true'];
  s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }];
  s.process.oomScoreAdj = 10;
  s.process.user = { uid: 1000, gid: 1000, additionalGids: [5], umask: 18 };
  s.mounts.push({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro'] });
  s.mounts.push({ destination: '/etc/app.conf', type: 'bind', source: 'app.conf', options: ['bind'] });
  s.hooks = { prestart: [{ path: '/bin/true', args: ['true'], timeout: 5 }], poststop: [{ path: '/bin/true' }] };
  s.annotations = { 'org.example': 'x' };
  s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.domainname': 'x' };
  s.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 }];
  s.linux.uidMappings = undefined;
  s.linux.cgroupsPath = '/oci/c1';
  s.linux.resources = { memory: { limit: 1 << 26 }, pids: { limit: 10 }, devices: [{ allow: false, access: 'rwm' }] };
  return JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
}

const BASE = richSpec();

const S_MASK = 0o170000;

/** A hostile value as an object key (String() throws on a prototype-less object). */
function keyOf(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? 'undefined';
  } catch {
    return 'unprintable';
  }
}

/** Invariants of every plan the planner agrees to build. */
function checkPlan(plan: PlanOp[], rootfs: string): void {
  const strings = (op: PlanOp): string[] => op.args.filter((a): a is string => typeof a === 'string');
  for (const op of plan) {
    for (const s of strings(op)) assert.ok(!s.includes('\0'), `${op.op} argument with a NUL byte: ${JSON.stringify(s)}`);
  }
  const exec = plan.filter((o) => o.op === 'EXEC');
  assert.equal(exec.length, 1, 'exactly one EXEC');
  assert.equal(plan.at(-1)?.op, 'EXEC', 'EXEC is the last op');
  for (const op of plan) {
    switch (op.op) {
      case 'ROOTFS':
        assert.equal(op.args[0], rootfs, 'the rootfs is the bundle\'s');
        break;
      case 'MOUNT_HOST':
        // Host-path mounts: only the propagation of "/" and the rootfs self-bind.
        assert.ok((op.args[0] === '' && op.args[1] === '/') || (op.args[0] === rootfs && op.args[1] === rootfs), `MOUNT_HOST ${op.args.join(' ')}`);
        break;
      case 'MOUNT':
      case 'MKNOD':
      case 'SYMLINK': {
        const target = String(op.op === 'SYMLINK' ? op.args[1] : op.op === 'MOUNT' ? op.args[1] : op.args[0]);
        assert.ok(target.startsWith('/'), `${op.op} target is a container path: ${target}`);
        break;
      }
      case 'WRITE_FILE': {
        const p = path.posix.normalize(String(op.args[0]));
        assert.ok(p.startsWith('/proc/sys/') && !String(op.args[0]).split('/').includes('..'), `sysctl write stays in /proc/sys: ${String(op.args[0])}`);
        break;
      }
      case 'MASK':
      case 'READONLY':
        assert.ok(String(op.args[0]).startsWith('/'), `${op.op} of an absolute path`);
        break;
      default:
        break;
    }
    if (op.op === 'MKNOD') {
      const kind = Number(op.args[1]) & S_MASK;
      assert.ok([0o020000, 0o060000, 0o010000, 0o100000].includes(kind), `MKNOD of a device, fifo or console file (${kind.toString(8)})`);
    }
  }
}

/** validateConfig -> buildInitPlan -> encodePlan; errors must be clean. */
function pipeline(raw: unknown): 'invalid' | 'refused' | 'planned' {
  let spec: Spec;
  try {
    spec = validateConfig(raw, 'config.json');
  } catch (err) {
    expectCleanError(err, 'validateConfig');
    return 'invalid';
  }
  let plan: PlanOp[];
  try {
    plan = buildInitPlan({
      spec, rootfs: '/b/rootfs', bundle: '/b', fifo: '/run/oci-ts/c1/exec.fifo', noPivot: false, preserveFds: 0, mode: 'create', host,
      compileSeccomp: fakeSeccomp,
    });
    encodePlan(plan);
  } catch (err) {
    expectCleanError(err, 'buildInitPlan');
    return 'refused';
  }
  checkPlan(plan, '/b/rootfs');
  return 'planned';
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-fuzz-config-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('fuzz: config.json', () => {
  test('the base config is valid and planned', () => {
    assert.equal(pipeline(structuredClone(BASE)), 'planned');
  });

  test('any JSON value at all', () => {
    fc.assert(fc.property(hostileValue, (v) => { pipeline(expand(v)); }), fuzzParams(300));
  });

  test('a valid config with 1-5 hostile mutations', () => {
    const seen = { invalid: 0, refused: 0, planned: 0 };
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (muts) => {
        seen[pipeline(mutate(structuredClone(BASE), muts))]++;
      }),
      fuzzParams(1000),
    );
    // The mutations must reach the planner too, not only the schema.
    assert.ok(seen.planned > 0 && seen.invalid > 0, JSON.stringify(seen));
  });

  test('hostile strings and numbers in the fields that become paths, ids and syscall arguments', () => {
    const fields: Array<(s: TestSpec, v: unknown) => void> = [
      (s, v) => { s.process.cwd = v; },
      (s, v) => { s.process.args = [v]; },
      (s, v) => { s.process.args = ['/bin/sh', v]; },
      (s, v) => { s.process.env = [v]; },
      (s, v) => { s.process.user.uid = v; },
      (s, v) => { s.process.user.additionalGids = [v]; },
      (s, v) => { s.process.user.umask = v; },
      (s, v) => { s.process.rlimits[0].soft = v; },
      (s, v) => { s.process.oomScoreAdj = v; },
      (s, v) => { s.process.capabilities.bounding = [v]; },
      (s, v) => { s.root.path = v; },
      (s, v) => { s.hostname = v; },
      (s, v) => { s.mounts[0].destination = v; },
      (s, v) => { s.mounts.push({ destination: v, type: 'tmpfs', source: 'tmpfs' }); },
      (s, v) => { s.mounts.push({ destination: '/x', type: 'bind', source: v, options: ['rbind'] }); },
      (s, v) => { s.mounts.push({ destination: '/x', type: 'tmpfs', source: 'tmpfs', options: [v] }); },
      (s, v) => { s.mounts.push({ destination: '/x', type: v, source: 'x' }); },
      (s, v) => { s.linux.maskedPaths.push(v); },
      (s, v) => { s.linux.readonlyPaths.push(v); },
      (s, v) => { s.linux.sysctl = { [keyOf(v)]: '1' }; },
      (s, v) => { s.linux.sysctl = { 'net.ipv4.ip_forward': v }; },
      (s, v) => { s.linux.devices.push({ path: v, type: 'c', major: 1, minor: 3 }); },
      (s, v) => { s.linux.devices[0].major = v; },
      (s, v) => { s.linux.devices[0].fileMode = v; },
      (s, v) => { s.linux.namespaces.push({ type: 'network', path: v }); },
      (s, v) => { s.linux.cgroupsPath = v; },
      (s, v) => { s.linux.rootfsPropagation = v; },
      (s, v) => { s.linux.uidMappings = [{ containerID: 0, hostID: v, size: 1 }]; s.linux.gidMappings = [{ containerID: 0, hostID: 0, size: 1 }]; s.linux.namespaces.push({ type: 'user' }); },
      (s, v) => { s.hooks.prestart[0].path = v; },
      (s, v) => { s.hooks.prestart[0].timeout = v; },
      (s, v) => { s.ociVersion = v; },
      (s, v) => { s.annotations = { [keyOf(v)]: v }; },
    ];
    fc.assert(
      fc.property(fc.nat({ max: fields.length - 1 }), hostileValue, (i, v) => {
        const s = structuredClone(BASE) as TestSpec;
        fields[i]!(s, expand(v));
        pipeline(s);
      }),
      fuzzParams(1000),
    );
  });

  test('a deeply nested document gives a clear error, not a stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    for (const key of ['annotations', 'x-vendor', 'process', 'mounts']) {
      const s = structuredClone(BASE);
      s[key] = deep;
      pipeline(s);
    }
  });

  test('regressions found by the fuzzer', () => {
    // 70000 environment entries: more than the shim protocol's u16 argc (was a RangeError).
    const env = structuredClone(BASE) as TestSpec;
    env.process.env = Array.from({ length: 70_000 }, (_, i) => `E${i}=v`);
    assert.equal(pipeline(env), 'refused');
    // A 70000-element array where the schema wants something else: quick (was ~12 s, ajv's
    // allErrors concatenating the errors of every item).
    const big = structuredClone(BASE) as TestSpec;
    big.linux.resources.devices = Array.from({ length: 70_000 }, () => 'a');
    const t0 = Date.now();
    assert.equal(pipeline(big), 'invalid');
    assert.ok(Date.now() - t0 < 2000, `validation took ${Date.now() - t0} ms`);
    // NUL bytes would be cut by the C side: refused with the field's pointer.
    const nul = structuredClone(BASE) as TestSpec;
    nul.process.cwd = '/tmp/\u0000/x';
    assert.throws(() => validateConfig(nul), /config\.json \/process\/cwd: must not contain NUL bytes/);
    const nulKey = structuredClone(BASE) as TestSpec;
    nulKey.linux.sysctl = { 'net.ipv4.ip_forward\u0000x': '1' };
    assert.throws(() => validateConfig(nulKey), /NUL/);
  });

  test('config.json text: malformed JSON and damaged bytes, loaded from a bundle directory', () => {
    const text = JSON.stringify(BASE, null, 2);
    fs.mkdirSync(path.join(tmp, 'rootfs'), { recursive: true });
    fc.assert(
      fc.property(textDamage, (damage) => {
        fs.writeFileSync(path.join(tmp, 'config.json'), damage(text));
        try {
          loadBundle(tmp);
        } catch (err) {
          expectCleanError(err, 'loadBundle');
        }
      }),
      fuzzParams(200),
    );
  });

  test('process.json (exec --process): any value and mutations of a valid process', () => {
    const proc = (BASE as { process: unknown }).process;
    fc.assert(
      fc.property(fc.oneof(hostileValue.map((v) => ({ v })), fc.array(mutation, { minLength: 1, maxLength: 4 }).map((m) => ({ m }))), (input) => {
        const raw = 'v' in input ? expand(input.v) : mutate(structuredClone(proc), input.m);
        try {
          validateProcess(raw, 'process.json');
        } catch (err) {
          expectCleanError(err, 'validateProcess');
        }
      }),
      fuzzParams(400),
    );
  });
});
