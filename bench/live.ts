// `npm run bench:live`: N graphql-ws subscribers (default 15,000) on one gateway process, a story
// published every second for a minute; reports commit-to-receipt latency p50/p99/max, deliveries
// (must equal subscribers × stories), the publish mutation's own answer time, gateway CPU per
// 1,000 deliveries and memory per connection. The subscribers live in several forked client
// processes (bench/lib/live-clients.ts), each on its own loopback source address (127.0.0.11,
// .12, …): no process holds all the sockets, and no source address runs out of ephemeral ports.
// Loopback only; everything it starts is stopped at the end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import {
  benchDir,
  coreBusyPercent,
  hasCommand,
  installCleanupHandlers,
  log,
  readCoreTimes,
  readCpuSeconds,
  readRss,
  repoRoot,
  sleep,
  spawnOwned,
  stopChild,
} from './lib/common.js';
import { demoDatabase, publishStory } from './lib/demo.js';
import { formatProfile, summariseProfile } from './lib/profile.js';
import { cpuBetween, gcBetween, storyTimelines, summariseTimelines } from './lib/live-timeline.js';
import type { ClientsJob, ClientsMessage, ClientsReport } from './lib/live-clients.js';
import { startServer } from './lib/server.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '15000' },
    stories: { type: 'string', default: '60' },
    interval: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '6' },
    /** The subscribers' WebSocket client: `raw` (net's onread and the frames parsed here) or `ws`. */
    client: { type: 'string', default: 'raw' },
    /** WS_KEEPALIVE_MS for the gateway; unset = its default. */
    'keepalive-ms': { type: 'string' },
    'connect-batch': { type: 'string', default: '50' },
    /** Extra node flags for the gateway, space-separated, given with `=` (`--node-flags=--single-threaded-gc`), to weigh V8 settings. */
    'node-flags': { type: 'string' },
    label: { type: 'string' },
    /** The bench database (made afresh, dropped at the end): another name lets two runs go side by side. */
    database: { type: 'string', default: 'newsroom_live_bench' },
    'no-pin': { type: 'boolean', default: false },
    /** The gateway runs under node --cpu-prof; where its CPU went is printed at the end. */
    profile: { type: 'boolean', default: false },
  },
});
const subscribers = Number(values.subscribers);
const stories = Number(values.stories);
const intervalMs = Number(values.interval);
const workerCount = Math.max(1, Math.min(Number(values.workers), subscribers));
const DATABASE = values.database;
const query = `subscription { storiesPublished { eventId article { slug headline publishedAt section { name } } } }`;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

type Worker = { child: ChildProcess; messages: ClientsMessage[]; waiters: (() => void)[] };

function forkClients(pin: boolean): Worker {
  const entry = path.join(benchDir, 'lib', 'live-clients.ts');
  const node = [process.execPath, '--import', 'tsx', entry];
  // The clients share core 1 with the bench process; the gateway has core 0.
  const [command, ...args] = pin ? ['taskset', '-c', '1', ...node] : node;
  const child = spawnOwned(command!, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const worker: Worker = { child, messages: [], waiters: [] };
  child.on('message', (message: ClientsMessage) => {
    worker.messages.push(message);
    for (const wake of worker.waiters.splice(0)) wake();
  });
  child.on('exit', () => {
    for (const wake of worker.waiters.splice(0)) wake();
  });
  return worker;
}

async function nextMessage<T extends ClientsMessage['type']>(worker: Worker, type: T): Promise<Extract<ClientsMessage, { type: T }>> {
  for (;;) {
    const found = worker.messages.find((m) => m.type === type);
    if (found) return found as Extract<ClientsMessage, { type: T }>;
    if (worker.child.exitCode !== null || worker.child.signalCode !== null)
      throw new Error(`a client process exited before its ${type} message`);
    await new Promise<void>((resolve) => worker.waiters.push(resolve));
  }
}

async function main() {
  installCleanupHandlers();
  // Pinned: the gateway on core 0, clients on core 1. --no-pin when the machine is shared and
  // busy, so that a crowded core 0 does not starve the gateway.
  const pin = !values['no-pin'] && hasCommand('taskset');
  const profileDir = values.profile ? mkdtempSync(path.join(tmpdir(), 'live-profile-')) : undefined;
  // The gateway's side of each story's timeline (live-timeline.ts).
  const traceFile = path.join(mkdtempSync(path.join(tmpdir(), 'live-trace-')), 'trace.jsonl');
  log(`preparing ${DATABASE} (demo newsroom)`);
  const demo = await demoDatabase(DATABASE);
  const server = await startServer('gateway', {
    env: {
      DATABASE_URL: demo.url,
      SCHEDULER_INTERVAL_MS: '0',
      POPULARITY_REFRESH_MS: '0',
      SUBSCRIPTIONS_PER_CONNECTION: '5',
      // The front door stays on for every message, with limits that admit the bench: every
      // subscriber may come from one address (WEBSOCKETS_PER_CLIENT), and each subscribe
      // message is one operation off that address's budget (RATE_LIMIT_PER_MINUTE).
      WEBSOCKETS_PER_CLIENT: String(subscribers + 100),
      RATE_LIMIT_PER_MINUTE: String(subscribers * 2 + 1000),
      LIVE_TRACE_FILE: traceFile,
      // The gateway's default (12 s) unless --keepalive-ms says otherwise (to weigh the pings).
      ...(values['keepalive-ms'] ? { WS_KEEPALIVE_MS: values['keepalive-ms'] } : {}),
    },
    pin,
    cpuProfileDir: profileDir,
    nodeFlags: values['node-flags']?.split(/\s+/).filter(Boolean),
  });
  log(`gateway pid ${server.pid} at ${server.url}${pin ? ' (pinned to core 0; clients on core 1)' : ''}`);
  const before = readRss(server.pid)!.rssMb;

  // Each client process gets its own source address, its share of the subscribers.
  const workers = Array.from({ length: workerCount }, () => forkClients(pin));
  const openedAt = Date.now();
  const cpuAtStart = readCpuSeconds(server.pid)!;
  workers.forEach((worker, i) => {
    const count = Math.floor(subscribers / workerCount) + (i < subscribers % workerCount ? 1 : 0);
    const job: ClientsJob = {
      url: server.url.replace('http', 'ws'),
      count,
      localAddress: `127.0.0.${11 + i}`,
      query,
      batch: Number(values['connect-batch']),
      client: values.client === 'ws' ? 'ws' : 'raw',
    };
    worker.child.send({ type: 'start', job });
  });
  const connectedReports = await Promise.all(workers.map((w) => nextMessage(w, 'connected')));
  const connectedAt = Date.now();
  const connected = connectedReports.reduce((s, r) => s + r.connected, 0);
  const connectErrors = connectedReports.reduce((s, r) => s + r.errors, 0);
  const firstConnectError = connectedReports.find((r) => r.firstError)?.firstError;
  const connectCpuMs = (readCpuSeconds(server.pid)! - cpuAtStart) * 1000;
  log(
    `${connected} connections in ${((Date.now() - openedAt) / 1000).toFixed(1)} s${connectErrors ? `, ${connectErrors} errors (${firstConnectError})` : ''}`,
  );

  const sentAt = new Map<string, number>();
  const publishMs: number[] = [];
  const publish = async (headline: string) => {
    let sent = 0;
    const { slug } = await publishStory(server.url, demo, headline, (s) => {
      sent = Date.now();
      sentAt.set(s, sent);
    });
    return { slug, answeredMs: Date.now() - sent };
  };

  // A first story, not measured, proves every subscription is in place (graphql-ws does not
  // acknowledge a subscribe) and warms the code paths.
  const warm = await publish(`Live bench warm-up ${Date.now()}`);
  log(`warm-up story published (${warm.answeredMs} ms); waiting for every subscriber to receive it`);
  const settled = async (maxMs: number) => {
    await sleep(Math.min(maxMs, 3000));
    await server.waitIdle(maxMs);
  };
  await settled(30_000);
  const connectedRss = readRss(server.pid)!.rssMb;

  const cpuBefore = readCpuSeconds(server.pid)!;
  const coresBefore = readCoreTimes();
  const measured: string[] = [];
  const answered = new Map<string, number>();
  const publishErrors: string[] = [];
  const startedAt = Date.now();
  const loadAtStart = loadavg()[0]!;
  for (let n = 1; n <= stories; n += 1) {
    const due = startedAt + (n - 1) * intervalMs;
    await sleep(Math.max(0, due - Date.now()));
    try {
      const { slug, answeredMs } = await publish(`Live bench story ${n} ${Date.now()}`);
      measured.push(slug);
      answered.set(slug, answeredMs);
      publishMs.push(answeredMs);
      if (n % 10 === 0) log(`${n} stories published (last answered in ${answeredMs} ms)`);
    } catch (error) {
      // A failed publish is a miss, counted and reported, not the end of the run.
      publishErrors.push((error as Error).message.slice(0, 300));
    }
  }
  await settled(30_000);
  const measuredUntil = Date.now();
  const cpuSeconds = readCpuSeconds(server.pid)! - cpuBefore;
  const cores = coreBusyPercent(coresBefore, readCoreTimes());
  const peak = server.peakRssMb();

  for (const w of workers) w.child.send({ type: 'finish' });
  const reports = (await Promise.all(workers.map((w) => nextMessage(w, 'report')))) as ClientsReport[];
  await Promise.all(workers.map((w) => stopChild(w.child)));
  const serverLog = server.output.slice(-20);
  await server.stop();

  const latencies: number[] = [];
  let deliveries = 0;
  let warmDeliveries = 0;
  let unexpected = 0;
  const perStoryP99: number[] = [];
  const measuredSet = new Set(measured);
  for (const slug of measured) {
    const story: number[] = [];
    for (const report of reports) for (const at of report.receipts[slug] ?? []) story.push(at - sentAt.get(slug)!);
    deliveries += story.length;
    latencies.push(...story);
    story.sort((a, b) => a - b);
    perStoryP99.push(percentile(story, 99));
  }
  for (const report of reports) {
    warmDeliveries += report.receipts[warm.slug]?.length ?? 0;
    for (const slug of Object.keys(report.receipts)) if (slug !== warm.slug && !measuredSet.has(slug)) unexpected += 1;
  }
  const timelines = storyTimelines(
    traceFile,
    measured.map((slug) => ({ slug, sentAt: sentAt.get(slug)!, answeredMs: answered.get(slug)! })),
    reports,
  );
  const phases = summariseTimelines(timelines);
  // From the moment the gateway began reading the outbox after the commit (the publish's
  // transaction left out): the closest this bench comes to commit-to-receipt.
  const fromRead: number[] = [];
  measured.forEach((slug, i) => {
    const readBegan = timelines[i]?.readBegan;
    if (readBegan === undefined) return;
    for (const report of reports) for (const at of report.receipts[slug] ?? []) fromRead.push(at - sentAt.get(slug)! - readBegan);
  });
  fromRead.sort((a, b) => a - b);
  const gc = gcBetween(traceFile, startedAt, measuredUntil);
  // The first stories after the connections opened are often the slowest (a major GC of the
  // grown heap, the clients' own): the same quantiles without the first five show the steady state.
  const later = measured.slice(5).flatMap((slug) => reports.flatMap((r) => (r.receipts[slug] ?? []).map((at) => at - sentAt.get(slug)!)));
  later.sort((a, b) => a - b);
  const clientCpuMs = reports.reduce((sum, r) => sum + cpuBetween(r.cpu, startedAt, measuredUntil), 0);
  rmSync(path.dirname(traceFile), { recursive: true, force: true });
  const errors = reports.reduce((s, r) => s + r.errors, 0);
  const closed = reports.reduce((s, r) => s + r.closed, 0);
  const sorted = latencies.sort((a, b) => a - b);
  const sortedPublish = [...publishMs].sort((a, b) => a - b);
  const result = {
    date: new Date().toISOString(),
    label: values.label,
    node: process.version,
    subscribers,
    clientProcesses: workerCount,
    client: values.client,
    keepAliveMs: values['keepalive-ms'] ?? 'default',
    nodeFlags: values['node-flags'],
    connected,
    stories,
    intervalMs,
    published: measured.length,
    publishErrors: publishErrors.length,
    firstPublishError: publishErrors[0],
    expectedDeliveries: subscribers * stories,
    deliveries,
    warmUpDeliveries: warmDeliveries,
    unexpectedStories: unexpected,
    subscriptionErrors: errors,
    closedByServer: closed,
    firstError: reports.find((r) => r.firstError)?.firstError ?? firstConnectError,
    // From the moment the publish mutation was sent (before its transaction began, so an upper
    // bound of commit-to-receipt) to the moment a client process read the message.
    latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN },
    worstStoryP99Ms: Math.max(...perStoryP99),
    latencyAfterFirst5StoriesMs: { p50: percentile(later, 50), p90: percentile(later, 90), p99: percentile(later, 99) },
    fromOutboxReadMs: {
      p50: percentile(fromRead, 50),
      p90: percentile(fromRead, 90),
      p99: percentile(fromRead, 99),
      max: fromRead.at(-1) ?? NaN,
    },
    publishMutationMs: { p50: percentile(sortedPublish, 50), p99: percentile(sortedPublish, 99), max: sortedPublish.at(-1) },
    connectSeconds: (connectedAt - openedAt) / 1000,
    gatewayCpuMsPerConnection: connectCpuMs / Math.max(1, connected),
    gatewayCpuSeconds: cpuSeconds,
    gatewayCpuMsPer1000Deliveries: (cpuSeconds * 1000 * 1000) / Math.max(1, deliveries),
    // The client processes' CPU from the first story sent to the last settled, per 1,000 deliveries.
    clientCpuMsPer1000Deliveries: (clientCpuMs * 1000) / Math.max(1, deliveries),
    coresBusyPercent: cores,
    // The gateway's GC pauses over the measured minute and its settling, by kind.
    gcPauses: gc,
    // The machine's 1-minute load average when the measured minute began and ended (shared machine).
    loadAverage: [loadAtStart, loadavg()[0]!].map((l) => Math.round(l * 10) / 10),
    gatewayRssMb: { idle: before, connected: connectedRss, peak },
    memoryPerConnectionKb: ((connectedRss - before) * 1024) / Math.max(1, connected),
    pinned: pin,
    // Where each story's time went (ms after its publish was sent; live-timeline.ts): medians over stories.
    phases,
    timelines,
    serverLog,
  };
  const file = path.join(benchDir, 'results', `${result.date.slice(0, 10)}-live${values.label ? `-${values.label}` : ''}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify({ ...result, timelines: undefined, serverLog: undefined }, null, 2));
  const worst = [...timelines].sort((a, b) => b.receipt.p99 - a.receipt.p99).slice(0, 5);
  console.log('the five stories with the highest p99 (ms after the publish was sent):');
  for (const t of worst) console.log(JSON.stringify(t));
  log(`wrote ${path.relative(process.cwd(), file)}`);
  if (profileDir) {
    const summary = summariseProfile(profileDir, 25);
    if (summary) console.log(formatProfile(summary));
  }
  await demo.drop();
  if (deliveries !== subscribers * stories || errors || unexpected || publishErrors.length) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
