// `--profile`: the server runs with node --cpu-prof; this summarises the .cpuprofile it writes on
// exit: self time by package (node_modules/<pkg>, the project's own files, node internals, GC)
// and the hottest functions. Profiling slows the server: such runs go to a "-profile" results file.
// Also the allocation sites of a sampling heap profile (bench/cpu.ts --heap-profile).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

type Profile = {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
};

export type ProfileSummary = { file: string; totalMs: number; packages: [string, number][]; functions: [string, number][] };

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node:internal';
  const own = /\/(src|bench|prisma)\/(.*)$/.exec(url);
  if (own) return `${own[1]}/${own[2].split('/')[0]}`;
  if (url.startsWith('wasm:')) return 'wasm';
  return url;
}

/** The main thread's profile: node writes one per thread (tsx's loader hooks run in another). */
export function summariseProfile(dir: string, top = 15): ProfileSummary | null {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return null;
  // CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile; the main thread is thread 0.
  const main = files.find((f) => f.split('.')[4] === '0') ?? files.sort().at(0)!;
  const file = path.join(dir, main);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    total += dt;
    packages.set(pkg, (packages.get(pkg) ?? 0) + dt);
    const name = `${functionName || '(anonymous)'} ${pkg}${url && !url.includes('node_modules') ? `:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + dt);
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { file, totalMs: total, packages: sorted(packages), functions: sorted(functions) };
}

export function formatProfile(summary: ProfileSummary): string {
  const pct = (ms: number) => `${((100 * ms) / summary.totalMs).toFixed(1).padStart(5)}%`;
  const busy = summary.totalMs - (summary.packages.find(([p]) => p === '(idle)')?.[1] ?? 0);
  return [
    `CPU profile ${summary.file} (${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy); self time by package:`,
    ...summary.packages.map(([name, ms]) => `  ${pct(ms)}  ${name}`),
    'hottest functions (self time):',
    ...summary.functions.map(([name, ms]) => `  ${pct(ms)}  ${name}`),
  ].join('\n');
}

type HeapNode = { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: HeapNode[] };

/** The heaviest allocation sites of a sampling heap profile (self bytes), by package and function, per request. */
export function formatAllocations(label: string, profile: { head: HeapNode }, requests: number, top = 25): string {
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    if (node.selfSize > 0) {
      const pkg = packageOf(url, functionName);
      const name = `${functionName || '(anonymous)'} ${pkg}${url ? `:${lineNumber + 1}` : ''}`;
      total += node.selfSize;
      packages.set(pkg, (packages.get(pkg) ?? 0) + node.selfSize);
      functions.set(name, (functions.get(name) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const kb = (bytes: number) => `${(bytes / 1024 / requests).toFixed(1)} KB`.padStart(10);
  const sorted = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `${label}: ${kb(total).trim()} allocated per request (sampled), by package:`,
    ...sorted(packages, 12).map(([name, bytes]) => `  ${kb(bytes)}  ${name}`),
    'by function (self bytes):',
    ...sorted(functions, top).map(([name, bytes]) => `  ${kb(bytes)}  ${name}`),
  ].join('\n');
}
