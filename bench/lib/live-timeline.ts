// The timeline of each story in `npm run bench:live`: the gateway's side from its LIVE_TRACE_FILE
// (when it read the event from the outbox, when its fan-out began, a time per 500 sockets
// written, garbage-collection pauses) next to the publish mutation and the client processes'
// receipt times and CPU. It says where a story's tail comes from: the publish transaction, the
// fan-out's length, pauses, or client processes that read their sockets late.
import { readFileSync } from 'node:fs';
import type { ClientsReport } from './live-clients.js';

type Read = { kind: 'read'; ids: number[]; startedAt: number; at: number };
type FanOut = {
  kind: 'fanout';
  eventId?: string;
  start: number;
  end: number;
  slices: [number, number][];
  resumed: number[];
  direct: number;
  pushed: number;
  userUs: number;
  systemUs: number;
};
type Gc = { kind: 'gc'; at: number; ms: number; gc: string };

export type StoryTimeline = {
  story: number;
  eventId?: string;
  /** All in ms after the publish mutation was sent. */
  answered: number;
  readBegan?: number;
  read?: number;
  fanOutBegan?: number;
  /** The first 500 sockets written. */
  firstSlice?: number;
  lastWrite?: number;
  /** Time the fan-out waited between its slices (other work on the event loop). */
  betweenSlicesMs?: number;
  gcMs: number;
  gcMaxMs: number;
  receipt: { first: number; p50: number; p90: number; p99: number; max: number };
  /** Receipt quantile minus the time the same share of sockets had been written: the client side's delay. */
  clientDelay?: { p50: number; p90: number; p99: number };
  /** Client processes' CPU over [fan-out began, last receipt], in cores. */
  clientCores?: number;
  direct?: number;
  pushed?: number;
  /** The gateway's CPU per delivery from the fan-out's first write to its last (whatever ran between its slices included), µs. */
  fanOutUserUs?: number;
  fanOutSystemUs?: number;
};

const round = (n: number) => Math.round(n * 10) / 10;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** When `share` of the fan-out's sockets had been written (the end of the slice holding it). */
function writtenBy(fanOut: FanOut, share: number): number {
  const total = fanOut.slices.at(-1)?.[1] ?? 0;
  return (fanOut.slices.find(([, handed]) => handed >= share * total) ?? fanOut.slices.at(-1))?.[0] ?? NaN;
}

/** CPU ms a client process used between two times, from its 50 ms samples. */
export function cpuBetween(samples: [number, number][], from: number, to: number): number {
  const at = (t: number) => {
    // Linear between the samples around t.
    const i = samples.findIndex(([when]) => when >= t);
    if (i < 0) return samples.at(-1)?.[1] ?? 0;
    if (i === 0) return samples[0]![1];
    const [t0, c0] = samples[i - 1]!;
    const [t1, c1] = samples[i]!;
    return c0 + ((c1 - c0) * (t - t0)) / Math.max(1, t1 - t0);
  };
  return at(to) - at(from);
}

export function storyTimelines(
  traceFile: string,
  stories: { slug: string; sentAt: number; answeredMs: number }[],
  reports: ClientsReport[],
): StoryTimeline[] {
  const records = readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Read | FanOut | Gc);
  const reads = records.filter((r): r is Read => r.kind === 'read');
  const fanOuts = records.filter((r): r is FanOut => r.kind === 'fanout');
  const gcs = records.filter((r): r is Gc => r.kind === 'gc');
  return stories.map(({ slug, sentAt, answeredMs }, i) => {
    const eventId = reports.map((r) => r.eventIds[slug]).find(Boolean);
    const receipts = reports.flatMap((r) => r.receipts[slug] ?? []).sort((a, b) => a - b);
    const read = reads.find((r) => eventId && r.ids.includes(Number(eventId)));
    const fanOut = fanOuts.find((f) => f.eventId === eventId);
    const last = receipts.at(-1) ?? sentAt;
    const paused = gcs.filter((g) => g.at + g.ms >= (read?.startedAt ?? sentAt) && g.at <= last);
    const rel = (t: number | undefined) => (t === undefined ? undefined : round(t - sentAt));
    const receipt = {
      first: round((receipts[0] ?? NaN) - sentAt),
      p50: round(quantile(receipts, 0.5) - sentAt),
      p90: round(quantile(receipts, 0.9) - sentAt),
      p99: round(quantile(receipts, 0.99) - sentAt),
      max: round(last - sentAt),
    };
    const timeline: StoryTimeline = {
      story: i + 1,
      eventId,
      answered: answeredMs,
      readBegan: rel(read?.startedAt),
      read: rel(read?.at),
      gcMs: round(paused.reduce((s, g) => s + g.ms, 0)),
      gcMaxMs: round(Math.max(0, ...paused.map((g) => g.ms))),
      receipt,
    };
    if (fanOut) {
      Object.assign(timeline, {
        fanOutBegan: rel(fanOut.start),
        firstSlice: rel(fanOut.slices[0]?.[0]),
        lastWrite: rel(fanOut.slices.at(-1)?.[0]),
        betweenSlicesMs: round(fanOut.resumed.reduce((s, at, k) => s + (at - fanOut.slices[k]![0]), 0)),
        clientDelay: {
          p50: round(quantile(receipts, 0.5) - writtenBy(fanOut, 0.5)),
          p90: round(quantile(receipts, 0.9) - writtenBy(fanOut, 0.9)),
          p99: round(quantile(receipts, 0.99) - writtenBy(fanOut, 0.99)),
        },
        clientCores:
          Math.round((100 * reports.reduce((s, r) => s + cpuBetween(r.cpu, fanOut.start, last), 0)) / Math.max(1, last - fanOut.start)) /
          100,
        direct: fanOut.direct,
        pushed: fanOut.pushed,
        fanOutUserUs: round(fanOut.userUs / Math.max(1, fanOut.direct + fanOut.pushed)),
        fanOutSystemUs: round(fanOut.systemUs / Math.max(1, fanOut.direct + fanOut.pushed)),
      });
    }
    return timeline;
  });
}

/** Medians (and p90 over stories) of each phase, for the report. */
export function summariseTimelines(timelines: StoryTimeline[]) {
  const pick = (f: (t: StoryTimeline) => number | undefined) => {
    const values = timelines
      .map(f)
      .filter((v): v is number => v !== undefined && Number.isFinite(v))
      .sort((a, b) => a - b);
    return { median: quantile(values, 0.5), p90: quantile(values, 0.9), max: values.at(-1) ?? NaN };
  };
  return {
    publishAnswered: pick((t) => t.answered),
    eventRead: pick((t) => t.read),
    fanOutBegan: pick((t) => t.fanOutBegan),
    lastWrite: pick((t) => t.lastWrite),
    fanOutMs: pick((t) => (t.lastWrite ?? NaN) - (t.fanOutBegan ?? NaN)),
    betweenSlicesMs: pick((t) => t.betweenSlicesMs),
    gcMs: pick((t) => t.gcMs),
    receiptP50: pick((t) => t.receipt.p50),
    receiptP99: pick((t) => t.receipt.p99),
    clientDelayP50: pick((t) => t.clientDelay?.p50),
    clientDelayP99: pick((t) => t.clientDelay?.p99),
    clientCores: pick((t) => t.clientCores),
    fanOutUserUsPerDelivery: pick((t) => t.fanOutUserUs),
    fanOutSystemUsPerDelivery: pick((t) => t.fanOutSystemUs),
  };
}

/** Garbage-collection pauses on the gateway's main thread between two times (epoch ms): count and ms by kind. */
export function gcBetween(traceFile: string, from: number, to: number) {
  const byKind: Record<string, { count: number; ms: number; maxMs: number }> = {};
  for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
    if (!line) continue;
    const record = JSON.parse(line) as Read | FanOut | Gc;
    if (record.kind !== 'gc' || record.at < from || record.at > to) continue;
    const kind = (byKind[record.gc] ??= { count: 0, ms: 0, maxMs: 0 });
    kind.count += 1;
    kind.ms = round(kind.ms + record.ms);
    kind.maxMs = round(Math.max(kind.maxMs, record.ms));
  }
  return byKind;
}
