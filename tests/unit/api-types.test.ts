/**
 * The library's OCI types (lib/spec/types.ts, exported by lib/index.ts) against the JSON schemas
 * the runtime validates with (schemas/): every interface declares exactly the properties of its
 * schema object, and documents made by the library's own functions pass the validators.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import * as api from '../../lib/index';
import type { Spec, State } from '../../lib/index';

const root = path.resolve(__dirname, '../..');
type Schema = { properties?: Record<string, unknown>; definitions?: Record<string, Schema> };
const schema = (f: string): Schema => JSON.parse(fs.readFileSync(path.join(root, 'schemas', f), 'utf8')) as Schema;
const def = (f: string, name: string): Schema => {
  const d = schema(f).definitions?.[name];
  assert.ok(d, `${f} has no definition ${name}`);
  return d;
};

/** Property names of each interface in lib/spec/types.ts (index signatures left out). */
function interfaceProperties(): Map<string, string[]> {
  const file = path.join(root, 'lib/spec/types.ts');
  const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out = new Map<string, string[]>();
  src.forEachChild((n) => {
    if (ts.isInterfaceDeclaration(n)) {
      out.set(n.name.text, n.members.filter(ts.isPropertySignature).map((m) => m.name.getText(src).replace(/^['"]|['"]$/g, '')));
    }
  });
  return out;
}

const PAIRS: ReadonlyArray<readonly [iface: string, schema: () => Schema]> = [
  ['Spec', () => schema('config-schema.json')],
  ['Process', () => def('defs-process.json', 'Process')],
  ['User', () => def('defs-process.json', 'User')],
  ['Capabilities', () => def('defs-process.json', 'Capabilities')],
  ['Rlimit', () => def('defs-process.json', 'Rlimit')],
  ['Scheduler', () => def('defs-process.json', 'Scheduler')],
  ['Root', () => ({ properties: (schema('config-schema.json').properties?.root as Schema).properties ?? {} })],
  ['Mount', () => def('defs.json', 'Mount')],
  ['Hook', () => def('defs.json', 'Hook')],
  ['Hooks', () => def('defs.json', 'Hooks')],
  ['IdMapping', () => def('defs.json', 'IDMapping')],
  ['Linux', () => def('config-linux.json', 'Linux')],
  ['Namespace', () => def('defs-linux.json', 'Namespace')],
  ['Device', () => def('defs-linux.json', 'Device')],
  ['DeviceRule', () => def('defs-linux.json', 'DeviceRule')],
  ['Resources', () => def('defs-linux.json', 'Resources')],
  ['Seccomp', () => def('defs-linux.json', 'Seccomp')],
  ['IntelRdt', () => def('defs-linux.json', 'IntelRdt')],
  ['MemoryPolicy', () => def('defs-linux.json', 'MemoryPolicy')],
  ['State', () => schema('state-schema.json')],
  ['Features', () => schema('features-schema.json')],
];

test('every exported OCI interface has exactly the properties of its schema object', () => {
  const props = interfaceProperties();
  for (const [iface, get] of PAIRS) {
    const declared = props.get(iface);
    assert.ok(declared, `lib/spec/types.ts has no interface ${iface}`);
    const inSchema = Object.keys(get().properties ?? {});
    assert.ok(inSchema.length > 0, `no properties in the schema for ${iface}`);
    assert.deepEqual(declared.filter((p) => !inSchema.includes(p)), [], `${iface}: declared but not in the schema`);
    assert.deepEqual(inSchema.filter((p) => !declared.includes(p)), [], `${iface}: in the schema but not declared`);
  }
});

test('documents made through the library pass the schemas they are typed by', () => {
  const spec: Spec = api.defaultSpec({ rootless: false });
  assert.equal(api.validateConfig(structuredClone(spec)).ociVersion, api.DEFAULT_OCI_VERSION);
  const rootless: Spec = api.defaultSpec({ rootless: true, hostUid: 1000, hostGid: 1000 });
  api.validateConfig(structuredClone(rootless));
  api.validateProcess(structuredClone(spec.process), 'process.json');
  const features = api.features();
  api.validateFeatures(structuredClone(features));
  const state: State = { ociVersion: '1.3.0', id: 'c1', status: 'created', pid: 42, bundle: '/b', rootfs: '/b/rootfs', created: new Date(0).toISOString(), owner: '' };
  api.validateState(state);
});

test('the library entry exports the API the docs describe', () => {
  for (const name of ['Runtime', 'OciError', 'validateConfig', 'validateProcess', 'validateState', 'validateFeatures', 'defaultSpec', 'features', 'planBundle', 'formatPlanText', 'runDoctor', 'formatDoctorText', 'version']) {
    assert.ok(name in api, `lib/index.ts does not export ${name}`);
  }
  const rt = new api.Runtime({ root: 'relative/state' });
  assert.equal(rt.root, path.resolve('relative/state'));
  assert.equal(new api.Runtime().root, '/run/oci-ts');
  for (const m of ['create', 'start', 'run', 'exec', 'state', 'kill', 'delete', 'list', 'wait', 'plan'] as const) assert.equal(typeof rt[m], 'function');
});

test('Runtime methods reject with OciError (kind, pointer, runc text), never anything else', async () => {
  const rt = new api.Runtime({ root: path.join(root, 'build', `no-such-root-${process.pid}`) });
  await assert.rejects(rt.state('nope'), (e: unknown) => e instanceof api.OciError && e.kind === 'notFound' && e.message === 'container does not exist');
  await assert.rejects(rt.kill('nope', 'NOSUCHSIG'), (e: unknown) => e instanceof api.OciError && e.kind === 'usage' && e.message === 'unknown signal "NOSUCHSIG"');
  await assert.rejects(rt.create('bad/id', { bundle: '/nonexistent' }), (e: unknown) => e instanceof api.OciError && e.kind === 'usage' && e.exitCode === 2);
  await assert.rejects(rt.create('c1', { bundle: '/nonexistent-bundle' }), (e: unknown) => e instanceof api.OciError && e.kind === 'config' && /open \/nonexistent-bundle\/config\.json: no such file or directory/.test(e.message));
  await assert.rejects(rt.exec('nope', {}), (e: unknown) => e instanceof api.OciError && e.kind === 'usage' && e.message === 'args must not be empty');
  await assert.rejects(rt.exec('nope', { args: ['true'] }), (e: unknown) => e instanceof api.OciError && e.kind === 'notFound');
  assert.deepEqual(await rt.list(), []);
  await rt.delete('nope', { force: true });
  assert.equal(fs.existsSync(rt.root), false);
  const bad = api.defaultSpec({ rootless: false }) as Spec & { process: { cwd: unknown } };
  bad.process.cwd = 'relative';
  assert.throws(() => api.validateConfig(bad), (e: unknown) => e instanceof api.OciError && e.pointer === '/process/cwd');
});
