/**
 * The argv fast path: a hand-written parser for the whole runc command line, driven by the flag
 * table in flags.ts. It never imports yargs (yargs costs ~30 ms per call, see the shared
 * node-sea notes); help.ts renders help and completion from the same table, lazily.
 *
 * Syntax, as runc (urfave/cli v1 on Go's flag package) accepts it:
 *   oci-ts [global flags] <verb> [verb flags] <positionals...>
 * - `--flag value`, `--flag=value`, and Go's one-dash forms `-flag value`, `-flag=value`;
 *   aliases are just more names (`-b`, `--b`). Booleans: `--flag`, `--flag=true|false`
 *   (never `--flag false`). A string flag takes the next argument whatever it looks like.
 * - Clusters of one-letter boolean aliases (`-dt`) are accepted as a convenience.
 * - `--` ends the flags. For most verbs known flags may also follow the positionals
 *   (urfave's reordering: `delete id --force`); an unknown `-x` after a positional stays a
 *   positional. For `exec` and `ps` flag parsing stops at the container id: the rest is the
 *   command or the ps arguments.
 * Every error is `usageError(...)` (exit 2) with runc/urfave wording.
 */
import * as path from 'node:path';
import { usageError } from '../errors';
import {
  DEFAULT_ROOT,
  GLOBAL_FLAGS,
  HELP_FLAG,
  VERBS,
  lookupVerb,
  type FlagSpec,
  type GlobalFlag,
  type Verb,
  type VerbFlags,
  type VerbSpec,
} from './flags';
import { parseSignal, SIGTERM } from './signals';

export type { Verb } from './flags';

// ---------------------------------------------------------------------------------------------
// Result types

export interface GlobalOptions {
  /** Absolute state root; `/run/oci-ts` unless --root is given (XDG_RUNTIME_DIR is never used). */
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
  rootless: 'true' | 'false' | 'auto';
}

export interface CreateOptions {
  id: string;
  /** Absolute bundle path (the cwd when --bundle is absent or empty). */
  bundle: string;
  consoleSocket?: string;
  pidfdSocket?: string;
  pidFile?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  dryRun: boolean;
}

export interface RunOptions extends CreateOptions {
  detach: boolean;
  keep: boolean;
  noSubreaper: boolean;
}

/** start, state, pause, resume, checkpoint, restore. */
export interface IdOptions {
  id: string;
}

export interface ListOptions {
  format: 'table' | 'json';
  quiet: boolean;
}

export interface KillOptions {
  id: string;
  all: boolean;
  /** Signal number (SIGTERM = 15 when not given). */
  signal: number;
}

export interface DeleteOptions {
  id: string;
  force: boolean;
}

export interface ExecUser {
  uid: number;
  gid?: number;
}

export interface ExecOptions {
  id: string;
  /** The command after the id (a leading `--` removed). Empty only when `process` is given. */
  args: string[];
  process?: string;
  consoleSocket?: string;
  pidfdSocket?: string;
  cwd?: string;
  env: string[];
  /** undefined when --tty was not given (runc only overrides `terminal` when it was set). */
  tty?: boolean;
  user?: ExecUser;
  additionalGids: number[];
  processLabel?: string;
  apparmor?: string;
  /** undefined when --no-new-privs was not given. */
  noNewPrivs?: boolean;
  caps: string[];
  preserveFds: number;
  cgroup: string[];
  ignorePaused: boolean;
  detach: boolean;
  pidFile?: string;
}

export interface PsOptions {
  id: string;
  format: 'table' | 'json';
  /** Arguments for ps(1); `['-ef']` when none are given (runc's default). */
  psArgs: string[];
}

export interface EventsOptions {
  id: string;
  /** --interval in milliseconds (Go duration syntax, default 5s). */
  intervalMs: number;
  stats: boolean;
}

/** Every field is undefined unless its flag was given. Sizes are bytes; -1 means unlimited. */
export interface UpdateOptions {
  id: string;
  /** A path, or '-' for stdin. */
  resources?: string;
  blkioWeight?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuBurst?: number;
  cpuShare?: number;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: number;
  memoryReservation?: number;
  memorySwap?: number;
  pidsLimit?: number;
  l3CacheSchema?: string;
  memBwSchema?: string;
}

export interface SpecOptions {
  /** Absolute bundle path (the cwd by default). */
  bundle: string;
  rootless: boolean;
}

export type FeaturesOptions = Record<string, never>;

export interface PlanOptions {
  id?: string;
  bundle: string;
  format: 'text' | 'json';
}

export interface DoctorOptions {
  format: 'text' | 'json';
}

/** The typed options of each verb. */
export interface VerbOptions {
  create: CreateOptions;
  run: RunOptions;
  start: IdOptions;
  state: IdOptions;
  list: ListOptions;
  kill: KillOptions;
  delete: DeleteOptions;
  exec: ExecOptions;
  pause: IdOptions;
  resume: IdOptions;
  ps: PsOptions;
  events: EventsOptions;
  update: UpdateOptions;
  spec: SpecOptions;
  features: FeaturesOptions;
  checkpoint: IdOptions;
  restore: IdOptions;
  plan: PlanOptions;
  doctor: DoctorOptions;
}

/** One member per verb, so `switch (cmd.verb)` narrows `cmd.opts`. */
export type VerbCommand = {
  [V in Verb]: { kind: 'verb'; verb: V; global: GlobalOptions; opts: VerbOptions[V] };
}[Verb];

export type CommandFor<V extends Verb> = Extract<VerbCommand, { verb: V }>;

export type ParsedCommand =
  | { kind: 'version' }
  | { kind: 'help'; verb?: Verb }
  /** `completion` (print the script), or `--get-yargs-completions <words...>` from that script. */
  | { kind: 'completion'; words?: string[] }
  | VerbCommand;

// ---------------------------------------------------------------------------------------------
// The generic scan loop

export type FlagValue = boolean | string | number | string[];

/** Given flags by long name (absent flags are absent: defaults are applied by the conversion). */
export type RawFlags = ReadonlyMap<string, FlagValue>;

interface ScanResult {
  flags: Map<string, FlagValue>;
  positionals: string[];
  help: boolean;
  /** global mode: index of the first argument after the global flags (the verb). */
  next: number;
}

/**
 * global: stop at the first non-flag (the verb). permute: known flags may follow positionals.
 * stop: everything from the first positional on is positional.
 */
type ScanMode = 'global' | 'permute' | 'stop';

function scanFlags(specs: readonly FlagSpec[], args: readonly string[], start: number, mode: ScanMode): ScanResult {
  const index = new Map<string, FlagSpec>();
  for (const spec of specs) {
    index.set(spec.name, spec);
    for (const alias of spec.aliases ?? []) index.set(alias, spec);
  }
  const flags = new Map<string, FlagValue>();
  const positionals: string[] = [];
  const set = (spec: FlagSpec, value: FlagValue): void => {
    if (spec.type === 'list') {
      const prev = flags.get(spec.name);
      flags.set(spec.name, [...(Array.isArray(prev) ? prev : []), value as string]);
    } else {
      flags.set(spec.name, value); // Go: the last occurrence wins
    }
  };

  let i = start;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      if (mode === 'global') return { flags, positionals, help: false, next: i + 1 };
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.length < 2 || arg[0] !== '-') {
      if (mode === 'global') break;
      if (mode === 'stop') {
        positionals.push(...args.slice(i));
        break;
      }
      positionals.push(arg);
      continue;
    }

    const dashes = arg[1] === '-' ? 2 : 1;
    const body = arg.slice(dashes);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === '' || name[0] === '-' || name[0] === '=') throw usageError(`bad flag syntax: ${arg}`);

    const spec = index.get(name);
    if (spec === undefined) {
      // urfave/cli only moves *known* flags in front of the positionals; the rest stay there.
      if (mode === 'permute' && positionals.length > 0) {
        positionals.push(arg);
        continue;
      }
      if (dashes === 1 && eq < 0 && isBoolCluster(name, index)) {
        for (const letter of name) set(index.get(letter) as FlagSpec, true);
        continue;
      }
      throw usageError(`flag provided but not defined: -${name}`);
    }

    if (spec.type === 'bool') {
      const value = eq < 0 ? true : parseGoBool(body.slice(eq + 1), name);
      if (spec.name === 'help') {
        if (value) return { flags, positionals, help: true, next: i + 1 };
        continue;
      }
      set(spec, value);
      continue;
    }
    let text: string;
    if (eq >= 0) {
      text = body.slice(eq + 1);
    } else {
      if (i + 1 >= args.length) throw usageError(`flag needs an argument: -${name}`);
      text = args[++i] as string;
    }
    set(spec, checkValue(spec, name, text));
  }
  return { flags, positionals, help: false, next: i };
}

function isBoolCluster(letters: string, index: ReadonlyMap<string, FlagSpec>): boolean {
  if (letters.length < 2) return false;
  for (const letter of letters) {
    const spec = index.get(letter);
    if (spec === undefined || spec.type !== 'bool' || spec.name === 'help') return false;
  }
  return true;
}

/** Go's strconv.ParseBool. */
function parseGoBool(text: string, name: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  throw usageError(`invalid boolean value ${JSON.stringify(text)} for -${name}: parse error`);
}

function checkValue(spec: FlagSpec, name: string, text: string): string | number {
  const invalid = (why: string) => usageError(`invalid value ${JSON.stringify(text)} for flag -${name}: ${why}`);
  if (spec.type === 'int') {
    if (!/^[+-]?[0-9]+$/.test(text)) throw invalid('parse error');
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw invalid('value out of range');
    if (spec.min !== undefined && n < spec.min) throw invalid(`must be >= ${spec.min}`);
    return n;
  }
  if (spec.choices !== undefined && !spec.choices.includes(text)) {
    throw invalid(`must be one of: ${spec.choices.join(', ')}`);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Scanning the whole command line

export type ScannedArgv =
  | { kind: 'version' }
  | { kind: 'help'; verb?: Verb }
  | { kind: 'completion'; words?: string[] }
  | { kind: 'verb'; verb: Verb; global: RawFlags; flags: RawFlags; positionals: string[] };

/**
 * The syntactic half of parseArgv: flags by long name and positionals, with unknown flags,
 * unknown verbs and wrong argument counts rejected, but no values converted or defaulted.
 * Exported for the consistency test against the yargs definition.
 */
export function scanArgv(argv: readonly string[]): ScannedArgv {
  if (argv[0] === '--get-yargs-completions') return { kind: 'completion', words: argv.slice(1) };

  const g = scanFlags(GLOBAL_FLAGS, argv, 0, 'global');
  if (g.help) return { kind: 'help' };
  if (g.flags.get('version') === true) return { kind: 'version' };

  const verbName = argv[g.next];
  if (verbName === undefined) return { kind: 'help' }; // runc with no verb prints the help
  if (verbName === 'help' || verbName === 'h') {
    const topic = argv[g.next + 1];
    if (topic === undefined) return { kind: 'help' };
    const verb = lookupVerb(topic);
    if (verb === undefined) throw usageError(`No help topic for '${topic}'`);
    return { kind: 'help', verb };
  }
  if (verbName === 'completion') return { kind: 'completion' };

  const verb = lookupVerb(verbName);
  if (verb === undefined) throw usageError(`No help topic for '${verbName}'`);
  const spec: VerbSpec = VERBS[verb];
  const r = scanFlags([...spec.flags, HELP_FLAG], argv, g.next + 1, spec.stopAtFirstPositional ? 'stop' : 'permute');
  if (r.help) return { kind: 'help', verb };

  const n = r.positionals.length;
  if (spec.min === spec.max && n !== spec.min) throw usageError(`"${verb}" requires exactly ${spec.min} argument(s)`);
  if (n < spec.min) throw usageError(`"${verb}" requires a minimum of ${spec.min} argument(s)`);
  if (n > spec.max) throw usageError(`"${verb}" requires a maximum of ${spec.max} argument(s)`);
  return { kind: 'verb', verb, global: g.flags, flags: r.flags, positionals: r.positionals };
}

/**
 * The verb named on a command line, if any, without throwing: lets the entry point show the
 * right usage text after parseArgv threw a usage error.
 */
export function guessVerb(argv: readonly string[]): Verb | undefined {
  try {
    const g = scanFlags(GLOBAL_FLAGS, argv, 0, 'global');
    const name = argv[g.next];
    return name === undefined ? undefined : lookupVerb(name);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Typed conversion

type NamesOf<F extends FlagSpec, T extends FlagSpec['type']> = Extract<F, { type: T }>['name'];

/** Typed read access to the scanned flags of one verb: names are checked against the table. */
class Values<F extends FlagSpec> {
  constructor(
    private readonly raw: RawFlags,
    private readonly specs: readonly FlagSpec[],
  ) {}

  bool(name: NamesOf<F, 'bool'>): boolean {
    return this.raw.get(name) === true;
  }

  /** undefined when the flag was not given (runc's `context.IsSet`). */
  boolIfSet(name: NamesOf<F, 'bool'>): boolean | undefined {
    const v = this.raw.get(name);
    return v === undefined ? undefined : v === true;
  }

  str(name: NamesOf<F, 'string'>): string | undefined {
    const v = this.raw.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  /** The given value, else the table's default. */
  strOr(name: NamesOf<F, 'string'>): string {
    return this.str(name) ?? String(this.defaultOf(name) ?? '');
  }

  int(name: NamesOf<F, 'int'>): number | undefined {
    const v = this.raw.get(name);
    return typeof v === 'number' ? v : undefined;
  }

  intOr(name: NamesOf<F, 'int'>): number {
    return this.int(name) ?? Number(this.defaultOf(name) ?? 0);
  }

  list(name: NamesOf<F, 'list'>): string[] {
    const v = this.raw.get(name);
    return Array.isArray(v) ? v : [];
  }

  private defaultOf(name: string): FlagSpec['default'] {
    return this.specs.find((s) => s.name === name)?.default;
  }
}

interface Context {
  cwd: string;
}

type Converter<V extends Verb> = (v: Values<VerbFlags<V>>, pos: readonly string[], ctx: Context) => VerbOptions[V];

/** runc's container id rule (libcontainer validateID): `^[\w+-\.]+$` (the class holds `+,-.`), not `.`/`..`. */
const ID_RE = /^[A-Za-z0-9_+,.-]+$/;

function checkId(id: string | undefined): string {
  if (id === undefined || id === '') throw usageError('container id cannot be empty');
  if (!ID_RE.test(id) || id === '.' || id === '..') throw usageError(`invalid id format: ${id}`);
  return id;
}

function bundlePath(given: string | undefined, ctx: Context): string {
  return path.resolve(ctx.cwd, given === undefined || given === '' ? '.' : given);
}

/** Drop the keys whose value is undefined, so optional fields are absent rather than undefined. */
function defined<T extends object>(obj: T): T {
  for (const key of Object.keys(obj) as (keyof T)[]) if (obj[key] === undefined) delete obj[key];
  return obj;
}

function createOptions(v: Values<VerbFlags<'create'>>, pos: readonly string[], ctx: Context): CreateOptions {
  return defined({
    id: checkId(pos[0]),
    bundle: bundlePath(v.str('bundle'), ctx),
    consoleSocket: v.str('console-socket'),
    pidfdSocket: v.str('pidfd-socket'),
    pidFile: v.str('pid-file'),
    noPivot: v.bool('no-pivot'),
    noNewKeyring: v.bool('no-new-keyring'),
    preserveFds: v.intOr('preserve-fds'),
    dryRun: v.bool('dry-run'),
  });
}

const idOnly = (_v: unknown, pos: readonly string[]): IdOptions => ({ id: checkId(pos[0]) });

/** `uid[:gid]`, decimal (runc's exec --user). */
function parseUser(text: string): ExecUser {
  const [uidText, gidText] = splitOnce(text, ':');
  const uid = parseId32(uidText, text, 'uid');
  if (gidText === undefined) return { uid };
  return { uid, gid: parseId32(gidText, text, 'gid') };
}

function splitOnce(text: string, sep: string): [string, string | undefined] {
  const at = text.indexOf(sep);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function parseId32(part: string, whole: string, what: 'uid' | 'gid'): number {
  const n = /^[0-9]+$/.test(part) ? Number(part) : NaN;
  if (!(n <= 0xffffffff)) {
    throw usageError(`invalid value ${JSON.stringify(whole)}: parsing ${JSON.stringify(part)} as int for ${what} failed`);
  }
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/**
 * Memory sizes as docker/go-units RAMInBytes (binary units): `512k`, `64m`, `64M`, `1g`, `1.5g`,
 * `64MiB`, `64mb`, `1048576`. `-1` (unlimited) is left to the caller.
 */
export function parseSize(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (m === null) throw new Error(`invalid size: '${text}'`);
  const bytes = Math.trunc(Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] as number));
  if (!Number.isSafeInteger(bytes)) throw new Error(`invalid size: '${text}'`);
  return bytes;
}

/** runc update's memory flags: a size, or -1. */
function memoryFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === '-1') return -1;
  try {
    return parseSize(value);
  } catch (err) {
    throw usageError(`invalid value for ${flag}: ${(err as Error).message}`);
  }
}

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration (`5s`, `1m30s`, `1.5h`, `250ms`), in milliseconds. */
export function parseDurationMs(text: string): number {
  const bad = (what = 'invalid duration') => usageError(`time: ${what} ${JSON.stringify(text)}`);
  let rest = text;
  let sign = 1;
  if (rest[0] === '-' || rest[0] === '+') {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw bad();
  let total = 0;
  while (rest !== '') {
    const m = /^([0-9]*(?:\.[0-9]*)?)([^0-9.]*)/.exec(rest) as RegExpExecArray;
    const [all, num = '', unit = ''] = m;
    if (num === '' || num === '.') throw bad();
    if (unit === '') throw bad('missing unit in duration');
    const scale = DURATION_UNITS_MS[unit];
    if (scale === undefined) throw usageError(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    total += Number(num) * scale;
    rest = rest.slice(all.length);
  }
  return sign * total;
}

const CONVERT: { [V in Verb]: Converter<V> } = {
  create: createOptions,
  run: (v, pos, ctx) => ({
    ...createOptions(v, pos, ctx),
    detach: v.bool('detach'),
    keep: v.bool('keep'),
    noSubreaper: v.bool('no-subreaper'),
  }),
  start: idOnly,
  state: idOnly,
  list: (v) => ({
    format: v.strOr('format') as ListOptions['format'], // checked against the table's choices
    quiet: v.bool('quiet'),
  }),
  kill: (v, pos) => ({
    id: checkId(pos[0]),
    all: v.bool('all'),
    signal: pos[1] === undefined ? SIGTERM : parseSignal(pos[1]),
  }),
  delete: (v, pos) => ({ id: checkId(pos[0]), force: v.bool('force') }),
  exec: (v, pos) => {
    const id = checkId(pos[0]);
    const args = pos.slice(1);
    if (args[0] === '--') args.shift();
    const process = v.str('process');
    if (process === undefined && args.length === 0) throw usageError('args must not be empty');
    const user = v.str('user');
    return defined({
      id,
      args,
      process,
      consoleSocket: v.str('console-socket'),
      pidfdSocket: v.str('pidfd-socket'),
      cwd: v.str('cwd'),
      env: v.list('env'),
      tty: v.boolIfSet('tty'),
      user: user === undefined || user === '' ? undefined : parseUser(user),
      additionalGids: v.list('additional-gids').map((g) => parseId32(g, g, 'gid')),
      processLabel: v.str('process-label'),
      apparmor: v.str('apparmor'),
      noNewPrivs: v.boolIfSet('no-new-privs'),
      caps: v.list('cap'),
      preserveFds: v.intOr('preserve-fds'),
      cgroup: v.list('cgroup'),
      ignorePaused: v.bool('ignore-paused'),
      detach: v.bool('detach'),
      pidFile: v.str('pid-file'),
    });
  },
  pause: idOnly,
  resume: idOnly,
  ps: (v, pos) => {
    const psArgs = pos.slice(1);
    if (psArgs[0] === '--') psArgs.shift();
    return {
      id: checkId(pos[0]),
      format: v.strOr('format') as PsOptions['format'], // checked against the table's choices
      psArgs: psArgs.length === 0 ? ['-ef'] : psArgs,
    };
  },
  events: (v, pos) => {
    const id = checkId(pos[0]);
    const intervalMs = parseDurationMs(v.strOr('interval'));
    if (intervalMs <= 0) throw usageError('duration interval must be greater than 0');
    return { id, intervalMs, stats: v.bool('stats') };
  },
  update: (v, pos) =>
    defined({
      id: checkId(pos[0]),
      resources: v.str('resources'),
      blkioWeight: v.int('blkio-weight'),
      cpuPeriod: v.int('cpu-period'),
      cpuQuota: v.int('cpu-quota'),
      cpuBurst: v.int('cpu-burst'),
      cpuShare: v.int('cpu-share'),
      cpuRtPeriod: v.int('cpu-rt-period'),
      cpuRtRuntime: v.int('cpu-rt-runtime'),
      cpusetCpus: v.str('cpuset-cpus'),
      cpusetMems: v.str('cpuset-mems'),
      memory: memoryFlag(v.str('memory'), 'memory'),
      memoryReservation: memoryFlag(v.str('memory-reservation'), 'memory-reservation'),
      memorySwap: memoryFlag(v.str('memory-swap'), 'memory-swap'),
      pidsLimit: v.int('pids-limit'),
      l3CacheSchema: v.str('l3-cache-schema'),
      memBwSchema: v.str('mem-bw-schema'),
    }),
  spec: (v, _pos, ctx) => ({ bundle: bundlePath(v.str('bundle'), ctx), rootless: v.bool('rootless') }),
  features: () => ({}),
  checkpoint: idOnly,
  restore: idOnly,
  plan: (v, pos, ctx) =>
    defined({
      id: pos[0] === undefined ? undefined : checkId(pos[0]),
      bundle: bundlePath(v.str('bundle'), ctx),
      format: v.strOr('format') as PlanOptions['format'], // checked against the table's choices
    }),
  doctor: (v) => ({ format: v.strOr('format') as DoctorOptions['format'] }), // checked against the choices
};

function parseRootless(text: string | undefined): GlobalOptions['rootless'] {
  if (text === undefined || text === '' || text === 'auto') return 'auto';
  try {
    return parseGoBool(text, 'rootless') ? 'true' : 'false';
  } catch {
    throw usageError(`invalid value ${JSON.stringify(text)} for flag -rootless: must be true, false or auto`);
  }
}

function globalOptions(raw: RawFlags, ctx: Context): GlobalOptions {
  const v = new Values<GlobalFlag>(raw, GLOBAL_FLAGS);
  const root = v.str('root') ?? DEFAULT_ROOT;
  if (root === '') throw usageError('invalid value "" for flag -root: must not be empty');
  const log = v.str('log');
  return defined({
    root: path.resolve(ctx.cwd, root),
    log: log === '' ? undefined : log,
    logFormat: v.strOr('log-format') as GlobalOptions['logFormat'], // checked against the choices
    debug: v.bool('debug'),
    systemdCgroup: v.bool('systemd-cgroup'),
    rootless: parseRootless(v.str('rootless')),
    // --criu is accepted and ignored.
  });
}

function convert<V extends Verb>(verb: V, raw: RawFlags, pos: readonly string[], ctx: Context): VerbOptions[V] {
  const converter: Converter<V> = CONVERT[verb];
  return converter(new Values<VerbFlags<V>>(raw, VERBS[verb].flags), pos, ctx);
}

function command<V extends Verb>(verb: V, global: GlobalOptions, opts: VerbOptions[V]): CommandFor<V> {
  // TypeScript cannot correlate a generic V with the union member; the fields match by construction.
  return { kind: 'verb', verb, global, opts } as unknown as CommandFor<V>;
}

/**
 * Parse a runc-style command line (process.argv.slice(2)). Relative --root and --bundle are
 * resolved against `cwd`. Throws usageError (exit 2) with runc's wording on bad input.
 */
export function parseArgv(argv: readonly string[], cwd: string = process.cwd()): ParsedCommand {
  const scanned = scanArgv(argv);
  if (scanned.kind !== 'verb') return scanned;
  const ctx: Context = { cwd };
  const global = globalOptions(scanned.global, ctx);
  return command(scanned.verb, global, convert(scanned.verb, scanned.flags, scanned.positionals, ctx));
}
