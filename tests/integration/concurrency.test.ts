/**
 * Concurrency: calls on one id are serialized by the per-container lock; many parallel creates of
 * one id give exactly one container; many parallel lifecycles of distinct ids all succeed; `list`
 * and `state` never fail on a half-created or half-deleted entry while that churn goes on.
 *
 * OCI_TS_CONCURRENCY=<n> sets the number of parallel calls (default: 50 creates of one id; 50
 * lifecycles, or 20 on fewer than 4 CPUs: 50 take ~15 s on an idle 2-CPU machine, much more
 * when other test files run beside).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readStat } from '../../lib/container/proc';
import { makeBundle } from '../helpers/bundle';
import { removeCgroupTree, sandbox, skipReason, type Sandbox } from '../helpers/runtime';
import { crashSignature, forceClean, runCli, runCliAsync, waitNoLeftovers, type CliResult, type LeakScope } from '../fuzz/host-check';

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const CG_PARENT = `oci-ts-conc-${RUN}`;
const PARALLEL = Number(process.env.OCI_TS_CONCURRENCY ?? 50);
/** Lifecycles are 5 calls each: 20 in parallel on a small machine keeps the file well under a minute. */
const LIFECYCLES = Number(process.env.OCI_TS_CONCURRENCY ?? (os.availableParallelism() >= 4 ? 50 : 20));
let sb: Sandbox;

let sharedRootfs = '';

/** A bundle for `id`: its own config.json (cgroup <parent>/<id>) over one shared read-only rootfs. */
function bundleFor(id: string, args: string[]): { bundle: string; scope: LeakScope } {
  if (sharedRootfs === '') sharedRootfs = path.join(makeBundle(path.join(sb.dir, 'shared')), 'rootfs');
  const cgroup = `${CG_PARENT}/${id}`;
  const bundle = makeBundle(path.join(sb.dir, `b-${id}`), (s) => {
    s.process.args = args;
    s.root = { path: sharedRootfs, readonly: true };
    s.linux.cgroupsPath = `/${cgroup}`;
  });
  return { bundle, scope: { root: sb.root, id, paths: [bundle, sharedRootfs], cgroup } };
}

function noCrash(r: CliResult, what: string): void {
  assert.equal(crashSignature(r.output), undefined, `${what}: ${r.output}`);
  assert.equal(r.signal, null, `${what} was killed by ${r.signal}`);
}

/** Run `list` (table and json alternately) in a loop until stop() resolves; every call must work. */
function listLoop(): { stop: () => Promise<number> } {
  let running = true;
  let calls = 0;
  const loop = (async (): Promise<void> => {
    while (running) {
      const json = calls % 2 === 0;
      const r = await runCliAsync(sb.root, json ? ['list', '--format', 'json'] : ['list']);
      calls++;
      noCrash(r, 'list during churn');
      assert.equal(r.status, 0, `list during churn: ${r.output}`);
      if (json) {
        const states = JSON.parse(r.output) as Array<{ id: string; status: string; pid: number }>;
        for (const s of states) {
          assert.ok(['creating', 'created', 'running', 'stopped', 'paused'].includes(s.status), `list entry ${JSON.stringify(s)}`);
          assert.equal(typeof s.id, 'string');
        }
      } else {
        assert.match(r.output, /^ID\s+PID\s+STATUS/);
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return calls;
    },
  };
}

describe('concurrency', { skip: skipReason }, () => {
  before(() => {
    sb = sandbox('concurrency');
  });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test(`${PARALLEL} parallel creates of one id make exactly one container`, async () => {
    const id = `same-${RUN}`;
    const { bundle, scope } = bundleFor(id, ['/bin/sleep', '1000']);
    try {
      const results = await Promise.all(Array.from({ length: PARALLEL }, () => runCliAsync(sb.root, ['create', '--bundle', bundle, id])));
      for (const r of results) noCrash(r, 'create');
      const ok = results.filter((r) => r.status === 0);
      assert.equal(ok.length, 1, `exactly one create succeeds:\n${results.map((r) => `${r.status} ${r.output.trim()}`).join('\n')}`);
      for (const r of results.filter((x) => x.status !== 0)) {
        assert.match(r.output, /container with given ID already exists/);
      }
      const st = runCli(sb.root, ['state', id]);
      assert.equal(st.status, 0, st.output);
      assert.equal((JSON.parse(st.output) as { status: string }).status, 'created');
      // One init only: the container's cgroup holds one process.
      assert.equal(fs.readFileSync(`/sys/fs/cgroup/pids/${scope.cgroup}/cgroup.procs`, 'utf8').trim().split('\n').length, 1);
      assert.equal(runCli(sb.root, ['delete', '--force', id]).status, 0);
      assert.deepEqual(waitNoLeftovers(scope), []);
    } finally {
      forceClean(scope);
    }
  });

  test(`${LIFECYCLES} parallel lifecycles of distinct ids all succeed while list runs`, async (t) => {
    const ids = Array.from({ length: LIFECYCLES }, (_, i) => `many${i}-${RUN}`);
    const bundles = ids.map((id) => bundleFor(id, ['/bin/sleep', '1000']));
    const lister = listLoop();
    const t0 = Date.now();
    try {
      const lifecycle = async (id: string, bundle: string): Promise<void> => {
        const step = async (args: string[]): Promise<CliResult> => {
          const r = await runCliAsync(sb.root, args);
          noCrash(r, `${args[0]} ${id}`);
          assert.equal(r.status, 0, `${args.join(' ')}: ${r.output}`);
          return r;
        };
        await step(['create', '--bundle', bundle, id]);
        const st = JSON.parse((await step(['state', id])).output) as { status: string };
        assert.equal(st.status, 'created');
        await step(['start', id]);
        await step(['kill', id, 'KILL']);
        await step(['delete', '--force', id]);
      };
      const outcomes = await Promise.allSettled(ids.map((id, i) => lifecycle(id, bundles[i]!.bundle)));
      const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [`${ids[i]}: ${String((o.reason as Error).message)}`] : []));
      assert.deepEqual(failed, [], 'every lifecycle succeeds');
    } finally {
      const calls = await lister.stop();
      assert.ok(calls > 0, 'list ran during the churn');
      for (const b of bundles) forceClean(b.scope);
    }
    for (const b of bundles) assert.deepEqual(waitNoLeftovers(b.scope), [], b.scope.id);
    t.diagnostic(`${LIFECYCLES} lifecycles in ${Date.now() - t0} ms`);
  });

  test('create and delete --force racing on one id never leave a half container', async () => {
    const id = `race-${RUN}`;
    const { bundle, scope } = bundleFor(id, ['/bin/sleep', '1000']);
    try {
      for (let round = 0; round < 8; round++) {
        const [c, d1, d2] = await Promise.all([
          runCliAsync(sb.root, ['create', '--bundle', bundle, id]),
          runCliAsync(sb.root, ['delete', '--force', id]),
          runCliAsync(sb.root, ['delete', '--force', id]),
        ]);
        for (const r of [c, d1, d2]) noCrash(r, `round ${round}`);
        if (c.status !== 0) assert.match(c.output, /container does not exist|no such file or directory/, `round ${round}: ${c.output}`);
        for (const d of [d1, d2]) assert.equal(d.status, 0, `round ${round} delete --force: ${d.output}`);
        // Whatever the interleaving, the container is whole (created) or gone.
        const st = runCli(sb.root, ['state', id]);
        noCrash(st, 'state');
        if (st.status === 0) assert.equal((JSON.parse(st.output) as { status: string }).status, 'created', st.output);
        else assert.match(st.output, /container does not exist/);
        assert.equal(runCli(sb.root, ['delete', '--force', id]).status, 0);
        assert.deepEqual(waitNoLeftovers(scope), [], `round ${round}`);
      }
    } finally {
      forceClean(scope);
    }
  });

  test('a call waits for the lock holder: delete --force runs only after the holder released', async () => {
    const id = `held-${RUN}`;
    const { bundle, scope } = bundleFor(id, ['/bin/sleep', '1000']);
    try {
      assert.equal(runCli(sb.root, ['create', '--bundle', bundle, id]).status, 0);
      // Hold the lock as a live oci-ts process would (this test runner's pid and start time).
      const lock = path.join(sb.root, id, '.lock');
      fs.writeFileSync(lock, `${process.pid} ${readStat(process.pid)!.startTime}`, { flag: 'wx' });
      const t0 = Date.now();
      const pending = runCliAsync(sb.root, ['delete', '--force', id]);
      await new Promise((r) => setTimeout(r, 600));
      assert.ok(fs.existsSync(path.join(sb.root, id, 'state.json')), 'delete waits while the lock is held');
      fs.unlinkSync(lock);
      const d = await pending;
      assert.equal(d.status, 0, d.output);
      assert.ok(Date.now() - t0 >= 600);
      assert.deepEqual(waitNoLeftovers(scope), []);
    } finally {
      forceClean(scope);
    }
  });
});
