/**
 * `events`: container statistics and OOM notifications as JSON lines, in runc's shape
 * (types/events.go): `{"type":"stats","id":"<id>","data":{cpu, cpuset, memory, pids, blkio,
 * hugetlb, intel_rdt, network_interfaces}}` and `{"type":"oom","id":"<id>"}`.
 *
 *  - `--stats`: one stats event, then exit.
 *  - otherwise: a stats event every --interval (the first one after one interval, like Go's
 *    time.Tick) and an oom event whenever the kernel reports one (lib/cgroups/oom.ts), until
 *    the container stops (its init is gone), its state is deleted or its cgroup is removed.
 *    OOM notifications are polled every POLL_MS and drained once more when the container is
 *    seen stopped, so the OOM kill that ends a container is still reported.
 *
 * A stopped container is refused with runc's text "container with id <id> is not running".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCgroupManager, type CgroupManager, type PersistedCgroup } from '../cgroups/manager';
import { realIo } from '../cgroups/io';
import { openOomWatcher, type EventfdOps, type OomWatcher } from '../cgroups/oom';
import { toJson, type CgroupStats } from '../cgroups/stats';
import { OciError } from '../errors';
import { debug, warn } from '../log';
import { statusOf } from './lifecycle';
import { isAlive } from './proc';
import { containerDir, requireRecord } from './store';

/** How often OOM notifications and the container's liveness are checked. */
export const POLL_MS = 100;

export interface EventsRequest {
  root: string;
  id: string;
  intervalMs: number;
  /** One stats event, then return. */
  stats: boolean;
  /** Where each JSON line goes (newline included). */
  write(line: string): void;
  /** Test hooks. */
  pollMs?: number;
  eventfdOps?: EventfdOps;
}

export function statsEventLine(id: string, data: CgroupStats): string {
  return toJson({ type: 'stats', id, data }) + '\n';
}

export function oomEventLine(id: string): string {
  return toJson({ type: 'oom', id }) + '\n';
}

export async function containerEvents(req: EventsRequest): Promise<void> {
  const rec = requireRecord(req.root, req.id);
  if (statusOf(req.root, rec) === 'stopped') throw new OciError('state', `container with id ${req.id} is not running`);
  if (rec.cgroup === undefined) throw new OciError('system', `container ${req.id} has no cgroup`);
  const cg = loadCgroupManager(rec.cgroup as PersistedCgroup);
  if (req.stats) {
    req.write(statsEventLine(req.id, cg.stats()));
    return;
  }
  const target = cg.oomTarget();
  let watcher: OomWatcher | undefined;
  if (target !== undefined) {
    try {
      watcher = await openOomWatcher(realIo, target, { root: req.root, ...(req.eventfdOps !== undefined ? { ops: req.eventfdOps } : {}) });
      debug(`events: watching ${target.dir} for OOM events (${watcher.kind})`);
    } catch (err) {
      warn(`events: cannot watch for OOM events: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const stateDir = containerDir(req.root, req.id);
  const alive = (): boolean => fs.existsSync(path.join(stateDir, 'state.json')) && isAlive(rec.pid, rec.initStartTime);
  await stream(req, cg, watcher, alive);
}

function stream(req: EventsRequest, cg: CgroupManager, watcher: OomWatcher | undefined, alive: () => boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    let fsWatch: fs.FSWatcher | undefined;
    const target = cg.oomTarget();
    const drainOom = (): void => {
      if (watcher === undefined) return;
      let n = 0;
      try {
        n = watcher.poll();
      } catch (err) {
        debug(`events: OOM poll: ${err instanceof Error ? err.message : String(err)}`);
      }
      for (let i = 0; i < n; i++) req.write(oomEventLine(req.id));
    };
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(pollTimer);
      clearInterval(statsTimer);
      fsWatch?.close();
      watcher?.close();
      resolve();
    };
    const tick = (): void => {
      if (done) return;
      drainOom();
      if (watcher?.removed === true || !alive()) {
        drainOom(); // an OOM kill of the init is signalled before the init is seen dead
        finish();
      }
    };
    const pollTimer = setInterval(tick, req.pollMs ?? POLL_MS);
    const statsTimer = setInterval(() => {
      if (done) return;
      let data: CgroupStats;
      try {
        data = cg.stats();
      } catch (err) {
        if (!alive()) return tick();
        warn(`events: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      req.write(statsEventLine(req.id, data));
    }, req.intervalMs);
    // cgroup v2: memory.events changes wake us up at once (inotify); the timer stays the backstop.
    if (target?.version === 'v2') {
      try {
        fsWatch = fs.watch(path.join(target.dir, 'memory.events'), { persistent: false }, () => tick());
        fsWatch.on('error', () => undefined);
      } catch {
        fsWatch = undefined;
      }
    }
  });
}
