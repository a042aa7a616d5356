/**
 * Property-based fuzzing of state files on disk: damaged JSON, wrong types, absurd numbers,
 * foreign documents. Reading (state, list) must answer or give a clear error, and `list` must
 * never fail because of one bad entry; the acting calls (kill, delete) on a fuzzed record must
 * give a clear error or succeed, and never touch the host (the records are defanged first:
 * tests/fuzz/state.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { containerState, deleteContainer, killContainer, listStates } from '../../lib/container/lifecycle';
import { checkCgroupMounts } from '../../lib/container/record-check';
import { loadRecord } from '../../lib/container/store';
import { configureLog } from '../../lib/log';
import { expand, expectCleanError, fuzzParams, hostileValue, mutate, mutation, textDamage, type Mutation } from '../fuzz/arbitraries';
import { baseRecord, defang } from '../fuzz/state';

configureLog({ format: 'text', debug: false, file: '/dev/null' });

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-fuzz-state-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const CG = `/oci-ts-fuzz-state-${process.pid}/c`;
const ID = 'fuzzed';

function writeState(text: string): void {
  fs.mkdirSync(path.join(root, ID), { recursive: true });
  fs.writeFileSync(path.join(root, ID, 'state.json'), text);
}

const cases = fc.oneof(
  { weight: 3, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }).map((m) => ({ m })) },
  { weight: 1, arbitrary: hostileValue.map((v) => ({ v })) },
  { weight: 1, arbitrary: textDamage.map((d) => ({ d })) },
);

function stateText(c: { m: Mutation[] } | { v: unknown } | { d: (t: string) => string }, safe: boolean): string {
  if ('d' in c) return c.d(JSON.stringify(baseRecord(ID, CG)));
  let raw: unknown = 'v' in c ? expand(c.v) : mutate(baseRecord(ID, CG), c.m);
  if (safe) raw = defang(raw, CG);
  try {
    return JSON.stringify(raw) ?? 'null';
  } catch {
    return '[deep]'; // a value JSON cannot write (too deep): skip to something parseable
  }
}

test('fuzz: state and list read any state file without a JS error', () => {
  // A second, healthy container: list must keep showing it whatever the fuzzed one holds.
  fs.mkdirSync(path.join(root, 'healthy'), { recursive: true });
  fs.writeFileSync(path.join(root, 'healthy', 'state.json'), JSON.stringify({ ...baseRecord('healthy', CG), id: 'healthy' }));
  fc.assert(
    fc.property(cases, (c) => {
      writeState(stateText(c, false));
      try {
        const rec = loadRecord(root, ID);
        assert.ok(rec !== undefined);
        const st = containerState(root, ID);
        assert.equal(st.id, ID);
        assert.ok(['creating', 'created', 'running', 'stopped', 'paused'].includes(st.status));
      } catch (err) {
        expectCleanError(err, 'state of a fuzzed state file');
      }
      const listed = listStates(root);
      assert.ok(listed.some((s) => s.id === 'healthy'), 'the healthy container is still listed');
    }),
    fuzzParams(600),
  );
});

test('fuzz: kill and delete of a fuzzed (defanged) state file give a clean result', async () => {
  await fc.assert(
    fc.asyncProperty(cases, fc.boolean(), async (c, force) => {
      writeState(stateText(c, true));
      for (const act of [() => killContainer(root, ID, 0, false), () => killContainer(root, ID, 0, true)]) {
        try {
          act();
        } catch (err) {
          expectCleanError(err, 'kill of a fuzzed state file');
        }
      }
      try {
        await deleteContainer(root, ID, force);
        assert.ok(!fs.existsSync(path.join(root, ID)), 'a successful delete removed the container');
      } catch (err) {
        expectCleanError(err, 'delete of a fuzzed state file');
      }
      fs.rmSync(path.join(root, ID), { recursive: true, force: true });
    }),
    fuzzParams(300),
  );
});

test('regressions: a damaged state file cannot make delete or kill act on the host', () => {
  const cases: Array<[string, (r: Record<string, any>) => void, RegExp]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any -- patches any field
    ['the root cgroup (kill --all would signal every process)', (r) => { r.cgroup.path = '/'; }, /cgroup path/],
    ['.. in the cgroup path', (r) => { r.cgroup.path = '/a/../..'; }, /cgroup path/],
    ['a created dir outside the cgroup (delete would rmdir it)', (r) => { r.cgroup.created = ['/etc']; }, /is not the container's/],
    ['a hierarchy that is not a cgroup file system', (r) => { r.cgroup.hierarchies[0].mountpoint = '/tmp'; }, /not a cgroup file system/],
    ['hooks of the wrong shape (was a TypeError in delete)', (r) => { r.hooks = { poststop: 'x' }; }, /hooks/],
    ['a pid that is not a number', (r) => { r.pid = '1'; }, /pid/],
  ];
  for (const [what, patch, want] of cases) {
    const rec = baseRecord(ID, CG) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (rec.cgroup === undefined && what.includes('cgroup')) continue; // no cgroup file system here
    patch(rec);
    writeState(JSON.stringify(rec));
    assert.throws(() => loadRecord(root, ID), (err: unknown) => {
      const e = expectCleanError(err, what);
      assert.match(e.message, /invalid state file for container fuzzed/, what);
      assert.match(e.message, want, what);
      return true;
    });
  }
  writeState('['.repeat(200_000));
  assert.throws(() => loadRecord(root, ID), /invalid state file for container fuzzed: not valid JSON/);
  fs.rmSync(path.join(root, ID), { recursive: true, force: true });
});

test('state and list skip the cgroup mount check; any write path still makes it', () => {
  const rec = baseRecord(ID, CG) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (rec.cgroup === undefined) return; // no cgroup file system here
  rec.cgroup.hierarchies[0].mountpoint = '/tmp';
  writeState(JSON.stringify(rec));
  const readOnly = loadRecord(root, ID, { cgroupMounts: false })!;
  assert.equal(readOnly.id, ID);
  assert.throws(() => checkCgroupMounts(readOnly), /"\/tmp" is not a cgroup file system/);
  assert.throws(() => loadRecord(root, ID), /not a cgroup file system/);
  fs.rmSync(path.join(root, ID), { recursive: true, force: true });
});
