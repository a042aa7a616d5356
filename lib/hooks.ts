/**
 * OCI hooks (config.md §POSIX-platform Hooks): each hook is run with the container state on
 * stdin, in the bundle directory, with its own args/env (or, like runc, the runtime's env when
 * the hook gives none), and a timeout in seconds. Hook output goes to the runtime's stderr only
 * when it fails (it never reaches the container's stdio).
 */
import type * as ChildProcess from 'node:child_process';
import { OciError } from './errors';
import { debug } from './log';
import type { Hook, State } from './spec/types';

export type HookPoint = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

export async function runHooks(point: HookPoint, hooks: readonly Hook[] | undefined, state: State, cwd: string): Promise<void> {
  for (const [i, hook] of (hooks ?? []).entries()) {
    await runHook(point, i, hook, state, cwd);
  }
}

function runHook(point: HookPoint, index: number, hook: Hook, state: State, cwd: string): Promise<void> {
  debug(`running ${point} hook ${index}: ${hook.path}`);
  return new Promise((resolve, reject) => {
    const args = hook.args !== undefined && hook.args.length > 0 ? hook.args : [hook.path];
    const env = hook.env !== undefined ? envObject(hook.env) : process.env;
    // Loaded here, not at the top: child_process (with net and stream) costs ~1.3 ms of every
    // state/start/kill/delete call, which import this module but rarely have hooks to run.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawn } = require('node:child_process') as typeof ChildProcess;
    const child = spawn(hook.path, args.slice(1), { argv0: args[0], cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => { output += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { output += b.toString(); });
    child.stdin.on('error', () => { /* the hook may exit without reading stdin */ });
    child.stdin.end(JSON.stringify(state));
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (hook.timeout !== undefined && hook.timeout > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, hook.timeout * 1000);
    }
    const fail = (why: string): void => {
      const tail = output.trim() === '' ? '' : `, stdout+stderr: ${output.trim()}`;
      reject(new OciError('system', `error running ${point} hook #${index}: ${why}${tail}`));
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      fail(`fork/exec ${hook.path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
    });
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut) fail(`timeout after ${hook.timeout}s`);
      else if (signal !== null) fail(`signal: ${signal}`);
      else if (code !== 0) fail(`exit status ${code}`);
      else resolve();
    });
  });
}

function envObject(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of env) {
    const eq = kv.indexOf('=');
    if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}
