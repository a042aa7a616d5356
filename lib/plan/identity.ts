/**
 * The identity of the process a plan starts, shared by the container's init (init-plan.ts) and
 * by `exec` (exec-plan.ts): rlimits, cwd, umask, capabilities, user, no_new_privs and the
 * program lookup, in the order runc's finalizeNamespace applies them. Pure, like the planners.
 */
import { configError } from '../errors';
import { debug } from '../log';
import type { PlanOp } from '../shim/ops';
import type { Process } from '../spec/types';
import { capMask, maskToNames } from './capabilities';
import { RLIMITS, rlimitValue } from './rlimits';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Appends one op to the plan being built. */
export type AddOp = (op: PlanOp['op'], ...args: PlanOp['args']) => void;

/** Where a process object came from, for error messages: `config.json` + `/process`, or `process.json` + ``. */
export interface ProcessSource {
  file: string;
  base: string;
}

/**
 * One entry per name: at the place of its first occurrence, with the value of its last (runc
 * sets each entry in turn, so a later one overrides an earlier one in place).
 */
export function dedupeEnv(env: readonly string[]): string[] {
  const out: string[] = [];
  const at = new Map<string, number>();
  for (const kv of env) {
    const eq = kv.indexOf('=');
    const name = eq < 0 ? kv : kv.slice(0, eq);
    const i = at.get(name);
    if (i === undefined) {
      at.set(name, out.length);
      out.push(kv);
    } else {
      out[i] = kv;
    }
  }
  return out;
}

/** The value of the last NAME=... entry, as the C library's getenv sees a deduplicated env. */
export function envValue(env: readonly string[], name: string): string | undefined {
  const prefix = `${name}=`;
  for (let i = env.length - 1; i >= 0; i--) if (env[i]!.startsWith(prefix)) return env[i]!.slice(prefix.length);
  return undefined;
}

/**
 * runc sets HOME when the config does not (or sets it empty): from the container's /etc/passwd
 * entry of the process uid, "/" without one. Only the shim can read that file, inside the
 * container (DEFAULT_HOME); here: the env without empty HOME entries, and whether it needs one.
 */
export function homeFromPasswd(env: readonly string[]): { env: string[]; needed: boolean } {
  const home = envValue(env, 'HOME');
  if (home !== undefined && home !== '') return { env: [...env], needed: false };
  return { env: env.filter((e) => !e.startsWith('HOME=')), needed: true };
}

/**
 * The kernel refuses to raise an ambient capability that is not both permitted and inheritable
 * (PR_CAP_AMBIENT_RAISE: EPERM). runc ignores those; we drop them with a warning, so that runc's
 * own default spec (ambient without inheritable) still runs.
 */
export function ambientMask(ambient: bigint, permitted: bigint, inheritable: bigint): bigint {
  const usable = ambient & permitted & inheritable;
  if (usable !== ambient) {
    // A debug line, not a warning: runc is silent here, and its own default spec does this.
    debug(`ignoring ambient capabilities that are not also permitted and inheritable: ${maskToNames(ambient & ~usable).join(', ')}`);
  }
  return usable;
}

/**
 * RLIMIT..., CHDIR, UMASK, [DEFAULT_HOME], BOUNDING, SETUSER, CAPS, AMBIENT, [NO_NEW_PRIVS],
 * LOOKUP. Returns the argv and the environment for the EXEC op that ends the plan (the shim
 * appends HOME to it after a DEFAULT_HOME). The caller runs these after pivot_root (init) or
 * the mount namespace join (exec): DEFAULT_HOME reads the container's /etc/passwd.
 */
export function planIdentity(proc: Process, from: ProcessSource, add: AddOp): { args: string[]; env: string[] } {
  (proc.rlimits ?? []).forEach((r, i) => {
    const type = RLIMITS[r.type];
    if (type === undefined) throw configError(from.file, `${from.base}/rlimits/${i}/type`, `unknown rlimit type "${r.type}"`);
    add('RLIMIT', type, rlimitValue(r.soft), rlimitValue(r.hard));
  });

  const { env, needed: needsHome } = homeFromPasswd(dedupeEnv(proc.env ?? []));
  const args = proc.args ?? [];
  if (args.length === 0) throw configError(from.file, `${from.base}/args`, 'must be a non-empty array');
  add('CHDIR', proc.cwd);
  add('UMASK', (proc.user.umask ?? 0o022).toString(8));
  // Still as the runtime's root (the file may be unreadable to the user), as runc reads it.
  if (needsHome) add('DEFAULT_HOME', proc.user.uid);

  const caps = proc.capabilities ?? {};
  add('BOUNDING', capMask(caps.bounding, 'bounding'));
  add('SETUSER', proc.user.uid, proc.user.gid, (proc.user.additionalGids ?? []).join(','));
  const permitted = capMask(caps.permitted, 'permitted');
  const inheritable = capMask(caps.inheritable, 'inheritable');
  add('CAPS', capMask(caps.effective, 'effective'), permitted, inheritable);
  add('AMBIENT', ambientMask(capMask(caps.ambient, 'ambient'), permitted, inheritable));
  if (proc.noNewPrivileges) add('NO_NEW_PRIVS');
  // As runc: the program is looked up as the container's user, after its identity is final.
  add('LOOKUP', args[0]!, envValue(env, 'PATH') ?? DEFAULT_PATH);
  return { args, env };
}
