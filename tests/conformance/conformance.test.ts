/**
 * The runtime-agnostic conformance suite: every case under runc and under oci-ts, in the same
 * run, each compared with its config (see harness.ts for the result semantics, README.md for
 * how to run it and add a case). Ends with the pass counts of both runtimes.
 */
import { filesystemCases } from './cases/filesystem';
import { namespaceCases } from './cases/namespaces';
import { processCases } from './cases/process';
import { conformanceSuite } from './harness';

conformanceSuite('conformance', [...processCases, ...namespaceCases, ...filesystemCases]);
