/**
 * Config fields that hand a host resource to the container, planned as shim ops:
 *
 *   linux.netDevices      a host network device moved into the container's network namespace
 *                         (NETLINK in the parent, NETDEV in the child; netlink.c in the shim)
 *   idmapped mounts       mounts[].uidMappings/gidMappings and the idmap/ridmap options: the shim
 *                         parent makes a detached, idmapped copy of the source (IDMAP_TREE) while
 *                         it is still the host's root, the child attaches it (MOUNT_TREE)
 *
 * Pure: only the config is read.
 */
import { configError } from '../errors';
import type { PlanOp } from '../shim/ops';
import { pointer } from '../spec/semantic';
import type { IdMapping, NamespaceType, Spec } from '../spec/types';
import { parseMountOptions, resolveSource } from './mount-options';

type Add = (op: PlanOp['op'], ...args: PlanOp['args']) => void;

export interface NetDevicePlan {
  name: string;       // on the host
  newName: string;    // in the container ('' = keep the name)
  pointer: string;
}

export function planNetDevices(spec: Spec): NetDevicePlan[] {
  return Object.entries(spec.linux?.netDevices ?? {}).map(([name, d]) => ({
    name, newName: d?.name ?? '', pointer: pointer('linux', 'netDevices', name),
  }));
}

/** mounts[] index -> IDMAP_TREE slot. */
export type IdmapSlots = Map<number, number>;

/** "containerID hostID size" lines, as /proc/<pid>/uid_map wants them. */
export function mapText(maps: readonly IdMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/**
 * IDMAP_TREE ops (parent phase) for every idmapped mount; the returned slots tell planMount to
 * attach them with MOUNT_TREE. The mapping is the mount's own uidMappings/gidMappings; with
 * only the idmap/ridmap option, the container's user namespace (its mappings, or the joined
 * namespace itself), as runc does.
 */
export function planIdmappedMounts(spec: Spec, bundle: string, fresh: ReadonlySet<NamespaceType>, add: Add): IdmapSlots {
  const slots: IdmapSlots = new Map();
  (spec.mounts ?? []).forEach((m, i) => {
    const uid = m.uidMappings ?? [];
    const gid = m.gidMappings ?? [];
    // Most mounts are not idmapped: their options are parsed once, by planMount.
    if (uid.length === 0 && gid.length === 0 && !(m.options ?? []).some((x) => x === 'idmap' || x === 'ridmap')) return;
    const at = `/mounts/${i}`;
    const o = parseMountOptions(m.options, at);
    const where = o.idmap?.pointer ?? `${at}/${uid.length > 0 ? 'uidMappings' : 'gidMappings'}`;
    const type = m.type ?? (o.bind ? 'bind' : '');
    if (!o.bind && type !== 'bind') throw configError('config.json', where, 'idmapped mounts are only supported for bind mounts');
    if ((uid.length === 0) !== (gid.length === 0)) {
      throw configError('config.json', `${at}/${uid.length === 0 ? 'uidMappings' : 'gidMappings'}`, 'uidMappings and gidMappings must be given together');
    }
    let uidText = mapText(uid);
    let gidText = mapText(gid);
    let usernsPath = '';
    if (uid.length === 0) {
      const joined = spec.linux?.namespaces?.find((n) => n.type === 'user' && (n.path ?? '') !== '');
      if (joined !== undefined) {
        usernsPath = joined.path!;
      } else if (fresh.has('user')) {
        uidText = mapText(spec.linux?.uidMappings ?? []);
        gidText = mapText(spec.linux?.gidMappings ?? []);
      } else {
        throw configError('config.json', where, 'needs uidMappings and gidMappings on the mount, or a user namespace for the container');
      }
    }
    const slot = slots.size;
    slots.set(i, slot);
    const source = resolveSource(m.source, bundle, `${at}/source`);
    add('IDMAP_TREE', slot, source, o.recursive ? 1 : 0, o.idmap?.recursive === true ? 1 : 0, uidText, gidText, usernsPath, at);
  });
  return slots;
}
