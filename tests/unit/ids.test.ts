import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { OciError } from '../../lib/errors';
import { CONTAINER_ID_MAX_LENGTH, containerIdProblem, isValidContainerId, validateContainerId } from '../../lib/spec/ids';

function errorOf(id: string): OciError {
  try {
    validateContainerId(id);
  } catch (err) {
    assert.ok(err instanceof OciError);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(id)} to be refused`);
}

describe('validateContainerId', () => {
  it('accepts the IDs engines use', () => {
    for (const id of [
      'a', 'c1', 'my_container', 'web-1', 'v1.2', 'a+b', '...', '.hidden', 'x..y',
      '4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9', // docker: 64 hex digits
      'k8s_POD_nginx_default_0123-4567_0', 'libpod-conmon-c0ffee',
    ]) {
      assert.doesNotThrow(() => validateContainerId(id), id);
      assert.equal(isValidContainerId(id), true, id);
    }
  });

  it('refuses characters outside [A-Za-z0-9_+.-], naming the ID', () => {
    for (const id of ['a/b', '../x', 'a b', 'tab\there', 'ü', 'a:b', 'x;rm', 'new\nline', 'a@b']) {
      assert.equal(errorOf(id).message, `invalid container ID format: ${JSON.stringify(id)}`, id);
    }
  });

  it('refuses . and .., which are not single path components of their own', () => {
    assert.equal(errorOf('.').message, 'invalid container ID format: "."');
    assert.equal(errorOf('..').message, 'invalid container ID format: ".."');
  });

  it('refuses the empty ID with runc\'s text', () => {
    assert.equal(errorOf('').message, 'container id cannot be empty');
  });

  it('caps the length at NAME_MAX, since the ID names a directory', () => {
    assert.equal(CONTAINER_ID_MAX_LENGTH, 255);
    assert.equal(containerIdProblem('x'.repeat(255)), undefined);
    assert.equal(errorOf('x'.repeat(256)).message, 'invalid container ID format: longer than 255 characters (256)');
  });

  it('is a usage error (exit status 2)', () => {
    const err = errorOf('a/b');
    assert.equal(err.kind, 'usage');
    assert.equal(err.exitCode, 2);
  });
});
