/**
 * `create` (and the first half of `run`): validate the bundle, make the state dir and the cgroup,
 * start the shim with the init plan, sync with the init (id maps, cgroup join, hooks), then
 * record the state and the pid-file. On any failure everything made so far is undone.
 */
import * as path from 'node:path';
import { newCgroupManager, type CgroupManager } from '../cgroups/manager';
import { OciError, toOciError } from '../errors';
import { runHooks } from '../hooks';
import { debug, trace } from '../log';
import { faultPoint } from '../fault';
import { buildInitPlan, namespaceSets } from '../plan/init-plan';
import { warmCgroupAttach } from './attach-warmup';
import { launchShim, type ShimChannel, type ShimSession } from '../shim/launch';
import type { Spec } from '../spec/types';
import { validateContainerId } from '../spec/ids';
import { loadBundle } from './bundle';
import { hostView } from './host-view';
import { lockContainer } from './lock';
import { returnNetDevices } from './netdev';
import { readStat } from './proc';
import { cgroupIntent } from './recovery';
import {
  OCI_VERSION, fifoPath, makeContainerDir, removeContainerDir, saveRecord, toState, writeFileAtomic,
  type ContainerRecord,
} from './store';

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string | undefined;
  consoleSocket?: string | undefined;
  noPivot: boolean;
  preserveFds: number;
  systemdCgroup: boolean;
  /** run mode: the shim parent stays and waits for the init, so we learn its exit status. */
  mode: 'create' | 'run';
}

export interface Created {
  record: ContainerRecord;
  spec: Spec;
  /** The running shim, in run mode (create mode may have run it to its end already). */
  session: ShimSession | undefined;
  cgroup: CgroupManager;
}

export async function createContainer(o: CreateOptions): Promise<Created> {
  // Before anything touches the root: namespaces, mounts and cgroups need root, and a half
  // attempt would leave a state dir (and an addon cache) owned by the caller.
  if (process.geteuid?.() !== 0) throw new OciError('system', 'must be run as root (rootless containers are not supported)');
  validateContainerId(o.id);
  const { spec, bundle, rootfs } = loadBundle(o.bundle);
  trace('validate');
  const proc = spec.process!;
  if (proc.terminal && o.consoleSocket === undefined && o.mode === 'create') {
    throw new OciError('config', 'cannot allocate tty if oci-ts will detach without setting console socket');
  }
  if (!proc.terminal && o.consoleSocket !== undefined) {
    throw new OciError('config', 'cannot use console socket if oci-ts will not detach or allocate tty');
  }

  makeContainerDir(o.root, o.id);
  const lock = lockContainer(path.join(o.root, o.id), o.id); // create is serialized with delete/start like every other call
  faultPoint('after-dir');
  let cgroup: CgroupManager | undefined;
  let session: ShimSession | undefined;
  let channel: ShimChannel | undefined;
  const record: ContainerRecord = {
    runtime: 'oci-ts',
    ociVersion: OCI_VERSION,
    id: o.id,
    pid: 0,
    initStartTime: '',
    bundle,
    rootfs,
    created: new Date().toISOString(),
    owner: '',
    newPidNamespace: namespaceSets(spec).fresh.has('pid'),
    creating: true,
  };
  if (spec.annotations !== undefined) record.annotations = spec.annotations;
  if (spec.hooks !== undefined) record.hooks = spec.hooks;
  record.config = spec;
  try {
    cgroup = newCgroupManager({ cgroupsPath: spec.linux?.cgroupsPath, id: o.id, systemd: o.systemdCgroup });
    saveRecord(o.root, { ...record, cgroup: cgroupIntent(cgroup.toJSON()) }); // before the mkdirs: a crash in create() leaks nothing
    cgroup.create();
    // The init's join (by the shim, right after the clone) waits for an RCU grace period unless a cgroup move happened just
    // before it: start a no-op one now (after the mkdirs, which it would block), so that the wait
    // runs alongside the limits, the plan and the shim's start (attach-warmup.ts).
    warmCgroupAttach();
    faultPoint('after-cgroup');
    // Saved as soon as the cgroup exists (with the list of dirs we made), so that delete --force
    // can clean up after a crash; only directories in that list are ever removed.
    record.cgroup = cgroup.toJSON();
    saveRecord(o.root, record);
    faultPoint('after-record');
    // linux.devices only makes the nodes; access to them is what resources.devices allows (plus
    // the default devices), as with runc: an engine that adds a device adds its rule too.
    cgroup.apply(spec.linux?.resources);
    trace('cgroup');

    // Socket activation (systemd's LISTEN_FDS): those fds come first, then --preserve-fds.
    const listenFds = socketActivationFds(process.env.LISTEN_FDS);
    const extraFds = listenFds + o.preserveFds;
    const planSpec = listenFds === 0 ? spec : withEnv(spec, [`LISTEN_FDS=${listenFds}`, 'LISTEN_PID=1']);
    const plan = buildInitPlan({
      spec: planSpec, rootfs, bundle, fifo: fifoPath(o.root, o.id), consoleSocket: o.consoleSocket,
      noPivot: o.noPivot, preserveFds: extraFds, mode: o.mode, host: hostView(cgroup),
    });
    trace('plan');
    // Without createRuntime/prestart hooks nothing needs an answer from us while the init sets
    // up: the shim then runs in one blocking call (no child_process, no event loop turns).
    ({ channel, session } = launchShim(plan, extraFds, o.mode === 'create' && !needsHookSync(spec)));
    trace(session === undefined ? 'shim-blocking' : 'spawn');
    faultPoint('after-spawn');
    await driveInit(channel, spec, record, o, bundle);
    trace('shim');

    delete record.creating;
    saveRecord(o.root, record);
    faultPoint('after-state');
    if (o.pidFile !== undefined) writeFileAtomic(path.resolve(o.pidFile), String(record.pid), 0o644);
    faultPoint('after-pidfile');
    trace('state');
    lock.release();
    return { record, spec, session, cgroup };
  } catch (err) {
    channel?.abort();
    if (record.pid > 0) {
      try { process.kill(record.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    try { cgroup?.destroy(); } catch (e) { debug(`cleanup: ${String(e)}`); }
    // A device already moved into a joined (lasting) network namespace goes back to the host.
    if (record.pid > 0) await returnNetDevices(spec).catch((e: unknown) => debug(`cleanup: ${String(e)}`));
    removeContainerDir(o.root, o.id);
    lock.release();
    throw toOciError(err);
  }
}

/**
 * The conversation with the shim: PID (the init is in its cgroups, with its id maps, and waits
 * for nothing from us), [SYNC hooks], READY, in that order.
 */
async function driveInit(channel: ShimChannel, spec: Spec, record: ContainerRecord, o: CreateOptions, bundle: string): Promise<void> {
  for (;;) {
    const m = await channel.next();
    switch (m.kind) {
      case 'PID': {
        // Saved at once: from here delete --force finds the init by its pid.
        record.pid = m.pid;
        record.initStartTime = readStat(m.pid)?.startTime ?? '';
        saveRecord(o.root, record);
        trace('pid');
        faultPoint('after-pid');
        break;
      }
      case 'SYNC': {
        if (record.pid === 0) throw unexpected(m);
        if (m.tag !== 'hooks') throw new OciError('system', `unexpected message from the shim: SYNC ${m.tag}`);
        const state = toState(record, 'creating');
        await runHooks('createRuntime', spec.hooks?.createRuntime, state, bundle);
        await runHooks('prestart', spec.hooks?.prestart, state, bundle);
        channel.proceed();
        break;
      }
      case 'READY':
        faultPoint('before-ready');
        channel.close();
        return;
      case 'ERROR':
        throw new OciError('exec', `unable to start container process: ${m.text}`);
      case 'EOF':
        throw new OciError('system', 'unable to start container process: the container init exited during setup');
    }
  }
}

/** createRuntime and prestart hooks run while the init waits at `SYNC hooks` for our answer. */
function needsHookSync(spec: Spec): boolean {
  return (spec.hooks?.createRuntime?.length ?? 0) > 0 || (spec.hooks?.prestart?.length ?? 0) > 0;
}

function unexpected(m: { kind: string }): OciError {
  return new OciError('system', `unexpected message from the shim: ${m.kind}`);
}

/** The number of socket-activation fds passed to us, as runc honours LISTEN_FDS. */
export function socketActivationFds(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value)) return 0;
  const n = Number(value);
  return n > 0 && n < 1024 ? n : 0;
}

function withEnv(spec: Spec, extra: readonly string[]): Spec {
  const names = new Set(extra.map((kv) => kv.slice(0, kv.indexOf('='))));
  const env = (spec.process?.env ?? []).filter((kv) => !names.has(kv.slice(0, kv.indexOf('='))));
  return { ...spec, process: { ...spec.process!, env: [...env, ...extra] } };
}
