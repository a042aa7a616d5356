/**
 * fast-check generators for hostile input: values that break naive code (absurd numbers, NUL
 * bytes, `..` and relative paths, huge and deeply nested documents), mutations of a valid
 * config.json, command lines built from the real flag table, and state records.
 *
 * Run counts: OCI_TS_FUZZ_RUNS=<n> (the `fuzz` target) replaces every default count; a test may
 * scale it down for expensive properties (the CLI ones). OCI_TS_FUZZ_SEED=<n> replays a run.
 */
import fc from 'fast-check';
import { OciError } from '../../lib/errors';
import { crashSignature } from './host-check';

/** Runs for a property: `fast` by default; OCI_TS_FUZZ_RUNS (divided by `cost`) for long runs. */
export function fuzzRuns(fast: number, cost = 1): number {
  const env = Number(process.env.OCI_TS_FUZZ_RUNS);
  if (!Number.isFinite(env) || env <= 0) return fast;
  return Math.max(1, Math.floor(env / cost));
}

/** fc.assert parameters: the run count, the seed when replaying, and a time cap for the normal run. */
export function fuzzParams(fast: number, cost = 1): fc.Parameters<unknown> {
  const seed = Number(process.env.OCI_TS_FUZZ_SEED);
  const long = Number(process.env.OCI_TS_FUZZ_RUNS) > 0;
  return {
    numRuns: fuzzRuns(fast, cost),
    ...(Number.isInteger(seed) ? { seed } : {}),
    // The normal test run stays within seconds whatever the machine; long runs are uncapped.
    ...(long ? {} : { interruptAfterTimeLimit: 20_000, markInterruptAsFailure: false }),
  };
}

/**
 * What every bad input must give: an OciError whose message reads like a runtime error, not a
 * JavaScript failure. Throws (an assertion error) otherwise.
 */
export function expectCleanError(err: unknown, what: string): OciError {
  if (!(err instanceof OciError)) {
    const e = err as Error;
    throw new Error(`${what}: expected an OciError, got ${e?.constructor?.name ?? typeof err}: ${e?.message ?? String(err)}\n${e?.stack ?? ''}`);
  }
  const sig = crashSignature(err.message);
  if (sig !== undefined) throw new Error(`${what}: the error text looks like a JS crash (${JSON.stringify(sig)}): ${err.message}`);
  if (err.message.trim() === '') throw new Error(`${what}: empty error message`);
  return err;
}

/** A value nested `depth` levels deep in arrays (built iteratively). */
export function deepArray(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** The same in objects. */
export function deepObject(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

export const HOSTILE_STRINGS: readonly string[] = [
  '', ' ', '.', '..', '/', '//', '/..', '/../..', '../../../../etc/passwd', '/../../../etc/shadow',
  'relative/path', './x', '~', '$HOME', '%s%n%x', '\n', '\r\n', '\t', 'a\u0000b', '\u0000', '/tmp/\u0000/x',
  '/proc/self/fd/7', '/proc/self/exe', '/proc/1/root', '/proc/sys/kernel/core_pattern', '/proc/sysrq-trigger',
  '/dev/null', '/dev/sda', '/etc', '/etc/passwd', '/sys/fs/cgroup', '/', 'proc', 'tmpfs', 'bind', 'rbind',
  'ro', 'rw', 'nosuid', 'mode=4777', 'size=-1', 'uid=-1', 'CAP_SYS_ADMIN', 'CAP_ALL', 'ALL', 'ALL_CAPS',
  'RLIMIT_NOFILE', 'RLIMIT_NOPE', 'user', 'mount', 'pid', 'network', 'cgroup', 'time', 'host', 'SCMP_ACT_ALLOW',
  'é', '💥', '\u202e', 'x'.repeat(300), '/'.repeat(5000), 'a/'.repeat(3000), '1.0.0', '1.3.0', '99.0.0', '0.1',
];

export const HOSTILE_NUMBERS: readonly number[] = [
  0, -0, 1, -1, 0.5, -1.5, 7, 255, 256, 1000, 1001, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53,
  2 ** 63, 2 ** 64, 1e21, 1e308, -1e308, Number.MIN_VALUE, -(2 ** 31), -(2 ** 63),
];

/** A scalar that breaks naive code. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(...HOSTILE_STRINGS) },
  { weight: 3, arbitrary: fc.constantFrom<unknown>(...HOSTILE_NUMBERS) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, false) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);

/**
 * Huge and deeply nested values travel through fast-check as short sentinel strings (its
 * reporting and shrinking recurse into values) and are built by expand() right before use.
 */
const BIG_PREFIX = '\u0001big:';
const BIG: Readonly<Record<string, () => unknown>> = {
  'string-200k': () => 'x'.repeat(200_000),
  'env-20k': () => Array.from({ length: 20_000 }, (_, i) => `E${i}=v`),
  'array-70k': () => Array.from({ length: 70_000 }, () => 'a'),
  'deep-array-300': () => deepArray(300),
  'deep-array-100k': () => deepArray(100_000),
  'deep-object-5k': () => deepObject(5_000),
};

/** The real value of a sentinel made by hostileValue (anything else is returned as is). */
export function expand(v: unknown): unknown {
  if (typeof v === 'string' && v.startsWith(BIG_PREFIX)) return BIG[v.slice(BIG_PREFIX.length)]!();
  return v;
}

/** A JSON value made of hostile scalars, plus the occasional huge or deeply nested document. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileScalar },
  { weight: 2, arbitrary: fc.array(hostileScalar, { maxLength: 5 }) },
  { weight: 2, arbitrary: fc.dictionary(fc.constantFrom('path', 'type', 'source', 'destination', 'options', 'x', '__proto__', 'constructor'), hostileScalar, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(...Object.keys(BIG).map((k) => `${BIG_PREFIX}${k}`)) },
);



/** A key to add to an object: real spec keys (so that the value lands on a field that matters) and odd ones. */
export const specKey: fc.Arbitrary<string> = fc.constantFrom(
  'ociVersion', 'process', 'root', 'hostname', 'domainname', 'mounts', 'hooks', 'annotations', 'linux',
  'args', 'env', 'cwd', 'user', 'uid', 'gid', 'umask', 'additionalGids', 'capabilities', 'rlimits', 'terminal',
  'consoleSize', 'noNewPrivileges', 'oomScoreAdj', 'apparmorProfile', 'selinuxLabel', 'ioPriority', 'scheduler',
  'path', 'readonly', 'destination', 'source', 'type', 'options', 'uidMappings', 'gidMappings', 'namespaces',
  'devices', 'cgroupsPath', 'resources', 'sysctl', 'seccomp', 'maskedPaths', 'readonlyPaths', 'rootfsPropagation',
  'mountLabel', 'personality', 'timeOffsets', 'intelRdt', 'memoryPolicy', 'prestart', 'createRuntime', 'poststop',
  'bounding', 'effective', 'permitted', 'inheritable', 'ambient', 'defaultAction', 'syscalls', 'memory', 'pids',
  '__proto__', 'constructor', '', 'x-unknown',
);

export interface Mutation {
  pick: number;
  action: 'set' | 'delete' | 'add';
  key: string;
  value: unknown;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  action: fc.constantFrom<Mutation['action']>('set', 'set', 'delete', 'add'),
  key: specKey,
  value: hostileValue,
});

type Json = unknown;

/** Every container (object or array) in the document with its parent link, root first. */
function containers(doc: Json): Array<{ node: Record<string, unknown> | unknown[] }> {
  const out: Array<{ node: Record<string, unknown> | unknown[] }> = [];
  const stack: Array<{ v: Json; depth: number }> = [{ v: doc, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object' || depth > 12) continue;
    out.push({ node: v as Record<string, unknown> | unknown[] });
    for (const child of Object.values(v as object)) stack.push({ v: child, depth: depth + 1 });
  }
  return out;
}

/** Apply mutations to a (cloned) JSON document, in place; returns it. */
export function mutate(doc: Json, muts: readonly Mutation[]): Json {
  for (const m of muts) {
    const all = containers(doc);
    if (all.length === 0) return doc;
    const { node } = all[m.pick % all.length]!;
    if (Array.isArray(node)) {
      const i = node.length === 0 ? 0 : m.pick % node.length;
      if (m.action === 'delete') node.splice(i, 1);
      else if (m.action === 'add') node.push(expand(m.value));
      else node[i] = expand(m.value);
    } else {
      const keys = Object.keys(node);
      if (m.action === 'add' || keys.length === 0) {
        Object.defineProperty(node, m.key, { value: expand(m.value), enumerable: true, writable: true, configurable: true });
      } else {
        const k = keys[m.pick % keys.length]!;
        if (m.action === 'delete') delete node[k];
        else node[k] = expand(m.value);
      }
    }
  }
  return doc;
}

/** Text-level damage to a JSON document: truncation, a flipped byte, a duplicated or dropped brace. */
export const textDamage: fc.Arbitrary<(text: string) => string> = fc.oneof(
  fc.nat().map((n) => (t: string) => t.slice(0, n % Math.max(1, t.length))),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([n, b]) => (t: string) => {
    const i = n % Math.max(1, t.length);
    return t.slice(0, i) + String.fromCharCode(b) + t.slice(i + 1);
  }),
  fc.nat().map((n) => (t: string) => {
    const i = n % Math.max(1, t.length);
    return t.slice(0, i) + '{' + t.slice(i);
  }),
  fc.constant((t: string) => t.replace(/}/, '')),
  fc.constant((t: string) => `\uFEFF${t}`),
  fc.constant((t: string) => `${t}\u0000`),
  fc.constant((t: string) => `${t}${t}`),
  fc.constant(() => ''),
  fc.constant(() => 'null'),
  fc.constant(() => '[]'),
  fc.constant(() => '"config"'),
  fc.constant(() => '1e999'),
  fc.constant(() => '['.repeat(200_000)),
  fc.constant(() => `${'['.repeat(100_000)}${']'.repeat(100_000)}`),
);
