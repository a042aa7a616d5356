/**
 * The platform floor for benchmarks: a hello world built exactly like dist/oci-ts (same esbuild
 * flags, same SEA config with useCodeCache and the same assets, same stripped node base), so
 * `dist/hello` costs what any Node 20 single executable costs to start and exit on this machine.
 * It accepts and ignores any arguments (bench scripts call it like a runtime) and exits 0.
 */
import { writeSync } from 'node:fs';

try {
  writeSync(1, 'hello from the Node single-executable floor\n');
} catch {
  /* stdout closed: nothing to say */
}
