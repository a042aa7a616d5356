/**
 * Golden files for `oci-ts plan`: tests/fixtures/plan/<name>/config.json is a bundle (its rootfs
 * and bind sources live next to it), plan.txt and plan.json are what the planner prints for it.
 *
 * Host-dependent parts are made deterministic:
 *   - the cgroup host is injected (tests/fixtures/plan/<name>/host.json, else a fixed unified
 *     host) and read through a fake, read-only cgroupfs: the goldens do not depend on this
 *     machine's hierarchies;
 *   - the bundle path (this checkout) becomes <bundle>, the state root (a temporary directory,
 *     where the seccomp cache goes) becomes <root>;
 *   - the size of the compiled BPF program (libseccomp-version dependent) becomes <n>.
 * Bind sources are files and directories of the fixture, so their type does not depend on the host.
 *
 *   UPDATE_GOLDEN=1 node --import tsx --test tests/unit/plan-golden.test.ts    rewrites the goldens
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { planBundle } from '../../lib/api/plan';
import type { HostCgroups } from '../../lib/cgroups/types';
import { configureLog, logOptions } from '../../lib/log';
import { formatPlanJson, formatPlanText, type CgroupHostReader, type PlanDescription } from '../../lib/plan/describe';
import { libseccompSkipReason } from '../helpers/seccomp';

const FIXTURES = path.resolve(__dirname, '../fixtures/plan');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const ID = 'golden';

interface HostFixture extends HostCgroups {
  /** cgroupfs files of the fake host (directories are their prefixes). */
  files: Record<string, string>;
}

/** The default cgroup host: cgroup v2 only, the usual controllers, memory and pids delegated. */
const UNIFIED: HostFixture = {
  mode: 'unified',
  hierarchies: [{ kind: 'v2', mountpoint: '/sys/fs/cgroup', controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'] }],
  files: {
    '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n',
    '/sys/fs/cgroup/cgroup.subtree_control': 'memory pids\n',
    '/sys/fs/cgroup/cgroup.procs': '',
  },
};

function fakeReader(files: Record<string, string>): CgroupHostReader {
  const dirs = new Set<string>();
  for (const f of Object.keys(files)) for (let d = path.dirname(f); d !== '/'; d = path.dirname(d)) dirs.add(d);
  return {
    exists: (p) => p in files || dirs.has(p),
    read: (p) => {
      const v = files[p];
      if (v === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
      return v;
    },
  };
}

function hostOf(dir: string): HostFixture {
  const file = path.join(dir, 'host.json');
  if (!fs.existsSync(file)) return UNIFIED;
  const h = JSON.parse(fs.readFileSync(file, 'utf8')) as HostFixture & { comment?: string };
  return { mode: h.mode, hierarchies: h.hierarchies, files: h.files };
}

/** Replace every occurrence of the host-dependent paths (longest first) and the BPF size. */
function normalize(text: string, bundle: string, root: string): string {
  let out = text.split(root).join('<root>').split(bundle).join('<bundle>');
  out = out.replace(/\((\d+) BPF instructions/g, '(<n> BPF instructions').replace(/"instructions": \d+/g, '"instructions": "<n>"');
  return out;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-plan-golden-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const names = fs.readdirSync(FIXTURES).filter((n) => fs.existsSync(path.join(FIXTURES, n, 'config.json'))).sort();
const seccompSkip = libseccompSkipReason();

test('the golden fixtures are there', () => {
  assert.deepEqual(names, ['docker-like', 'hooks-seccomp', 'runc-default', 'userns']);
});

for (const name of names) {
  const dir = path.join(FIXTURES, name);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { linux?: { seccomp?: unknown } };
  const skip = config.linux?.seccomp !== undefined && seccompSkip !== undefined ? seccompSkip : false;

  test(`plan golden: ${name}`, { skip }, () => {
    const host = hostOf(dir);
    const root = path.join(tmp, name);
    // Warnings the planner logs (ignored device rules on v2 ...) are part of the plan's notes.
    const log = logOptions();
    configureLog({ ...log, file: '/dev/null' });
    let d: PlanDescription;
    try {
      d = planBundle(dir, { id: ID, root, host: { mode: host.mode, hierarchies: host.hierarchies }, reader: fakeReader(host.files) });
    } finally {
      configureLog(log);
    }
    const text = normalize(formatPlanText(d), dir, root);
    const json = normalize(formatPlanJson(d), dir, root);
    assert.ok(!text.includes(dir) && !json.includes(dir) && !text.includes(tmp) && !json.includes(tmp), 'no host path is left');

    const txtFile = path.join(dir, 'plan.txt');
    const jsonFile = path.join(dir, 'plan.json');
    if (UPDATE) {
      fs.writeFileSync(txtFile, text);
      fs.writeFileSync(jsonFile, json);
    }
    assert.ok(fs.existsSync(txtFile) && fs.existsSync(jsonFile), `no golden for ${name}: run with UPDATE_GOLDEN=1`);
    assert.equal(text, fs.readFileSync(txtFile, 'utf8'), `${name}/plan.txt differs (UPDATE_GOLDEN=1 rewrites it)`);
    assert.deepEqual(JSON.parse(json), JSON.parse(fs.readFileSync(jsonFile, 'utf8')), `${name}/plan.json differs (UPDATE_GOLDEN=1 rewrites it)`);
    assert.equal(json, fs.readFileSync(jsonFile, 'utf8'));
    // Planning is pure: the same inputs give the same plan.
    assert.equal(normalize(formatPlanJson(planBundle(dir, { id: ID, root, host: { mode: host.mode, hierarchies: host.hierarchies }, reader: fakeReader(host.files) })), dir, root), json);
  });
}
