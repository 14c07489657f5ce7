import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time of one bucket (a function or a package) in a V8 CPU profile. */
export interface ProfileShare {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Milliseconds the process was busy, idle excluded. */
  busyMs: number;
  idleMs: number;
  byArea: ProfileShare[];
  byFunction: ProfileShare[];
}

/** Names where a frame's code lives: a workspace package, an npm package, node itself, or V8's pseudo-frames. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const dependency = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency?.[1]) return dependency[1];
  const workspace = /\/(packages|apps)\/([^/]+)\//.exec(url);
  if (workspace?.[2]) return `${workspace[1]}/${workspace[2]}`;
  if (url.startsWith('node:')) return 'node core';
  return url.split('/').slice(-2).join('/');
}

/** Sums self time per area and per function; `top` bounds each list. */
export function summarizeCpuProfile(path: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let index = 0; index < samples.length; index++) {
    const id = samples[index] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[index + 1] ?? deltas[index] ?? 0));
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') {
      idleUs += frame.functionName === '(idle)' ? us : 0;
      if (frame.functionName === '(idle)') continue;
    }
    busyUs += us;
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const name = `${frame.functionName || '(anonymous)'} ${area}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const rank = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: busyUs > 0 ? (us / busyUs) * 100 : 0 }));
  return { busyMs: busyUs / 1000, idleMs: idleUs / 1000, byArea: rank(areas), byFunction: rank(functions) };
}
