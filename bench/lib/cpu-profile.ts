import { readFile } from 'node:fs/promises';

/** A V8 .cpuprofile (as `node --cpu-prof` and the inspector's Profiler.stop write it). */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Wall time covered by the profile, ms. */
  wallMs: number;
  /** Share of the wall time the thread was busy (not "(idle)"), 0..1. */
  busy: number;
  /** Self time by area (engine code, each dependency, GC, …), % of wall time, largest first. */
  byArea: { area: string; percent: number }[];
  /** Self time of the heaviest functions, % of wall time. */
  topFunctions: { fn: string; percent: number }[];
}

/** Which area a frame's code belongs to: a package under node_modules, a folder of ours, or V8/Node. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const ours = /\/(engine|connectors|transforms|channels|bench)\/(?:([^/]+)\/)?/.exec(url);
  if (ours) return ours[2] && !ours[2].includes('.') ? `${ours[1]}/${ours[2]}` : ours[1]!;
  return '(other)';
}

/** Self time by area and by function, from the profile at `file` (undefined when there is none). */
export async function summariseProfile(file: string): Promise<ProfileSummary | undefined> {
  let profile: CpuProfile;
  try {
    profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  } catch {
    return undefined;
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The probe's own Profiler.stop (serialising the profile) is not the engine's work: left out.
  const probe = (id: number): boolean => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur))
      if (byId.get(cur)!.callFrame.url.includes('bench/engine/cpu-probe')) return true;
    return false;
  };
  const selfUs = new Map<number, number>();
  let probeUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    if (probe(id)) probeUs += us;
    else selfUs.set(id, (selfUs.get(id) ?? 0) + us);
  });
  const wallUs = profile.endTime - profile.startTime - probeUs;
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const file = url.replace(/^.*?\/(node_modules|engine|connectors|transforms|bench)\//, '$1/');
    const short = url ? `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}` : functionName;
    fns.set(short, (fns.get(short) ?? 0) + us);
  }
  const pct = (us: number) => Number(((100 * us) / wallUs).toFixed(1));
  const top = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return {
    wallMs: Math.round(wallUs / 1000),
    busy: Number((1 - idle / wallUs).toFixed(3)),
    byArea: top(areas, 14).map(([area, us]) => ({ area, percent: pct(us) })),
    topFunctions: top(fns, 15).map(([fn, us]) => ({ fn, percent: pct(us) })),
  };
}
