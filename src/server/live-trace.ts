// LIVE_TRACE_FILE: a timeline of the live fan-out, for `npm run bench:live`. One JSON line per
// batch of story events read from the outbox, per shared execution's result fanned out (start,
// a time per slice of sockets, end) and per garbage-collection pause, times in epoch
// milliseconds with fractions, so that they line up with the bench clients' receipt times.
// Off (undefined) unless the variable is set; the lines are written synchronously, a few a second.
import { closeSync, openSync, writeSync } from 'node:fs';
import { PerformanceObserver, constants, performance, type PerformanceEntry } from 'node:perf_hooks';

export type FanOutTrace = {
  eventId: string | undefined;
  /** The shared execution's result arrived. */
  start: number;
  /** After each slice of subscribers (and the last), the time and subscribers handed so far. */
  slices: [at: number, handed: number][];
  /** When each slice after the first began (the event loop came back to the fan-out). */
  resumed: number[];
  /** The process's CPU when the fan-out began (process.cpuUsage, µs); the line has its user and system µs over the fan-out. */
  cpu: NodeJS.CpuUsage;
  /** Written straight to sockets / pushed through graphql-ws. */
  direct: number;
  pushed: number;
};

export type LiveTrace = {
  now(): number;
  eventsRead(ids: number[], startedAt: number): void;
  fanOut(trace: FanOutTrace): void;
  close(): void;
};

const gcKinds: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export function createLiveTrace(file: string | undefined): LiveTrace | undefined {
  if (!file) return undefined;
  const fd = openSync(file, 'a');
  const now = () => performance.timeOrigin + performance.now();
  const line = (record: object) => writeSync(fd, `${JSON.stringify(record)}\n`);
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      line({
        kind: 'gc',
        at: performance.timeOrigin + entry.startTime,
        ms: entry.duration,
        gc: gcKinds[entry.detail?.kind ?? -1] ?? String(entry.detail?.kind),
      });
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  return {
    now,
    eventsRead: (ids, startedAt) => line({ kind: 'read', ids, startedAt, at: now() }),
    fanOut: ({ cpu, ...trace }) => {
      const used = process.cpuUsage(cpu);
      line({ kind: 'fanout', ...trace, end: now(), userUs: used.user, systemUs: used.system });
    },
    close() {
      gc.disconnect();
      closeSync(fd);
    },
  };
}
