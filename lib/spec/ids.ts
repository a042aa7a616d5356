/**
 * Container IDs. runc's rule: one or more of the ASCII letters, digits, '_', '+', '-' and '.',
 * and the ID must stay a single path component ("." and ".." are refused). oci-ts also caps the
 * length at 255 bytes (NAME_MAX), because the ID names the container's state directory and a
 * longer one could only fail later with ENAMETOOLONG.
 *
 * The message keeps runc's text ("invalid container ID format") so that engines matching on it
 * still do, and adds the offending ID.
 */
import { usageError } from '../errors';

export const CONTAINER_ID_MAX_LENGTH = 255;

const ID_CHARS = /^[\w+\-.]+$/;

/** Why `id` is not a valid container ID, or undefined when it is. */
export function containerIdProblem(id: string): string | undefined {
  if (id === '') return 'container id cannot be empty';
  if (!ID_CHARS.test(id) || id === '.' || id === '..') return `invalid container ID format: ${JSON.stringify(id)}`;
  if (id.length > CONTAINER_ID_MAX_LENGTH) {
    return `invalid container ID format: longer than ${CONTAINER_ID_MAX_LENGTH} characters (${id.length})`;
  }
  return undefined;
}

export function isValidContainerId(id: string): boolean {
  return containerIdProblem(id) === undefined;
}

/** Throw a usage error (exit status 2) unless `id` is a valid container ID. */
export function validateContainerId(id: string): void {
  const problem = containerIdProblem(id);
  if (problem !== undefined) throw usageError(problem);
}
