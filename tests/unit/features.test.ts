/**
 * `oci-ts features` claims no more than the code applies: every mount option it lists is one the
 * parser recognises (a flag, a propagation, a recursive attribute or an extension: never passed
 * through as filesystem data, never refused), and the options the parser refuses are not listed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { features } from '../../lib/features';
import { parseMountOptions, supportedMountOptions } from '../../lib/plan/mount-options';

test('every listed mount option parses to an effect, none to data', () => {
  const listed = features().mountOptions;
  assert.deepEqual(listed, supportedMountOptions());
  assert.deepEqual(listed, [...listed].sort(), 'sorted');
  assert.equal(new Set(listed).size, listed.length, 'no duplicates');
  for (const opt of listed) {
    const o = parseMountOptions([opt], '/mounts/0');
    assert.deepEqual(o.data, [], `${opt} is recognised, not filesystem data`);
  }
});

test('tmpcopyup, idmap and ridmap are listed and parsed; idmapped mounts and netDevices are claimed', () => {
  const f = features();
  const listed = f.mountOptions;
  assert.ok(listed.includes('tmpcopyup'));
  assert.equal(parseMountOptions(['tmpcopyup'], '/mounts/0').copyUp, true);
  for (const opt of ['idmap', 'ridmap']) {
    assert.ok(listed.includes(opt), `${opt} is claimed`);
    assert.deepEqual(parseMountOptions([opt], '/mounts/0').idmap, { recursive: opt === 'ridmap', pointer: '/mounts/0/options/0' });
  }
  assert.equal(f.linux.mountExtensions.idmap.enabled, true);
  assert.equal(f.linux.netDevices.enabled, true);
  // An unknown word is filesystem data (mode=755, size=...), which features does not list.
  assert.deepEqual(parseMountOptions(['mode=755'], '/mounts/0').data, ['mode=755']);
  assert.ok(!listed.includes('mode=755'));
});
