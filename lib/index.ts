/**
 * oci-ts as a library: `require('oci-ts')` / `import ... from 'oci-ts'`.
 *
 *   const { Runtime, defaultSpec, validateConfig, OciError } = require('oci-ts');
 *   const rt = new Runtime({ root: '/run/my-app' });
 *   await rt.create('c1', { bundle: '/path/to/bundle' });
 *   await rt.start('c1');
 *
 * Everything here is the code the `oci-ts` command runs (the CLI verbs are thin wrappers over
 * lib/container, lib/spec and lib/plan). Errors are OciError: `message` is runc's text,
 * `pointer` the JSON pointer of the config field at fault, `kind` the class of error.
 * See docs/library.md.
 */

// ---- OCI types (runtime-spec 1.3.0; the JSON schemas in schemas/ are the reference)
export type {
  Spec, Spec as Config, Process, User, Capabilities, Rlimit, Scheduler, Root, Mount, Hook, Hooks, IdMapping,
  Namespace, NamespaceType, Device, DeviceRule, Resources, Linux, IntelRdt, MemoryPolicy, Seccomp, Features, State,
} from './spec/types';

// ---- errors
export { OciError, type ErrorKind } from './errors';

// ---- config documents
export { validateConfig, validateProcess, validateState, validateFeatures } from './spec/validate';
export { defaultSpec, DEFAULT_OCI_VERSION, type DefaultSpecOptions } from './spec/default-spec';
export { features } from './features';
export { VERSION as version } from './version';

// ---- the runtime
export {
  Runtime, type RuntimeOptions, type CreateOptions, type RunOptions, type ExecOptions, type KillOptions, type DeleteOptions, type WaitOptions,
  type Signal,
} from './api/runtime';

// ---- plan (what create would do) and doctor (what works on this host)
export { planBundle, type PlanBundleOptions } from './api/plan';
export {
  describePlan, formatPlanText, formatPlanJson, msFlagNames, mountOptionWords, cloneFlagNames,
  type PlanDescription, type PlanStep, type MountDescription, type DeviceDescription, type HookDescription,
  type NamespaceDescription, type SeccompDescription, type CgroupPlan, type CgroupAction, type CapabilitySets,
} from './plan/describe';
export { runDoctor, diagnose, formatDoctorText, type DoctorReport, type Check, type CheckStatus, type DoctorHost } from './doctor';
