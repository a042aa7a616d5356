/** `oci-ts doctor` as a library call: probe this host (read-only) and report. */
import { diagnose, type DoctorReport } from './checks';
import { realDoctorHost } from './host';

export { diagnose, formatDoctorText, parseKernelVersion, tomlSections, type Check, type CheckStatus, type DoctorHost, type DoctorReport } from './checks';
export { realDoctorHost } from './host';

/** Probe this host. `stateRoot` is the --root the runtime will use (default /run/oci-ts). */
export function runDoctor(opts: { stateRoot?: string } = {}): DoctorReport {
  return diagnose(realDoctorHost(opts));
}
