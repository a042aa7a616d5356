/** The host facts the init planner needs, gathered from the live system. */
import * as fs from 'node:fs';
import type { CgroupManager } from '../cgroups/manager';
import type { CgroupView, HostView } from '../plan/init-plan';

export function hostView(cgroup: CgroupManager): HostView {
  const views: CgroupView[] = [];
  let cgroup2Source: string | undefined;
  for (const [key, dir] of Object.entries(cgroup.paths)) {
    if (cgroup.version === 'v2') {
      cgroup2Source = dir;
      continue;
    }
    const name = key.startsWith('name=') ? key.slice(5) : key;
    const links = name.includes(',') ? name.split(',') : [];
    views.push({ name, source: dir, links });
  }
  const view: HostView = { isDirectory: isHostDirectory, cgroupViews: views, cgroupProcs: cgroup.procsFiles() };
  if (cgroup2Source !== undefined) view.cgroup2Source = cgroup2Source;
  return view;
}

/** Is a bind source a directory? A missing source counts as one: mount reports it later. */
export function isHostDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return true;
  }
}
