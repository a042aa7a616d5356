import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { OciError } from '../../lib/errors';
import {
  parseArgv,
  parseDurationMs,
  parseSize,
  scanArgv,
  guessVerb,
  type GlobalOptions,
  type ParsedCommand,
} from '../../lib/cli/argv';
import { GLOBAL_FLAGS, VERBS, VERB_NAMES, type FlagSpec, type Verb, type VerbSpec } from '../../lib/cli/flags';
import { helpText, parseWithYargs, printCompletion } from '../../lib/cli/help';
import { parseSignal, signalName } from '../../lib/cli/signals';

const CWD = '/srv/cwd';
const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

const parse = (line: string[]): ParsedCommand => parseArgv(line, CWD);

const G: GlobalOptions = {
  root: '/run/oci-ts',
  logFormat: 'text',
  debug: false,
  systemdCgroup: false,
  rootless: 'auto',
};
const DOCKER_G: GlobalOptions = { ...G, root: '/var/run/docker/runtime-runc/moby', log: '/x/log.json', logFormat: 'json' };
const DOCKER = ['--root', '/var/run/docker/runtime-runc/moby', '--log', '/x/log.json', '--log-format', 'json'];
const CTR = ['--root', '/run/containerd/runc/default', '--log', '/b/log.json', '--log-format', 'json'];
const CTR_G: GlobalOptions = { ...G, root: '/run/containerd/runc/default', log: '/b/log.json', logFormat: 'json' };
const PODMAN = ['--log-format=json', '--log', '/r/oci-log'];
const PODMAN_G: GlobalOptions = { ...G, log: '/r/oci-log', logFormat: 'json' };

const CREATE_DEFAULTS = { noPivot: false, noNewKeyring: false, preserveFds: 0, dryRun: false };
const EXEC_DEFAULTS = {
  env: [],
  additionalGids: [],
  caps: [],
  preserveFds: 0,
  cgroup: [],
  ignorePaused: false,
  detach: false,
};

/** [command line, expected parse] — the forms of engine-contract.md sections 1 and 3. */
const CORPUS: [string[], ParsedCommand][] = [
  // docker / containerd shim
  [
    [...DOCKER, 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', ID],
    { kind: 'verb', verb: 'create', global: DOCKER_G, opts: { id: ID, bundle: '/b', pidFile: '/b/init.pid', ...CREATE_DEFAULTS } },
  ],
  [
    [...DOCKER, 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', '--console-socket', '/tmp/pty1/pty.sock', ID],
    {
      kind: 'verb',
      verb: 'create',
      global: DOCKER_G,
      opts: { id: ID, bundle: '/b', pidFile: '/b/init.pid', consoleSocket: '/tmp/pty1/pty.sock', ...CREATE_DEFAULTS },
    },
  ],
  // docker runtimeArgs come before the shim's global flags
  [
    ['--debug', ...DOCKER, 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', ID],
    {
      kind: 'verb',
      verb: 'create',
      global: { ...DOCKER_G, debug: true },
      opts: { id: ID, bundle: '/b', pidFile: '/b/init.pid', ...CREATE_DEFAULTS },
    },
  ],
  [[...DOCKER, 'start', ID], { kind: 'verb', verb: 'start', global: DOCKER_G, opts: { id: ID } }],
  [[...DOCKER, 'kill', ID, '15'], { kind: 'verb', verb: 'kill', global: DOCKER_G, opts: { id: ID, all: false, signal: 15 } }],
  [[...DOCKER, 'kill', ID, '9'], { kind: 'verb', verb: 'kill', global: DOCKER_G, opts: { id: ID, all: false, signal: 9 } }],
  [[...DOCKER, 'delete', ID], { kind: 'verb', verb: 'delete', global: DOCKER_G, opts: { id: ID, force: false } }],
  [[...DOCKER, 'delete', '--force', ID], { kind: 'verb', verb: 'delete', global: DOCKER_G, opts: { id: ID, force: true } }],
  [
    [...DOCKER, 'exec', '--process', '/tmp/runc-process1', '--detach', '--pid-file', '/b/e1.pid', ID],
    {
      kind: 'verb',
      verb: 'exec',
      global: DOCKER_G,
      opts: { ...EXEC_DEFAULTS, id: ID, args: [], process: '/tmp/runc-process1', detach: true, pidFile: '/b/e1.pid' },
    },
  ],
  [
    [...DOCKER, 'exec', '--process', 'F', '--console-socket', '/tmp/pty2/pty.sock', '--detach', '--pid-file', 'P', ID],
    {
      kind: 'verb',
      verb: 'exec',
      global: DOCKER_G,
      opts: { ...EXEC_DEFAULTS, id: ID, args: [], process: 'F', consoleSocket: '/tmp/pty2/pty.sock', detach: true, pidFile: 'P' },
    },
  ],
  [[...DOCKER, 'pause', ID], { kind: 'verb', verb: 'pause', global: DOCKER_G, opts: { id: ID } }],
  [[...DOCKER, 'resume', ID], { kind: 'verb', verb: 'resume', global: DOCKER_G, opts: { id: ID } }],
  [[...DOCKER, 'update', '--resources', '-', ID], { kind: 'verb', verb: 'update', global: DOCKER_G, opts: { id: ID, resources: '-' } }],
  [
    [...DOCKER, 'ps', '--format', 'json', ID],
    { kind: 'verb', verb: 'ps', global: DOCKER_G, opts: { id: ID, format: 'json', psArgs: ['-ef'] } },
  ],
  [[...DOCKER, 'state', ID], { kind: 'verb', verb: 'state', global: DOCKER_G, opts: { id: ID } }],
  // ctr
  [
    [...CTR, 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', 'c1'],
    { kind: 'verb', verb: 'create', global: CTR_G, opts: { id: 'c1', bundle: '/b', pidFile: '/b/init.pid', ...CREATE_DEFAULTS } },
  ],
  [
    [...CTR, '--systemd-cgroup', 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', 'c1'],
    {
      kind: 'verb',
      verb: 'create',
      global: { ...CTR_G, systemdCgroup: true },
      opts: { id: 'c1', bundle: '/b', pidFile: '/b/init.pid', ...CREATE_DEFAULTS },
    },
  ],
  [[...CTR, 'kill', '--all', 'c4', '9'], { kind: 'verb', verb: 'kill', global: CTR_G, opts: { id: 'c4', all: true, signal: 9 } }],
  [[...CTR, 'kill', 'c2', '15'], { kind: 'verb', verb: 'kill', global: CTR_G, opts: { id: 'c2', all: false, signal: 15 } }],
  [
    [...CTR, 'exec', '--process', 'F', '--detach', '--pid-file', '/b/e.pid', 'c4'],
    { kind: 'verb', verb: 'exec', global: CTR_G, opts: { ...EXEC_DEFAULTS, id: 'c4', args: [], process: 'F', detach: true, pidFile: '/b/e.pid' } },
  ],
  [
    [...CTR, 'events', '--interval=7s', 'c1'],
    { kind: 'verb', verb: 'events', global: CTR_G, opts: { id: 'c1', intervalMs: 7000, stats: false } },
  ],
  [[...CTR, 'events', '--stats', 'c1'], { kind: 'verb', verb: 'events', global: CTR_G, opts: { id: 'c1', intervalMs: 5000, stats: true } }],
  [[...CTR, 'list', '--format=json'], { kind: 'verb', verb: 'list', global: CTR_G, opts: { format: 'json', quiet: false } }],
  // podman via conmon
  [
    [...PODMAN, 'create', '--bundle', '/u', '--pid-file', '/r/pidfile', '--console-socket', '/tmp/conmon-term.X', ID],
    {
      kind: 'verb',
      verb: 'create',
      global: PODMAN_G,
      opts: { id: ID, bundle: '/u', pidFile: '/r/pidfile', consoleSocket: '/tmp/conmon-term.X', ...CREATE_DEFAULTS },
    },
  ],
  [
    [...PODMAN, 'create', '--bundle', '/u', '--pid-file', '/r/pidfile', '--no-pivot', '--preserve-fds', '1', ID],
    {
      kind: 'verb',
      verb: 'create',
      global: PODMAN_G,
      opts: { id: ID, bundle: '/u', pidFile: '/r/pidfile', ...CREATE_DEFAULTS, noPivot: true, preserveFds: 1 },
    },
  ],
  [
    [...PODMAN, 'exec', '--pid-file', '/u/e/exec_pid', '--process', '/u/e/exec-process-1', '--detach', ID],
    {
      kind: 'verb',
      verb: 'exec',
      global: PODMAN_G,
      opts: { ...EXEC_DEFAULTS, id: ID, args: [], process: '/u/e/exec-process-1', detach: true, pidFile: '/u/e/exec_pid' },
    },
  ],
  [
    ['exec', '--process', 'F', '--detach', '--pid-file', 'P', '--console-socket', 'S', '--tty', '--preserve-fds', '1', ID],
    {
      kind: 'verb',
      verb: 'exec',
      global: G,
      opts: { ...EXEC_DEFAULTS, id: ID, args: [], process: 'F', detach: true, pidFile: 'P', consoleSocket: 'S', tty: true, preserveFds: 1 },
    },
  ],
  // podman itself: no global flags at all
  [['start', ID], { kind: 'verb', verb: 'start', global: G, opts: { id: ID } }],
  [['kill', ID, '10'], { kind: 'verb', verb: 'kill', global: G, opts: { id: ID, all: false, signal: 10 } }],
  [['delete', '--force', ID], { kind: 'verb', verb: 'delete', global: G, opts: { id: ID, force: true } }],
  [['update', '--resources=/var/tmp/podman1', ID], { kind: 'verb', verb: 'update', global: G, opts: { id: ID, resources: '/var/tmp/podman1' } }],
  [['update', '--resources=-', ID], { kind: 'verb', verb: 'update', global: G, opts: { id: ID, resources: '-' } }],
  [['state', ID], { kind: 'verb', verb: 'state', global: G, opts: { id: ID } }],
  // the brief's short forms and other verbs
  [['kill', 'c1', 'TERM'], { kind: 'verb', verb: 'kill', global: G, opts: { id: 'c1', all: false, signal: 15 } }],
  [['kill', 'c1'], { kind: 'verb', verb: 'kill', global: G, opts: { id: 'c1', all: false, signal: 15 } }],
  [['kill', '-a', 'c1', 'sigkill'], { kind: 'verb', verb: 'kill', global: G, opts: { id: 'c1', all: true, signal: 9 } }],
  [['delete', '--force', 'id'], { kind: 'verb', verb: 'delete', global: G, opts: { id: 'id', force: true } }],
  [['rm', '-f', 'id'], { kind: 'verb', verb: 'delete', global: G, opts: { id: 'id', force: true } }],
  [['delete', 'id', '--force'], { kind: 'verb', verb: 'delete', global: G, opts: { id: 'id', force: true } }],
  [['ps', '--format', 'json', 'id'], { kind: 'verb', verb: 'ps', global: G, opts: { id: 'id', format: 'json', psArgs: ['-ef'] } }],
  [['ps', 'id', 'aux', '-o', 'pid'], { kind: 'verb', verb: 'ps', global: G, opts: { id: 'id', format: 'table', psArgs: ['aux', '-o', 'pid'] } }],
  [['ls', '-q'], { kind: 'verb', verb: 'list', global: G, opts: { format: 'table', quiet: true } }],
  [['list', '-f', 'json', '-q'], { kind: 'verb', verb: 'list', global: G, opts: { format: 'json', quiet: true } }],
  [
    ['exec', '-t', '-e', 'A=1', '--env=B=2', '-u', '1000:100', '-g', '5', '-g', '6', '--cwd', '/w', 'c', 'sh', '-c', 'echo hi'],
    {
      kind: 'verb',
      verb: 'exec',
      global: G,
      opts: {
        ...EXEC_DEFAULTS,
        id: 'c',
        args: ['sh', '-c', 'echo hi'],
        tty: true,
        env: ['A=1', 'B=2'],
        user: { uid: 1000, gid: 100 },
        additionalGids: [5, 6],
        cwd: '/w',
      },
    },
  ],
  [
    ['exec', '-dt', '--cap', 'CAP_KILL', '-c', 'CAP_CHOWN', '--no-new-privs=false', '--cgroup', 'memory:sub', 'c', '--', 'ls', '-la'],
    {
      kind: 'verb',
      verb: 'exec',
      global: G,
      opts: {
        ...EXEC_DEFAULTS,
        id: 'c',
        args: ['ls', '-la'],
        detach: true,
        tty: true,
        caps: ['CAP_KILL', 'CAP_CHOWN'],
        noNewPrivs: false,
        cgroup: ['memory:sub'],
      },
    },
  ],
  [
    ['exec', '--user', '0', '--ignore-paused', '--process-label', 'l', '--apparmor', 'a', 'c', 'true'],
    {
      kind: 'verb',
      verb: 'exec',
      global: G,
      opts: { ...EXEC_DEFAULTS, id: 'c', args: ['true'], user: { uid: 0 }, ignorePaused: true, processLabel: 'l', apparmor: 'a' },
    },
  ],
  [
    [
      'update', '--memory', '64m', '--memory-swap=128m', '--memory-reservation', '512k', '--cpu-quota', '-1',
      '--cpu-period', '100000', '--cpu-share', '512', '--pids-limit', '50', '--blkio-weight', '300',
      '--cpuset-cpus', '0-1', '--cpuset-mems', '0', '--cpu-burst', '10', '--cpu-rt-period', '1000',
      '--cpu-rt-runtime', '-1', '--l3-cache-schema', 'L3:0=ff', '--mem-bw-schema', 'MB:0=70', 'u1',
    ],
    {
      kind: 'verb',
      verb: 'update',
      global: G,
      opts: {
        id: 'u1',
        memory: 64 * 2 ** 20,
        memorySwap: 128 * 2 ** 20,
        memoryReservation: 512 * 1024,
        cpuQuota: -1,
        cpuPeriod: 100000,
        cpuShare: 512,
        pidsLimit: 50,
        blkioWeight: 300,
        cpusetCpus: '0-1',
        cpusetMems: '0',
        cpuBurst: 10,
        cpuRtPeriod: 1000,
        cpuRtRuntime: -1,
        l3CacheSchema: 'L3:0=ff',
        memBwSchema: 'MB:0=70',
      },
    },
  ],
  [['update', '-r', 'res.json', '--memory', '1g', '--memory-swap', '-1', 'u'], {
    kind: 'verb', verb: 'update', global: G, opts: { id: 'u', resources: 'res.json', memory: 2 ** 30, memorySwap: -1 },
  }],
  [
    ['run', '-d', '--keep', '--no-subreaper', '-b', 'bundle', '--dry-run', 'r1'],
    {
      kind: 'verb',
      verb: 'run',
      global: G,
      opts: { id: 'r1', bundle: '/srv/cwd/bundle', ...CREATE_DEFAULTS, dryRun: true, detach: true, keep: true, noSubreaper: true },
    },
  ],
  [['create', 'x'], { kind: 'verb', verb: 'create', global: G, opts: { id: 'x', bundle: CWD, ...CREATE_DEFAULTS } }],
  [
    ['create', '--no-new-keyring', '--pidfd-socket', '/s', '--bundle=', 'x'],
    { kind: 'verb', verb: 'create', global: G, opts: { id: 'x', bundle: CWD, ...CREATE_DEFAULTS, noNewKeyring: true, pidfdSocket: '/s' } },
  ],
  [['spec', '--rootless', '-b', '/bb'], { kind: 'verb', verb: 'spec', global: G, opts: { bundle: '/bb', rootless: true } }],
  [['spec'], { kind: 'verb', verb: 'spec', global: G, opts: { bundle: CWD, rootless: false } }],
  [['features'], { kind: 'verb', verb: 'features', global: G, opts: {} }],
  [['checkpoint', '--image-path', '/img', '--leave-running', 'c'], { kind: 'verb', verb: 'checkpoint', global: G, opts: { id: 'c' } }],
  [['restore', '-d', '-b', '/b', 'c'], { kind: 'verb', verb: 'restore', global: G, opts: { id: 'c' } }],
  [['plan', '--format', 'json', '-b', '/b'], { kind: 'verb', verb: 'plan', global: G, opts: { bundle: '/b', format: 'json' } }],
  [['plan', 'p1'], { kind: 'verb', verb: 'plan', global: G, opts: { id: 'p1', bundle: CWD, format: 'text' } }],
  [['doctor'], { kind: 'verb', verb: 'doctor', global: G, opts: { format: 'text' } }],
  [['doctor', '--format=json'], { kind: 'verb', verb: 'doctor', global: G, opts: { format: 'json' } }],
  // global flag forms
  [
    ['--root=rel', '--log=/l', '--log-format=text', '--debug=true', '--systemd-cgroup', '--rootless', 'true', '--criu', '/usr/sbin/criu', 'state', 'x'],
    {
      kind: 'verb',
      verb: 'state',
      global: { root: '/srv/cwd/rel', log: '/l', logFormat: 'text', debug: true, systemdCgroup: true, rootless: 'true' },
      opts: { id: 'x' },
    },
  ],
  [['-root', '/r', '-rootless=0', '-debug', 'state', 'x'], {
    kind: 'verb', verb: 'state', global: { ...G, root: '/r', rootless: 'false', debug: true }, opts: { id: 'x' },
  }],
  [['--rootless=auto', '--', 'state', 'x'], { kind: 'verb', verb: 'state', global: G, opts: { id: 'x' } }],
  // version and help
  [['--version'], { kind: 'version' }],
  [['-v'], { kind: 'version' }],
  [['--debug', '-v'], { kind: 'version' }],
  [[], { kind: 'help' }],
  [['--help'], { kind: 'help' }],
  [['-h'], { kind: 'help' }],
  [['help'], { kind: 'help' }],
  [['help', 'create'], { kind: 'help', verb: 'create' }],
  [['help', 'rm'], { kind: 'help', verb: 'delete' }],
  [['create', '--help'], { kind: 'help', verb: 'create' }],
  [['--root', '/r', 'exec', '-h'], { kind: 'help', verb: 'exec' }],
  [['kill', '--help', 'x', 'y', 'z'], { kind: 'help', verb: 'kill' }],
  [['completion'], { kind: 'completion' }],
  [['--get-yargs-completions', 'oci-ts', 'cre'], { kind: 'completion', words: ['oci-ts', 'cre'] }],
];

/** [command line, exact usage error message] */
const BAD: [string[], string][] = [
  [['start'], '"start" requires exactly 1 argument(s)'],
  [['start', 'a', 'b'], '"start" requires exactly 1 argument(s)'],
  [[...DOCKER, 'create', '--bundle', '/b'], '"create" requires exactly 1 argument(s)'],
  [['delete', 'x', '--nope'], '"delete" requires exactly 1 argument(s)'],
  [['list', 'x'], '"list" requires exactly 0 argument(s)'],
  [['kill'], '"kill" requires a minimum of 1 argument(s)'],
  [['kill', 'a', '9', 'extra'], '"kill" requires a maximum of 2 argument(s)'],
  [['exec'], '"exec" requires a minimum of 1 argument(s)'],
  [['ps', '--format', 'json'], '"ps" requires a minimum of 1 argument(s)'],
  [['plan', 'a', 'b'], '"plan" requires a maximum of 1 argument(s)'],
  [['create', '--nope', 'x'], 'flag provided but not defined: -nope'],
  [['--nope', 'state', 'x'], 'flag provided but not defined: -nope'],
  [['state', '--force', 'x'], 'flag provided but not defined: -force'],
  [['create', '--root', '/r', 'x'], 'flag provided but not defined: -root'],
  [['exec', '-z', 'x', 'sh'], 'flag provided but not defined: -z'],
  [['bogus'], "No help topic for 'bogus'"],
  [['--root', '/r', 'bogus', 'x'], "No help topic for 'bogus'"],
  [['help', 'bogus'], "No help topic for 'bogus'"],
  [['kill', 'x', 'FOO'], 'unknown signal "FOO"'],
  [['kill', 'x', '65'], 'unknown signal "65"'],
  [['kill', 'x', '-9'], 'unknown signal "-9"'],
  [['create', '--bundle'], 'flag needs an argument: -bundle'],
  [['create', '-b'], 'flag needs an argument: -b'],
  [['--log-format', 'xml', 'state', 'x'], 'invalid value "xml" for flag -log-format: must be one of: text, json'],
  [['list', '-f', 'yaml'], 'invalid value "yaml" for flag -f: must be one of: table, json'],
  [['--rootless', 'maybe', 'state', 'x'], 'invalid value "maybe" for flag -rootless: must be true, false or auto'],
  [['create', '--preserve-fds', 'two', 'x'], 'invalid value "two" for flag -preserve-fds: parse error'],
  [['create', '--preserve-fds', '-1', 'x'], 'invalid value "-1" for flag -preserve-fds: must be >= 0'],
  [['exec', '--tty=maybe', 'x', 'sh'], 'invalid boolean value "maybe" for -tty: parse error'],
  [['exec', 'x'], 'args must not be empty'],
  [['exec', '-u', 'root', 'x', 'sh'], 'invalid value "root": parsing "root" as int for uid failed'],
  [['exec', '-u', '0:wheel', 'x', 'sh'], 'invalid value "0:wheel": parsing "wheel" as int for gid failed'],
  [['update', '--memory', 'lots', 'x'], "invalid value for memory: invalid size: 'lots'"],
  [['events', '--interval', '0s', 'x'], 'duration interval must be greater than 0'],
  [['events', '--interval', '5', 'x'], 'time: missing unit in duration "5"'],
  [['events', '--interval', 'soon', 'x'], 'time: invalid duration "soon"'],
  [['state', ''], 'container id cannot be empty'],
  [['state', '../etc'], 'invalid id format: ../etc'],
  [['delete', '--force', '..'], 'invalid id format: ..'],
  [['state', 'a/b'], 'invalid id format: a/b'],
  [['---x', 'state', 'x'], 'bad flag syntax: ---x'],
  [['--root', '', 'state', 'x'], 'invalid value "" for flag -root: must not be empty'],
];

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OciError, `expected an OciError, got ${String(err)}`);
    assert.equal(err.kind, 'usage');
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  assert.fail('expected a usage error');
}

describe('parseArgv: engine command lines', () => {
  for (const [line, expected] of CORPUS) {
    test(line.join(' ') || '(empty)', () => {
      assert.deepEqual(parse(line), expected);
    });
  }
});

describe('parseArgv: usage errors (exit 2, runc wording)', () => {
  for (const [line, message] of BAD) {
    test(`${line.join(' ')} -> ${message}`, () => {
      assert.equal(usageMessage(() => parse(line)), message);
    });
  }
});

describe('parseArgv: details', () => {
  test('the default root ignores XDG_RUNTIME_DIR, empty or not', () => {
    const saved = process.env.XDG_RUNTIME_DIR;
    try {
      for (const value of ['', '/run/user/1000']) {
        process.env.XDG_RUNTIME_DIR = value;
        const cmd = parse(['state', 'x']);
        assert.equal(cmd.kind === 'verb' && cmd.global.root, '/run/oci-ts');
      }
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
    }
  });

  test('the last occurrence of a single-value flag wins; list flags collect', () => {
    const cmd = parse(['exec', '--pid-file', 'a', '--pid-file=b', '-e', 'X=1', '-e', 'X=2', 'c', 'true']);
    assert.ok(cmd.kind === 'verb' && cmd.verb === 'exec');
    assert.equal(cmd.opts.pidFile, 'b');
    assert.deepEqual(cmd.opts.env, ['X=1', 'X=2']);
  });

  test('a string flag takes the next argument whatever it looks like (Go flag)', () => {
    const cmd = parse(['create', '--pid-file', '--no-pivot', 'x']);
    assert.ok(cmd.kind === 'verb' && cmd.verb === 'create');
    assert.equal(cmd.opts.pidFile, '--no-pivot');
    assert.equal(cmd.opts.noPivot, false);
  });

  test('exec: flags after the id belong to the command; an unset --tty stays undefined', () => {
    const cmd = parse(['exec', 'c', 'ls', '-t', '--help', '-d']);
    assert.ok(cmd.kind === 'verb' && cmd.verb === 'exec');
    assert.deepEqual(cmd.opts.args, ['ls', '-t', '--help', '-d']);
    assert.equal(cmd.opts.tty, undefined);
    assert.equal(cmd.opts.noNewPrivs, undefined);
    assert.equal(cmd.opts.detach, false);
  });

  test('a container id may start the command line after `--`', () => {
    const cmd = parse(['exec', '--process', 'F', '--', 'c']);
    assert.ok(cmd.kind === 'verb' && cmd.verb === 'exec');
    assert.equal(cmd.opts.id, 'c');
  });

  test('the switch on verb narrows opts (compile-time check)', () => {
    const cmd = parse(['kill', 'c', 'USR1']);
    if (cmd.kind !== 'verb') return assert.fail('not a verb');
    switch (cmd.verb) {
      case 'kill':
        assert.equal(cmd.opts.signal, 10);
        break;
      default:
        assert.fail(`unexpected verb ${cmd.verb}`);
    }
  });

  test('guessVerb finds the verb without throwing', () => {
    assert.equal(guessVerb(['--root', '/r', 'create', '--nope']), 'create');
    assert.equal(guessVerb(['ls', '-x']), 'list');
    assert.equal(guessVerb(['--nope']), undefined);
    assert.equal(guessVerb([]), undefined);
  });
});

describe('signals', () => {
  test('names, prefixes, case, numbers, real-time forms', () => {
    const cases: [string, number][] = [
      ['TERM', 15], ['SIGTERM', 15], ['sigterm', 15], ['term', 15], ['15', 15], ['9', 9], ['KILL', 9],
      ['HUP', 1], ['USR1', 10], ['SIGUSR2', 12], ['CHLD', 17], ['SIGCLD', 17], ['IOT', 6], ['WINCH', 28],
      ['SIGSYS', 31], ['0', 0], ['64', 64], ['SIGRTMIN', 34], ['RTMIN+2', 36], ['sigrtmin+30', 64],
      ['SIGRTMAX', 64], ['SIGRTMAX-1', 63], ['RTMAX-30', 34],
    ];
    for (const [raw, n] of cases) assert.equal(parseSignal(raw), n, raw);
  });

  test('unknown signals are usage errors', () => {
    for (const raw of ['FOO', 'SIG', '', '65', '-1', '1.5', 'RTMIN+31', 'RTMIN-1', 'RTMAX+1', 'SIGRTMAX-31']) {
      assert.equal(usageMessage(() => parseSignal(raw)), `unknown signal ${JSON.stringify(raw)}`, raw);
    }
  });

  test('signalName', () => {
    assert.equal(signalName(15), 'SIGTERM');
    assert.equal(signalName(9), 'SIGKILL');
    assert.equal(signalName(34), 'SIGRTMIN');
    assert.equal(signalName(36), 'SIGRTMIN+2');
    assert.equal(signalName(64), 'SIGRTMAX');
    assert.equal(signalName(99), undefined);
  });
});

describe('sizes and durations', () => {
  test('parseSize: binary units as go-units RAMInBytes', () => {
    const cases: [string, number][] = [
      ['1048576', 1048576], ['512k', 524288], ['64m', 67108864], ['64M', 67108864], ['64mb', 67108864],
      ['64MiB', 67108864], ['1g', 1073741824], ['1.5g', 1610612736], ['2 t', 2 * 2 ** 40], ['0', 0],
    ];
    for (const [text, n] of cases) assert.equal(parseSize(text), n, text);
    for (const text of ['', 'm', '-1', '1x', '1.2.3g', 'lots']) assert.throws(() => parseSize(text), /invalid size/, text);
  });

  test('parseDurationMs: Go duration syntax', () => {
    const cases: [string, number][] = [['5s', 5000], ['1m30s', 90000], ['250ms', 250], ['1.5h', 5400000], ['0', 0], ['100us', 0.1]];
    for (const [text, n] of cases) assert.equal(parseDurationMs(text), n, text);
  });
});

// ---------------------------------------------------------------------------------------------
// The fast path and the yargs definition must never disagree.

function assertSameAsYargs(line: string[]): void {
  const scanned = scanArgv(line);
  assert.equal(scanned.kind, 'verb', `${line.join(' ')} is not a verb command`);
  if (scanned.kind !== 'verb') return;
  const y = parseWithYargs(line);
  const label = line.join(' ');
  assert.equal(y.verb, scanned.verb, `${label}: verb`);
  const spec: VerbSpec = VERBS[scanned.verb];
  for (const [flags, raw, parsed] of [
    [GLOBAL_FLAGS, scanned.global, y.global],
    [spec.flags, scanned.flags, y.flags],
  ] as const) {
    for (const flag of flags as readonly FlagSpec[]) {
      const fast = raw.get(flag.name);
      const slow = parsed[flag.name];
      if (fast === undefined) {
        assert.ok(slow === undefined || slow === false, `${label}: yargs set --${flag.name}=${String(slow)}`);
      } else {
        assert.deepEqual(slow, fast, `${label}: --${flag.name}`);
      }
    }
  }
  assert.deepEqual((y.flags._ as unknown[]).map(String), scanned.positionals, `${label}: positionals`);
}

function sampleValue(flag: FlagSpec): string {
  if (flag.choices !== undefined) return flag.choices[flag.choices.length - 1] as string;
  if (flag.type === 'int') return '3';
  return `v-${flag.name}`;
}

function samplePositionals(verb: Verb): string[] {
  const spec: VerbSpec = VERBS[verb];
  if (spec.min === 0) return [];
  if (verb === 'kill') return ['c1', 'KILL'];
  if (spec.stopAtFirstPositional) return ['c1', 'sh', '-c', 'echo'];
  return ['c1'];
}

/** Every way to write one flag: each name, space and `=` forms, repeated for lists. */
function flagForms(flag: FlagSpec): string[][] {
  const forms: string[][] = [];
  const names = [`--${flag.name}`, ...(flag.aliases ?? []).map((a) => `-${a}`)];
  for (const name of names) {
    if (flag.type === 'bool') {
      forms.push([name], [`${name}=true`], [`${name}=false`]);
    } else if (flag.type === 'list') {
      forms.push([name, 'a1', `${name}=a2`]);
    } else {
      forms.push([name, sampleValue(flag)], [`${name}=${sampleValue(flag)}`]);
    }
  }
  return forms;
}

describe('fast path and yargs agree', () => {
  test('on the engine corpus', () => {
    // Go's one-dash long flags (`-root /r`) are runc syntax that yargs reads as letter clusters.
    const goOnly = (line: string[]) => line.some((arg) => /^-[a-z][a-z-]+(=|$)/.test(arg) && !/^-[a-z]{2}$/.test(arg));
    let checked = 0;
    for (const [line, expected] of CORPUS) {
      if (expected.kind !== 'verb' || goOnly(line)) continue;
      assertSameAsYargs(line);
      checked++;
    }
    const verbLines = CORPUS.filter(([, expected]) => expected.kind === 'verb').length;
    assert.equal(checked, verbLines - 1, 'only the one-dash line is skipped');
  });

  test('on every global flag in the table, in every form', () => {
    for (const flag of GLOBAL_FLAGS as readonly FlagSpec[]) {
      if (flag.name === 'help' || flag.name === 'version') continue;
      for (const form of flagForms(flag)) assertSameAsYargs([...form, 'state', 'c1']);
    }
  });

  test('on every verb flag in the table, in every form', () => {
    let checked = 0;
    for (const verb of VERB_NAMES) {
      for (const flag of VERBS[verb].flags as readonly FlagSpec[]) {
        for (const form of flagForms(flag)) {
          // the id gives the kill signal / exec command their places; exec also needs a command
          assertSameAsYargs([verb, ...form, ...samplePositionals(verb)]);
          checked++;
        }
      }
    }
    assert.ok(checked > 150, `only ${checked} forms checked`);
  });

  test('on all flags of a verb at once', () => {
    for (const verb of VERB_NAMES) {
      const line: string[] = [verb];
      for (const flag of VERBS[verb].flags as readonly FlagSpec[]) line.push(...(flagForms(flag)[0] as string[]));
      assertSameAsYargs([...line, ...samplePositionals(verb)]);
    }
  });

  test('help describes every verb and every flag', () => {
    const top = helpText();
    for (const verb of VERB_NAMES) assert.match(top, new RegExp(`oci-ts ${verb}\\b`), verb);
    for (const flag of GLOBAL_FLAGS as readonly FlagSpec[]) assert.ok(top.includes(`--${flag.name} `), flag.name);
    for (const verb of VERB_NAMES) {
      const text = helpText(verb);
      assert.ok(text.includes(VERBS[verb].describe), `${verb}: description`);
      for (const flag of VERBS[verb].flags as readonly FlagSpec[]) {
        assert.ok(text.includes(`--${flag.name} `), `${verb}: --${flag.name}`);
        for (const alias of flag.aliases ?? []) assert.ok(text.includes(`-${alias}, --${flag.name}`), `${verb}: -${alias}`);
      }
    }
    assert.equal(helpText('ls'), helpText('list'));
    assert.equal(usageMessage(() => helpText('bogus')), "No help topic for 'bogus'");
  });
});

describe('completion', () => {
  /** yargs prints completion output with console.log. */
  function captured(fn: () => void): string {
    const lines: string[] = [];
    const saved = console.log;
    console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    try {
      fn();
    } finally {
      console.log = saved;
    }
    return lines.join('\n');
  }

  test('`completion` prints a bash script that calls back with --get-yargs-completions', () => {
    const saved = process.env.SHELL;
    process.env.SHELL = '/bin/bash';
    try {
      const script = captured(() => printCompletion());
      assert.match(script, /complete -o bashdefault -o default -F _oci-ts_yargs_completions oci-ts/);
      assert.match(script, /oci-ts --get-yargs-completions/);
    } finally {
      if (saved === undefined) delete process.env.SHELL;
      else process.env.SHELL = saved;
    }
  });

  test('the callback completes verbs and verb flags', () => {
    const verbs = captured(() => printCompletion(['oci-ts', '--root', '/r', 'cr'])).split('\n');
    assert.ok(verbs.includes('create') && verbs.includes('exec'), verbs.join(' '));
    const flags = captured(() => printCompletion(['oci-ts', 'kill', '--'])).split('\n');
    assert.ok(flags.includes('--all'), flags.join(' '));
    assert.ok(!flags.includes('--root'), 'global flags are not offered after the verb');
  });
});

describe('the fast path never loads yargs', () => {
  test('argv.ts and everything it imports are free of yargs and help.ts', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = fs.readFileSync(file, 'utf8');
      assert.doesNotMatch(source, /from\s+['"]yargs/, `${file} imports yargs`);
      for (const m of source.matchAll(/^import\s[^'"]*['"](\.[^'"]+)['"]/gm)) {
        const target = path.resolve(path.dirname(file), m[1] as string);
        assert.notEqual(path.basename(target), 'help', `${file} imports help.ts`);
        visit(`${target}.ts`);
      }
    };
    visit(path.resolve(import.meta.dirname, '../../lib/cli/argv.ts'));
    assert.ok(seen.size >= 3);
  });
});
