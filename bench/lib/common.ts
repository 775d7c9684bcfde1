// Shared bits of the bench: paths, logging, the child-process registry (every child the bench
// starts is killed on exit, on errors and on SIGINT/SIGTERM) and small /proc readers.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const benchDir = fileURLToPath(new URL('../', import.meta.url));

export const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

// ── Children ────────────────────────────────────────────────────────────────────────────────────

const children = new Set<ChildProcess>();

/** Spawns a child the bench owns: it is killed when the bench exits, however it exits. */
export function spawnOwned(command: string, args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  const child = spawn(command, args, options);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function killAllNow() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

let handlersInstalled = false;
/** Kill owned children on exit, uncaught errors and SIGINT/SIGTERM. */
export function installCleanupHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping ${children.size} child process(es)`);
      killAllNow();
      process.exit(130);
    });
  }
}

// ── Machine ─────────────────────────────────────────────────────────────────────────────────────

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export const clockTicks = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** Peak and current resident set size of a process in MB (VmHWM, VmRSS), or null when gone. */
export function readRss(pid: number): { peakMb: number; rssMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far, or null when gone. */
export function readCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return null;
  }
}

/** Busy and total jiffies per core, from /proc/stat. */
export function readCoreTimes(): { busy: number; total: number }[] {
  try {
    return readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((line) => /^cpu\d+ /.test(line))
      .map((line) => {
        const v = line.trim().split(/\s+/).slice(1).map(Number);
        const idle = v[3] + (v[4] ?? 0);
        const total = v.reduce((a, b) => a + b, 0);
        return { busy: total - idle, total };
      });
  } catch {
    return [];
  }
}

/** Per-core busy percentages between two readCoreTimes() samples. */
export function coreBusyPercent(before: { busy: number; total: number }[], after: { busy: number; total: number }[]): number[] {
  return after.map((a, i) => {
    const b = before[i];
    if (!b) return Number.NaN;
    const total = a.total - b.total;
    return total > 0 ? Math.round((100 * (a.busy - b.busy)) / total) : Number.NaN;
  });
}

/** How busy the machine is right now (all cores, percent), sampled over `ms`. */
export async function machineBusyPercent(ms = 500): Promise<number> {
  const before = readCoreTimes();
  await new Promise((r) => setTimeout(r, ms));
  const after = readCoreTimes();
  const busy = after.reduce((s, a, i) => s + a.busy - (before[i]?.busy ?? 0), 0);
  const total = after.reduce((s, a, i) => s + a.total - (before[i]?.total ?? 0), 0);
  return total > 0 ? Math.round((100 * busy) / total) : Number.NaN;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GC pauses of one kind over a measured run (prom-client's default `nodejs_gc_duration_seconds`). */
export type GcPauses = { count: number; totalMs: number; over10ms: number; over100ms: number };
type GcCounters = Map<string, { count: number; sum: number; le10ms: number; le100ms: number }>;

/** A server's GC counters by kind from its /metrics (empty when it has none, e.g. PostGraphile). */
export async function readGcCounters(graphqlUrl: string): Promise<GcCounters> {
  const counters: GcCounters = new Map();
  try {
    const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
    const of = (kind: string) => {
      let c = counters.get(kind);
      if (!c) counters.set(kind, (c = { count: 0, sum: 0, le10ms: 0, le100ms: 0 }));
      return c;
    };
    for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} ([\d.e+-]+)/gm))
      of(m[2]!)[m[1] as 'sum' | 'count'] = Number(m[3]);
    for (const m of text.matchAll(/^nodejs_gc_duration_seconds_bucket\{le="(0\.01|0\.1)",kind="(\w+)"\} (\d+)/gm))
      of(m[2]!)[m[1] === '0.01' ? 'le10ms' : 'le100ms'] = Number(m[3]);
  } catch {
    // no metrics: no GC figures
  }
  return counters;
}

/** The pauses between two readings, by kind: to tell a latency tail's pauses from its queueing. */
export function gcPausesBetween(before: GcCounters, after: GcCounters): Record<string, GcPauses> | null {
  if (after.size === 0) return null;
  const zero = { count: 0, sum: 0, le10ms: 0, le100ms: 0 };
  return Object.fromEntries(
    [...after].map(([kind, a]) => {
      const b = before.get(kind) ?? zero;
      const count = a.count - b.count;
      return [
        kind,
        {
          count,
          totalMs: Math.round((a.sum - b.sum) * 1000),
          over10ms: count - (a.le10ms - b.le10ms),
          over100ms: count - (a.le100ms - b.le100ms),
        },
      ];
    }),
  );
}
