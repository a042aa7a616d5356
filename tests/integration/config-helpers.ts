/**
 * Shared by tests/integration/config-*.test.ts: one sandbox and cgroup parent per file, bundles
 * with a writable busybox rootfs, and the "refused, and nothing left behind" check.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBundle, type TestSpec } from '../helpers/bundle';
import { cgroupDirsLeft, removeCgroupTree, sandbox, type Sandbox } from '../helpers/runtime';

export interface ConfigSuite {
  sb(): Sandbox;
  /** A bundle with its own id and cgroup under this file's parent; root.readonly false. */
  bundle(patch?: (s: TestSpec) => void): { dir: string; id: string; cg: string };
  /** `run` in the foreground; stdout/stderr captured. */
  run(patch?: (s: TestSpec) => void): { status: number | null; stdout: string; stderr: string; id: string; dir: string };
  /** create must fail naming `pointer`, and leave no state dir, no cgroup dirs, no process. */
  refused(patch: (s: TestSpec) => void, pointer: string, reason?: RegExp): string;
  /** create must fail (any error), leaving no state dir, no cgroup dirs; returns the output. */
  failsCleanly(patch: (s: TestSpec) => void): string;
  setup(): void;
  teardown(): void;
}

export function configSuite(name: string): ConfigSuite {
  const parent = `oci-ts-it-${name}-${process.pid}`;
  let sb: Sandbox | undefined;
  let n = 0;
  const suite: ConfigSuite = {
    sb() {
      if (!sb) throw new Error('setup() not called');
      return sb;
    },
    bundle(patch) {
      const id = `${name}${++n}`;
      const cg = `${parent}/${id}`;
      const dir = makeBundle(path.join(suite.sb().dir, id), (s) => {
        s.root.readonly = false;
        s.linux.cgroupsPath = `/${cg}`;
        patch?.(s);
      });
      return { dir, id, cg };
    },
    run(patch) {
      const { dir, id } = suite.bundle(patch);
      const r = suite.sb().run(['run', '--bundle', dir, id]);
      return { status: r.status, stdout: r.stdout, stderr: r.stderr, id, dir };
    },
    refused(patch, pointer, reason) {
      const output = suite.failsCleanly(patch);
      const escaped = pointer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      assert.match(output, new RegExp(`config\\.json ${escaped}: `), output);
      if (reason) assert.match(output, reason);
      return output;
    },
    failsCleanly(patch) {
      const { dir, id, cg } = suite.bundle(patch);
      const r = suite.sb().detached(['create', '--bundle', dir, id]);
      assert.notEqual(r.status, 0, 'create should fail');
      assert.ok(!fs.existsSync(path.join(suite.sb().root, id)), 'no state dir left');
      assert.deepEqual(cgroupDirsLeft(cg), [], 'no cgroup dirs left');
      const st = suite.sb().run(['state', id]);
      assert.match(st.stderr, /container does not exist/);
      return r.output;
    },
    setup() {
      sb = sandbox(name);
    },
    teardown() {
      sb?.cleanup();
      removeCgroupTree(parent);
    },
  };
  return suite;
}

/** Fields of /proc/<pid>/stat after the command name (index 0 is field 3, "state"). */
export function statFields(pid: number): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
}
