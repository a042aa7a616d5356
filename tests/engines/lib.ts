/**
 * Helpers of the engine suite: processes with timeouts, a pty, polling, cgroup files, the
 * environment (env.sh) and the results table.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const HERE = __dirname;
export const REPO = path.resolve(HERE, '../..');
export const ENV_SH = path.join(HERE, 'env.sh');
export const PTY_RUN = path.join(HERE, 'pty-run.py');
export const ENGDIR = process.env.OCI_TS_ENGINES_DIR ?? '/tmp/oci-ts-engines';
export const OCI_TS_BIN = process.env.OCI_TS_BIN ?? path.join(REPO, 'dist/oci-ts');

export type Rt = 'runc' | 'oci-ts';
export type EngineName = 'docker' | 'ctr' | 'podman';

/** The environment every engine command gets: no NODE_OPTIONS (it would reach dist/oci-ts). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.NODE_EXTRA_CA_CERTS;
  env.PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  return env;
}

export interface Res {
  cmd: string;
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOpts {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** extra fds for the child: fds[i] becomes fd 3+i */
  fds?: number[];
}

export function fmt(r: Res): string {
  const cut = (s: string) => (s.length > 1500 ? `${s.slice(0, 1500)}…` : s);
  return `$ ${r.cmd}\n  exit ${r.code}\n  stdout: ${JSON.stringify(cut(r.stdout))}\n  stderr: ${JSON.stringify(cut(r.stderr))}`;
}

/**
 * Run a command; resolve with its exit code and output (never reject). A command that outlives
 * timeoutMs is SIGKILLed and reported with code 124. `-d` style commands may leave grandchildren
 * holding the pipes: we stop waiting for the pipes 3 s after the process itself exited.
 */
export function sh(argv: string[], o: RunOpts = {}): Promise<Res> {
  const cmd = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      // conmon writes files (an `oom` marker) into podman's cwd: keep them out of the repo.
      cwd: fs.existsSync(ENGDIR) ? ENGDIR : '/tmp',
      stdio: ['pipe', 'pipe', 'pipe', ...(o.fds ?? [])],
      env: o.env ?? cleanEnv(),
    });
    let stdout = '';
    let stderr = '';
    let done = false;
    let exitCode: number | null = null;
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.stdin!.on('error', () => {});
    if (o.input !== undefined) child.stdin!.end(o.input);
    else child.stdin!.end();
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, o.timeoutMs ?? 90_000);
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout!.destroy();
      child.stderr!.destroy();
      resolve({ cmd, code: timedOut ? 124 : (exitCode ?? 255), stdout, stderr: timedOut ? `${stderr}\n[timeout]` : stderr });
    };
    child.on('error', (err) => { stderr += String(err); exitCode = 127; finish(); });
    child.on('exit', (code, sig) => {
      exitCode = code ?? 128 + (sig ? (os.constants.signals[sig] as number) : 0);
      setTimeout(finish, 3000).unref();
    });
    child.on('close', finish);
  });
}

/** Run argv on a new pty (pty-run.py); `input` is typed once `waitFor` appeared in the output. */
export function pty(argv: string[], o: { input?: string; waitFor?: string; timeoutMs?: number; size?: string } = {}): Promise<Res> {
  const args = [PTY_RUN, '--timeout', String((o.timeoutMs ?? 60_000) / 1000), '--size', o.size ?? '33x77'];
  if (o.input !== undefined) args.push('--input', o.input.replace(/\n/g, '\\n'));
  if (o.waitFor !== undefined) args.push('--wait-for', o.waitFor);
  return sh(['/usr/bin/python3', ...args, '--', ...argv], { timeoutMs: (o.timeoutMs ?? 60_000) + 10_000 });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until fn returns a truthy value (returned), or throw with the last value after timeoutMs. */
export async function waitUntil<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}

/** A cgroup v1 file of a host process: /sys/fs/cgroup/<controller><path of pid>/<file>. */
export function cgroupFileOf(pid: number, controller: string, file: string): string {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  for (const l of lines) {
    const m = l.match(/^(\d+):([^:]*):(.*)$/);
    if (!m) continue;
    const [, , ctrls, p] = m;
    if (ctrls.split(',').includes(controller)) {
      return fs.readFileSync(path.join('/sys/fs/cgroup', controller, p, file), 'utf8').trim();
    }
  }
  throw new Error(`pid ${pid} has no ${controller} cgroup: ${lines.join(' | ')}`);
}

// ---------------------------------------------------------------------------------------------
// environment

export function envSh(verb: 'start' | 'stop' | 'status' | 'check', timeoutMs = 20 * 60_000): { code: number; out: string } {
  const r = spawnSync('/bin/bash', [ENV_SH, verb], {
    env: cleanEnv({ OCI_TS_ENGINES_DIR: ENGDIR, OCI_TS_BIN }),
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

// ---------------------------------------------------------------------------------------------
// results

export interface Outcome {
  ok: boolean;
  ms: number;
  msg?: string;
}

export class Results {
  private readonly rows = new Map<string, Map<string, Outcome>>();
  readonly order: string[] = [];

  set(scenario: string, engine: EngineName, rt: Rt, o: Outcome): void {
    if (!this.rows.has(scenario)) { this.rows.set(scenario, new Map()); this.order.push(scenario); }
    this.rows.get(scenario)!.set(`${engine}/${rt}`, o);
  }

  get(scenario: string, engine: EngineName, rt: Rt): Outcome | undefined {
    return this.rows.get(scenario)?.get(`${engine}/${rt}`);
  }

  /** The summary table (scenario | per engine: oci-ts | runc), totals and the failures. */
  render(engines: EngineName[], scenarios: string[], elapsedMs: number): string {
    const cell = (o: Outcome | undefined) => (o === undefined ? '-' : o.ok ? 'pass' : 'FAIL');
    const head = ['scenario', ...engines.flatMap((e) => [`${e} oci-ts`, `${e} runc`])];
    const body: string[][] = [];
    const tot = { 'oci-ts': [0, 0], runc: [0, 0] } as Record<Rt, [number, number]>;
    const bugs: string[] = [];
    const host: string[] = [];
    for (const s of scenarios) {
      const row = [s];
      for (const e of engines) {
        for (const rt of ['oci-ts', 'runc'] as Rt[]) {
          const o = this.get(s, e, rt);
          row.push(cell(o));
          if (o) { tot[rt][1]++; if (o.ok) tot[rt][0]++; }
        }
        const oo = this.get(s, e, 'oci-ts');
        const or = this.get(s, e, 'runc');
        if (or && !or.ok) host.push(`${s} [${e}]: fails with runc too (host limitation): ${firstLine(or.msg)}`);
        else if (oo && !oo.ok) bugs.push(`${s} [${e}]: ${firstLine(oo.msg)}`);
      }
      body.push(row);
    }
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join(' | ');
    const out = [
      '',
      '=== engine suite summary ===',
      line(head),
      widths.map((w) => '-'.repeat(w)).join('-|-'),
      ...body.map(line),
      '',
      `oci-ts: ${tot['oci-ts'][0]}/${tot['oci-ts'][1]} passed    runc: ${tot.runc[0]}/${tot.runc[1]} passed    ('-' = the engine has no such feature)`,
      `elapsed: ${(elapsedMs / 1000).toFixed(1)} s`,
    ];
    if (bugs.length) out.push('', 'oci-ts failures (runc passes):', ...bugs.map((b) => `  - ${b}`));
    if (host.length) out.push('', 'host limitations (runc fails as well):', ...host.map((b) => `  - ${b}`));
    return `${out.join('\n')}\n`;
  }
}

function firstLine(s: string | undefined): string {
  if (!s) return '';
  const l = s.split('\n').filter((x) => x.trim() !== '');
  return l.slice(0, 6).join(' ⏎ ').slice(0, 600);
}

// ---------------------------------------------------------------------------------------------
// leak check: what a scenario leaves on the host after its containers are removed

const CG_PARENTS = ['docker', 'default', 'libpod_parent'];
/** Runtime state roots the engines use (docker, ctr) and the default roots (podman). */
const STATE_ROOTS = ['/run/docker/runtime-runc/moby', '/run/containerd/runc/default', '/run/runc', '/run/oci-ts'];
const ENGINE_PATHS = /^\/(var\/)?(run\/(docker|containerd|containers|netns|libpod)|lib\/(docker|containerd|containers))\//;

function subdirs(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name));
  } catch {
    return [];
  }
}

/**
 * Container cgroups under the engines' parents, runtime state dirs, engine mounts and the
 * processes that must not outlive a container: shims, conmons, oci-ts invocations.
 */
export function hostSnapshot(): string[] {
  const out: string[] = [];
  for (const h of subdirs('/sys/fs/cgroup')) {
    for (const p of CG_PARENTS) {
      for (const d of subdirs(path.join(h, p))) {
        if (d.endsWith('/libpod_parent/conmon')) continue;
        out.push(`cgroup ${d}`);
      }
    }
  }
  for (const r of STATE_ROOTS) {
    for (const d of subdirs(r)) {
      const id = path.basename(d);
      if (id === ':cache') continue; // oci-ts's cache dir (see docs/engines.md)
      // /run/runc and /run/oci-ts are shared with other users: only podman's (64 hex) ids
      if ((r === '/run/runc' || r === '/run/oci-ts') && !/^[0-9a-f]{64}$/.test(id)) continue;
      out.push(`state ${d}`);
    }
  }
  for (const l of fs.readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const mp = l.split(' ')[1];
    if (!mp || !ENGINE_PATHS.test(mp)) continue;
    if (mp === '/run/docker/netns/default' || mp === '/var/run/docker/netns/default') continue;
    // Podman's overlay driver binds its own storage home onto itself and keeps it while any
    // podman process has the store open; it is the engine's state, never a runtime's (a runtime
    // mounts only inside the container's own mount namespace); it goes when podman closes the store.
    if (mp === '/var/lib/containers/storage/overlay') continue;
    out.push(`mount ${mp}`);
  }
  let binReal = '';
  try { binReal = fs.realpathSync(OCI_TS_BIN); } catch { /* no binary */ }
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (comm === 'conmon' || comm.startsWith('containerd-shim')) {
        out.push(`engine-process ${pid} ${comm}`);
        continue;
      }
      if (binReal && fs.readlinkSync(`/proc/${pid}/exe`) === binReal) {
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        if (/containerd|docker|containers|libpod/.test(cmd)) out.push(`process ${pid} oci-ts: ${cmd.slice(0, 200)}`);
      }
    } catch {
      /* gone */
    }
  }
  return out.sort();
}

/**
 * Wait (up to timeoutMs) until nothing is left that was not there in `before`. Shims and
 * conmons take ~1.3 s to exit after their container is removed (with runc as well): they are
 * only checked when `engineProcesses` is set (once per engine, not after every scenario).
 */
export async function assertNoLeaks(before: string[], timeoutMs = 10_000, engineProcesses = false): Promise<void> {
  const base = new Set(before);
  let extra: string[] = [];
  const end = Date.now() + timeoutMs;
  for (;;) {
    extra = hostSnapshot().filter((x) => !base.has(x) && (engineProcesses || !x.startsWith('engine-process ')));
    if (extra.length === 0) return;
    if (Date.now() > end) break;
    await sleep(250);
  }
  throw new Error(`left on the host after the scenario's containers were removed:\n  ${extra.join('\n  ')}`);
}
