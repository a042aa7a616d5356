/**
 * The one table of the oci-ts command line: global flags, verbs, and each verb's flags, with
 * runc's names, aliases and usage texts. The fast parser (argv.ts) and the yargs help/completion
 * (help.ts) are both driven from here, so they can never disagree about what is accepted.
 *
 * Pure data: importing this module costs nothing (no yargs, no I/O).
 */

/** How a flag takes its value. `list` flags may be repeated and collect every value. */
export type FlagType = 'bool' | 'string' | 'int' | 'list';

export interface FlagSpec {
  /** Long name without dashes, kebab-case, as runc spells it. */
  readonly name: string;
  /** Other names (one-letter short forms), without dashes. */
  readonly aliases?: readonly string[];
  readonly type: FlagType;
  readonly describe: string;
  /** The value the verb uses when the flag is absent (shown in help; applied by argv.ts). */
  readonly default?: string | number | boolean;
  /** For string flags: the only accepted values. */
  readonly choices?: readonly string[];
  /** For int flags: the smallest accepted value (0 for runc's unsigned flags). */
  readonly min?: number;
}

/** The verbs oci-ts understands (runc's, plus `plan` and `doctor`). `help`/`completion` are not verbs. */
export type Verb =
  | 'create'
  | 'run'
  | 'start'
  | 'state'
  | 'list'
  | 'kill'
  | 'delete'
  | 'exec'
  | 'pause'
  | 'resume'
  | 'ps'
  | 'events'
  | 'update'
  | 'spec'
  | 'features'
  | 'checkpoint'
  | 'restore'
  | 'plan'
  | 'doctor';

export interface VerbSpec {
  readonly describe: string;
  /** Other names of the verb (`ls`, `rm`). */
  readonly aliases?: readonly string[];
  /** The positional part of the usage line in yargs' command syntax, e.g. `<container-id> [signal]`. */
  readonly args: string;
  /** Accepted number of positional arguments (max: Infinity for "the rest is a command"). */
  readonly min: number;
  readonly max: number;
  /**
   * true: flag parsing stops at the first positional, and everything after it belongs to the
   * positionals (runc's SkipArgReorder: `exec <id> <cmd...>`, `ps <id> <ps args...>`).
   * false: known flags may also follow the positionals (urfave/cli's argument reordering).
   */
  readonly stopAtFirstPositional: boolean;
  readonly flags: readonly FlagSpec[];
}

export const DEFAULT_ROOT = '/run/oci-ts';

export const GLOBAL_FLAGS = [
  { name: 'debug', type: 'bool', describe: 'enable debug logging' },
  { name: 'log', type: 'string', describe: 'set the log file to write oci-ts logs to (default is stderr)' },
  {
    name: 'log-format',
    type: 'string',
    choices: ['text', 'json'],
    default: 'text',
    describe: "set the log format ('text' (default), or 'json')",
  },
  {
    name: 'root',
    type: 'string',
    default: DEFAULT_ROOT,
    describe: 'root directory for storage of container state (this should be located in tmpfs)',
  },
  { name: 'criu', type: 'string', describe: 'path to the criu binary (accepted and ignored: oci-ts has no CRIU support)' },
  {
    name: 'systemd-cgroup',
    type: 'bool',
    describe: 'enable systemd cgroup support, expects cgroupsPath to be of form "slice:prefix:name"',
  },
  {
    name: 'rootless',
    type: 'string',
    default: 'auto',
    describe: "ignore cgroup permission errors ('true', 'false', or 'auto')",
  },
  { name: 'version', aliases: ['v'], type: 'bool', describe: 'print the version' },
  { name: 'help', aliases: ['h'], type: 'bool', describe: 'show help' },
] as const satisfies readonly FlagSpec[];

/** The help flag every verb accepts (handled by the parse loop, not listed per verb). */
export const HELP_FLAG = { name: 'help', aliases: ['h'], type: 'bool', describe: 'show help' } as const satisfies FlagSpec;

const BUNDLE = {
  name: 'bundle',
  aliases: ['b'],
  type: 'string',
  describe: 'path to the root of the bundle directory, defaults to the current directory',
} as const satisfies FlagSpec;
const CONSOLE_SOCKET = {
  name: 'console-socket',
  type: 'string',
  describe:
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
} as const satisfies FlagSpec;
const PIDFD_SOCKET = {
  name: 'pidfd-socket',
  type: 'string',
  describe: 'path to an AF_UNIX socket which will receive a file descriptor referencing the process',
} as const satisfies FlagSpec;
const PID_FILE = {
  name: 'pid-file',
  type: 'string',
  describe: 'specify the file to write the process id to',
} as const satisfies FlagSpec;
const PRESERVE_FDS = {
  name: 'preserve-fds',
  type: 'int',
  min: 0,
  default: 0,
  describe: 'Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)',
} as const satisfies FlagSpec;
const DETACH = {
  name: 'detach',
  aliases: ['d'],
  type: 'bool',
  describe: "detach from the container's process",
} as const satisfies FlagSpec;
const NO_SUBREAPER = {
  name: 'no-subreaper',
  type: 'bool',
  describe: 'disable the use of the subreaper used to reap reparented processes',
} as const satisfies FlagSpec;
const NO_PIVOT = {
  name: 'no-pivot',
  type: 'bool',
  describe:
    'do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk',
} as const satisfies FlagSpec;
const FORMAT_TABLE_JSON = {
  name: 'format',
  aliases: ['f'],
  type: 'string',
  choices: ['table', 'json'],
  default: 'table',
  describe: 'select one of: table or json',
} as const satisfies FlagSpec;
const FORMAT_TEXT_JSON = {
  name: 'format',
  type: 'string',
  choices: ['text', 'json'],
  default: 'text',
  describe: 'select one of: text or json',
} as const satisfies FlagSpec;
const IMAGE_PATH = { name: 'image-path', type: 'string', describe: 'path for saving criu image files' } as const satisfies FlagSpec;
const WORK_PATH = { name: 'work-path', type: 'string', describe: 'path for saving work files and logs' } as const satisfies FlagSpec;
const TCP_ESTABLISHED = { name: 'tcp-established', type: 'bool', describe: 'allow open tcp connections' } as const satisfies FlagSpec;
const EXT_UNIX_SK = { name: 'ext-unix-sk', type: 'bool', describe: 'allow external unix sockets' } as const satisfies FlagSpec;
const SHELL_JOB = { name: 'shell-job', type: 'bool', describe: 'allow shell jobs' } as const satisfies FlagSpec;
const LAZY_PAGES = { name: 'lazy-pages', type: 'bool', describe: 'use userfaultfd to lazily restore memory pages' } as const satisfies FlagSpec;
const FILE_LOCKS = { name: 'file-locks', type: 'bool', describe: 'handle file locks, for safety' } as const satisfies FlagSpec;
const MANAGE_CGROUPS_MODE = {
  name: 'manage-cgroups-mode',
  type: 'string',
  describe: 'cgroups mode: soft|full|strict|ignore',
} as const satisfies FlagSpec;
const EMPTY_NS = { name: 'empty-ns', type: 'list', describe: 'create a namespace, but do not restore its properties' } as const satisfies FlagSpec;
const AUTO_DEDUP = { name: 'auto-dedup', type: 'bool', describe: 'enable auto deduplication of memory images' } as const satisfies FlagSpec;

const CREATE_FLAGS = [
  BUNDLE,
  CONSOLE_SOCKET,
  PIDFD_SOCKET,
  PID_FILE,
  NO_PIVOT,
  {
    name: 'no-new-keyring',
    type: 'bool',
    describe:
      'do not create a new session keyring for the container.  This will cause the container to inherit the calling processes session key',
  },
  PRESERVE_FDS,
  { name: 'dry-run', type: 'bool', describe: 'print the init plan instead of creating the container (oci-ts)' },
] as const satisfies readonly FlagSpec[];

const ONE_ID = { args: '<container-id>', min: 1, max: 1, stopAtFirstPositional: false } as const;

export const VERBS = {
  create: {
    describe: 'create a container',
    ...ONE_ID,
    flags: CREATE_FLAGS,
  },
  run: {
    describe: 'create and run a container',
    ...ONE_ID,
    flags: [
      ...CREATE_FLAGS,
      DETACH,
      { name: 'keep', type: 'bool', describe: 'do not delete the container after it exits' },
      NO_SUBREAPER,
    ],
  },
  start: {
    describe: 'executes the user defined process in a created container',
    ...ONE_ID,
    flags: [],
  },
  state: {
    describe: 'output the state of a container',
    ...ONE_ID,
    flags: [],
  },
  list: {
    describe: 'lists containers started by oci-ts with the given root',
    aliases: ['ls'],
    args: '',
    min: 0,
    max: 0,
    stopAtFirstPositional: false,
    flags: [FORMAT_TABLE_JSON, { name: 'quiet', aliases: ['q'], type: 'bool', describe: 'display only container IDs' }],
  },
  kill: {
    describe: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process',
    args: '<container-id> [signal]',
    min: 1,
    max: 2,
    stopAtFirstPositional: false,
    flags: [
      {
        name: 'all',
        aliases: ['a'],
        type: 'bool',
        describe: 'send the specified signal to all processes inside the container',
      },
    ],
  },
  delete: {
    describe: 'delete any resources held by the container often used with detached container',
    aliases: ['rm'],
    ...ONE_ID,
    flags: [
      {
        name: 'force',
        aliases: ['f'],
        type: 'bool',
        describe: 'Forcibly deletes the container if it is still running (uses SIGKILL)',
      },
    ],
  },
  exec: {
    describe: 'execute new process inside the container',
    args: '<container-id> [command..]',
    min: 1,
    max: Infinity,
    stopAtFirstPositional: true,
    flags: [
      CONSOLE_SOCKET,
      PIDFD_SOCKET,
      { name: 'cwd', type: 'string', describe: 'current working directory in the container' },
      { name: 'env', aliases: ['e'], type: 'list', describe: 'set environment variables' },
      { name: 'tty', aliases: ['t'], type: 'bool', describe: 'allocate a pseudo-TTY' },
      { name: 'user', aliases: ['u'], type: 'string', describe: 'UID (format: <uid>[:<gid>])' },
      { name: 'additional-gids', aliases: ['g'], type: 'list', describe: 'additional gids' },
      { name: 'process', aliases: ['p'], type: 'string', describe: 'path to the process.json' },
      DETACH,
      PID_FILE,
      {
        name: 'process-label',
        type: 'string',
        describe: 'set the asm process label for the process commonly used with selinux',
      },
      { name: 'apparmor', type: 'string', describe: 'set the apparmor profile for the process' },
      { name: 'no-new-privs', type: 'bool', describe: 'set the no new privileges value for the process' },
      { name: 'cap', aliases: ['c'], type: 'list', describe: 'add a capability to the bounding set for the process' },
      PRESERVE_FDS,
      {
        name: 'cgroup',
        type: 'list',
        describe: 'run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.',
      },
      { name: 'ignore-paused', type: 'bool', describe: 'allow exec in a paused container' },
    ],
  },
  pause: {
    describe: 'pause suspends all processes inside the container',
    ...ONE_ID,
    flags: [],
  },
  resume: {
    describe: 'resumes all processes that have been previously paused',
    ...ONE_ID,
    flags: [],
  },
  ps: {
    describe: 'ps displays the processes running inside a container',
    args: '<container-id> [ps-args..]',
    min: 1,
    max: Infinity,
    stopAtFirstPositional: true,
    flags: [FORMAT_TABLE_JSON],
  },
  events: {
    describe: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
    ...ONE_ID,
    flags: [
      { name: 'interval', type: 'string', default: '5s', describe: 'set the stats collection interval' },
      { name: 'stats', type: 'bool', describe: "display the container's stats then exit" },
    ],
  },
  update: {
    describe: 'update container resource constraints',
    ...ONE_ID,
    flags: [
      {
        name: 'resources',
        aliases: ['r'],
        type: 'string',
        describe: "path to the file containing the resources to update or '-' to read from the standard input",
      },
      { name: 'blkio-weight', type: 'int', min: 0, describe: 'Specifies per cgroup weight, range is from 10 to 1000' },
      {
        name: 'cpu-period',
        type: 'int',
        min: 0,
        describe: 'CPU CFS period to be used for hardcapping (in usecs). 0 to use system default',
      },
      {
        name: 'cpu-quota',
        type: 'int',
        describe: 'CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period',
      },
      {
        name: 'cpu-burst',
        type: 'int',
        min: 0,
        describe: 'CPU CFS hardcap burst limit (in usecs). Allowed accumulated cpu time additionally for burst a given period',
      },
      { name: 'cpu-share', type: 'int', min: 0, describe: 'CPU shares (relative weight vs. other containers)' },
      {
        name: 'cpu-rt-period',
        type: 'int',
        min: 0,
        describe: 'CPU realtime period to be used for hardcapping (in usecs). 0 to use system default',
      },
      {
        name: 'cpu-rt-runtime',
        type: 'int',
        describe: 'CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period',
      },
      { name: 'cpuset-cpus', type: 'string', describe: 'CPU(s) to use' },
      { name: 'cpuset-mems', type: 'string', describe: 'Memory node(s) to use' },
      { name: 'memory', type: 'string', describe: 'Memory limit (in bytes; suffixes k, m, g, t, p accepted)' },
      { name: 'memory-reservation', type: 'string', describe: 'Memory reservation or soft_limit (in bytes)' },
      {
        name: 'memory-swap',
        type: 'string',
        describe: "Total memory usage (memory + swap); set '-1' to enable unlimited swap",
      },
      { name: 'pids-limit', type: 'int', describe: 'Maximum number of pids allowed in the container' },
      { name: 'l3-cache-schema', type: 'string', describe: 'The string of Intel RDT/CAT L3 cache schema' },
      { name: 'mem-bw-schema', type: 'string', describe: 'The string of Intel RDT/MBA memory bandwidth schema' },
    ],
  },
  spec: {
    describe: 'create a new specification file',
    args: '',
    min: 0,
    max: 0,
    stopAtFirstPositional: false,
    flags: [
      { ...BUNDLE, describe: 'path to the root of the bundle directory' },
      { name: 'rootless', type: 'bool', describe: 'generate a configuration for a rootless container' },
    ],
  },
  features: {
    describe: 'show the enabled features',
    args: '',
    min: 0,
    max: 0,
    stopAtFirstPositional: false,
    flags: [],
  },
  checkpoint: {
    describe: 'checkpoint a running container (not supported: oci-ts has no CRIU support)',
    ...ONE_ID,
    flags: [
      IMAGE_PATH,
      WORK_PATH,
      { name: 'parent-path', type: 'string', describe: 'path for previous criu image files in pre-dump' },
      { name: 'leave-running', type: 'bool', describe: 'leave the process running after checkpointing' },
      TCP_ESTABLISHED,
      EXT_UNIX_SK,
      SHELL_JOB,
      LAZY_PAGES,
      { name: 'status-fd', type: 'string', describe: 'criu writes \\0 to this FD once lazy-pages is ready' },
      { name: 'page-server', type: 'string', describe: 'ADDRESS:PORT of the page server' },
      FILE_LOCKS,
      { name: 'pre-dump', type: 'bool', describe: 'dump container\'s memory information only, leave the container running after this' },
      MANAGE_CGROUPS_MODE,
      EMPTY_NS,
      AUTO_DEDUP,
    ],
  },
  restore: {
    describe: 'restore a container from a previous checkpoint (not supported: oci-ts has no CRIU support)',
    ...ONE_ID,
    flags: [
      CONSOLE_SOCKET,
      IMAGE_PATH,
      WORK_PATH,
      TCP_ESTABLISHED,
      EXT_UNIX_SK,
      SHELL_JOB,
      FILE_LOCKS,
      MANAGE_CGROUPS_MODE,
      BUNDLE,
      DETACH,
      PID_FILE,
      NO_SUBREAPER,
      NO_PIVOT,
      EMPTY_NS,
      AUTO_DEDUP,
      LAZY_PAGES,
      { name: 'lsm-profile', type: 'string', describe: 'Specify an LSM profile to be used during restore' },
      { name: 'lsm-mount-context', type: 'string', describe: 'Specify an LSM mount context to be used during restore' },
    ],
  },
  plan: {
    describe: "print the init plan oci-ts would run for a bundle's config.json (oci-ts)",
    args: '[container-id]',
    min: 0,
    max: 1,
    stopAtFirstPositional: false,
    flags: [BUNDLE, FORMAT_TEXT_JSON],
  },
  doctor: {
    describe: 'check that this host can run containers with oci-ts (oci-ts)',
    args: '',
    min: 0,
    max: 0,
    stopAtFirstPositional: false,
    flags: [FORMAT_TEXT_JSON],
  },
} as const satisfies Record<Verb, VerbSpec>;

/** Verb names in help order. */
export const VERB_NAMES = Object.keys(VERBS) as Verb[];

/** `ls` → `list`, `rm` → `delete`, `create` → `create`; undefined for anything else. */
export function lookupVerb(name: string): Verb | undefined {
  if (Object.prototype.hasOwnProperty.call(VERBS, name)) return name as Verb;
  for (const verb of VERB_NAMES) {
    const aliases: readonly string[] | undefined = (VERBS[verb] as VerbSpec).aliases;
    if (aliases !== undefined && aliases.includes(name)) return verb;
  }
  return undefined;
}

/** The flags of one verb, with literal names (used to type-check argv.ts's conversions). */
export type VerbFlags<V extends Verb> = (typeof VERBS)[V]['flags'][number];
export type GlobalFlag = (typeof GLOBAL_FLAGS)[number];
