/**
 * The npm package: `npm pack`, install the tarball into a fresh project (offline, from the npm
 * cache), then as root run the docs/library.md example, verbatim, against a busybox bundle, and
 * check what the container printed and its final state. Also: the installed `oci-ts` command,
 * OciError across the package boundary, and the .d.ts files under a strict TypeScript consumer.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { findStaticBusybox, makeBundle } from '../helpers/bundle';
import { cleanEnv, removeCgroupTree, repoRoot } from '../helpers/runtime';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot ? 'needs root (the example runs a container)' : findStaticBusybox() === null ? 'no static busybox (make deps)' : false;

/** The state root the example uses (it is run verbatim). */
const EXAMPLE_ROOT = '/run/oci-ts-example';
const EXAMPLE_ID = 'hello';

let dir = '';
let project = '';
let tarball = '';

function sh(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: cleanEnv({ npm_config_update_notifier: 'false' }), timeout: 120_000 });
}

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((e) => newestMtime(path.join(p, e))));
}

/** The first ```js block of docs/library.md. */
function libraryExample(): string {
  const md = fs.readFileSync(path.join(repoRoot, 'docs/library.md'), 'utf8');
  const m = /```js\n([\s\S]*?)```/.exec(md);
  assert.ok(m, 'docs/library.md has no ```js block');
  return m[1]!;
}

function installedCli(args: string[]): SpawnSyncReturns<string> {
  return sh(path.join(project, 'node_modules/.bin/oci-ts'), args, project);
}

before(() => {
  if (skip) return;
  for (const f of ['dist/oci-ts.cjs', 'build/oci-ts-shim']) {
    assert.ok(fs.existsSync(path.join(repoRoot, f)), `${f} is missing: run make build`);
  }
  // The library bundle and its .d.ts (make lib): rebuilt here when older than the sources.
  const lib = path.join(repoRoot, 'dist/lib.cjs');
  if (!fs.existsSync(lib) || !fs.existsSync(path.join(repoRoot, 'dist/types/lib/index.d.ts')) || fs.statSync(lib).mtimeMs < newestMtime(path.join(repoRoot, 'lib'))) {
    execFileSync(process.execPath, ['scripts/build-lib.mjs', '--depfile', 'build/lib.cjs.d'], { cwd: repoRoot, stdio: 'inherit' });
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-package-'));
  const pack = sh('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], repoRoot);
  assert.equal(pack.status, 0, pack.stderr);
  tarball = path.join(dir, pack.stdout.trim().split('\n').at(-1)!);
  assert.ok(fs.existsSync(tarball), `npm pack made no ${tarball}`);
  project = path.join(dir, 'app');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'oci-ts-consumer', version: '1.0.0', private: true }));
  let install = sh('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], project);
  if (install.status !== 0) install = sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
  assert.equal(install.status, 0, install.stderr);
  installedCli(['--root', EXAMPLE_ROOT, 'delete', '--force', EXAMPLE_ID]); // a leftover of an earlier run
});

after(() => {
  if (project !== '' && fs.existsSync(path.join(project, 'node_modules/.bin/oci-ts'))) installedCli(['--root', EXAMPLE_ROOT, 'delete', '--force', EXAMPLE_ID]);
  try { fs.rmdirSync(EXAMPLE_ROOT); } catch { /* not empty (another user of it) or absent */ }
  removeCgroupTree('oci-ts-test/package-bundle');
  removeCgroupTree('oci-ts-test/package-sleeper');
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
});

test('the tarball holds the command, the library, the types and the shim, and no sources', { skip }, () => {
  const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter((f) => f !== '');
  for (const f of ['package/package.json', 'package/dist/oci-ts.cjs', 'package/dist/lib.cjs', 'package/dist/types/lib/index.d.ts', 'package/build/oci-ts-shim', 'package/docs/library.md']) {
    assert.ok(files.includes(f), `${f} not in the tarball`);
  }
  assert.equal(files.filter((f) => /^package\/(lib|tests|c-shim|bin)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts')).length, 0);
  assert.equal(files.includes('package/dist/oci-ts'), false); // the 90 MB single executable stays out
});

test('the installed package resolves to itself, not to this source tree', { skip }, () => {
  const where = sh(process.execPath, ['-e', 'console.log(require.resolve("oci-ts"))'], project);
  assert.equal(where.stdout.trim(), path.join(project, 'node_modules/oci-ts/dist/lib.cjs'));
  const v = installedCli(['--version']);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^oci-ts version \d+\.\d+\.\d+\ncommit: \S+\nspec: 1\.3\.0\n$/);
});

test('docs/library.md example, verbatim, runs a busybox container from the installed package', { skip }, () => {
  const bundle = makeBundle(path.join(dir, 'package-bundle'), (s) => {
    s.process.args = ['/bin/sh', '-c', 'echo "hello from busybox as $(id -u) in $(hostname)"'];
  });
  fs.writeFileSync(path.join(project, 'hello.mjs'), libraryExample());
  const r = sh(process.execPath, ['hello.mjs', bundle], project);
  assert.equal(r.status, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  const created = lines.findIndex((l) => /^created created [1-9]\d*$/.test(l));
  const hello = lines.indexOf('hello from busybox as 0 in oci-ts');
  const finished = lines.indexOf('finished stopped');
  assert.ok(created >= 0 && hello > created && finished > hello, r.stdout);
  // The example deleted its container: the state root is empty, and the CLI agrees.
  const list = installedCli(['--root', EXAMPLE_ROOT, 'list', '--format', 'json']);
  assert.equal(list.status, 0, list.stderr);
  assert.equal((JSON.parse(list.stdout) as Array<{ id: string }>).some((s) => s.id === EXAMPLE_ID), false);
});

test('a lifecycle through the installed library (exec included); errors are OciError with pointer and runc text', { skip }, () => {
  const bundle = makeBundle(path.join(dir, 'package-sleeper'), (s) => { s.process.args = ['/bin/sleep', '30']; });
  const script = `
    const { Runtime, OciError, validateConfig, defaultSpec } = require('oci-ts');
    (async () => {
      const rt = new Runtime({ root: ${JSON.stringify(path.join(dir, 'state'))} });
      const out = {};
      const created = await rt.create('c2', { bundle: ${JSON.stringify(bundle)} });
      out.created = created.status;
      out.listed = (await rt.list()).map((s) => s.id + ':' + s.status);
      try { await rt.create('c2', { bundle: ${JSON.stringify(bundle)} }); } catch (e) { out.exists = [e instanceof OciError, e.kind, e.message]; }
      out.started = (await rt.start('c2')).status;
      out.exec = await rt.exec('c2', { args: ['/bin/sh', '-c', 'echo "exec in $(hostname) as $(id -u)"; exit 3'] });
      out.execProcess = await rt.exec('c2', { process: { args: ['/bin/sh', '-c', 'exit 5'], cwd: '/', user: { uid: 0, gid: 0 } } });
      try { await rt.exec('c2', { process: { args: [], cwd: '/', user: { uid: 0, gid: 0 } } }); } catch (e) { out.badProcess = [e instanceof OciError, e.kind, e.pointer, e.message]; }
      await rt.kill('c2', 'KILL');
      out.stopped = (await rt.wait('c2', { timeoutMs: 5000 })).status;
      await rt.delete('c2');
      try { await rt.state('c2'); } catch (e) { out.gone = [e instanceof OciError, e.kind, e.message]; }
      const spec = defaultSpec({ rootless: false });
      spec.process.args = [];
      try { validateConfig(spec); } catch (e) { out.invalid = [e instanceof OciError, e.kind, e.pointer, e.message]; }
      console.log(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  const r = sh(process.execPath, ['-e', script], project);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  assert.equal(out.created, 'created');
  assert.deepEqual(out.listed, ['c2:created']);
  assert.deepEqual(out.exists, [true, 'exists', 'container with given ID already exists']);
  assert.equal(out.started, 'running');
  assert.equal(out.exec, 3);
  assert.match(r.stdout, /^exec in oci-ts as 0$/m);
  assert.equal(out.execProcess, 5);
  assert.deepEqual(out.badProcess, [true, 'config', '/args', 'process /args: must be a non-empty array']);
  assert.equal(out.stopped, 'stopped');
  assert.deepEqual(out.gone, [true, 'notFound', 'container does not exist']);
  assert.deepEqual(out.invalid, [true, 'config', '/process/args', 'config.json /process/args: must be a non-empty array']);
  removeCgroupTree('oci-ts-test/package-sleeper');
});

test('the .d.ts files type-check a strict TypeScript consumer', { skip }, () => {
  fs.writeFileSync(path.join(project, 'consumer.ts'), `
    import { Runtime, OciError, validateConfig, defaultSpec, planBundle, runDoctor, type Spec, type State, type PlanDescription, type DoctorReport } from 'oci-ts';
    export async function demo(bundle: string): Promise<State> {
      const spec: Spec = defaultSpec({ rootless: false });
      const checked: Spec = validateConfig(spec);
      const args: string[] | undefined = checked.process?.args;
      const rt = new Runtime({ root: '/run/x' });
      const plan: PlanDescription = planBundle(bundle, { id: 'x' });
      const firstMountFlags: string[] | undefined = plan.mounts[0]?.flags;
      const report: DoctorReport = runDoctor();
      const ok: boolean = report.ok;
      try {
        return await rt.create('x', { bundle, pidFile: '/run/x.pid' });
      } catch (e) {
        if (e instanceof OciError) { const p: string | undefined = e.pointer; void p; }
        void args; void firstMountFlags; void ok;
        throw e;
      }
    }
    // @ts-expect-error: the bundle is required
    void new Runtime().create('x', {});
  `);
  const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
  const r = sh(process.execPath, [
    tsc, '--noEmit', '--strict', '--skipLibCheck', 'false', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022',
    '--types', 'node', '--typeRoots', path.join(repoRoot, 'node_modules/@types'), 'consumer.ts',
  ], project);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
