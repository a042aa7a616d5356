/**
 * linux.netDevices at delete. A device moved into a network namespace the container created
 * goes back to the host (or is destroyed, if virtual) by the kernel when that namespace dies.
 * A namespace the container joined by path outlives it, so the device is moved back to the
 * runtime's namespace under its host name, as runc does.
 */
import type { Spec } from '../spec/types';

export async function returnNetDevices(spec: Spec | undefined): Promise<void> {
  const joined = spec?.linux?.namespaces?.find((n) => n.type === 'network' && (n.path ?? '') !== '');
  if (spec === undefined || joined === undefined) return;
  // Loaded only when there is something to return: every delete (and state, start, kill, through
  // lifecycle.ts) imports this module, and the planner and shim modules cost ~0.35 ms to load.
  const [{ planNetDevices }, { runShimPlan }] = await Promise.all([import('../plan/host-resources'), import('../shim/launch')]);
  const devices = planNetDevices(spec);
  if (devices.length === 0) return;
  await runShimPlan(devices.map((d) => ({ op: 'NETDEV_RETURN' as const, args: [joined.path!, d.newName === '' ? d.name : d.newName, d.name, d.pointer] })));
}
