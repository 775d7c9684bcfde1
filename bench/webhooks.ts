// `npm run bench:webhooks`: webhook deliveries per second from one gateway process to 10
// endpoints, one of them dead. A fresh PostgreSQL database with the demo newsroom; the gateway
// runs as its own process (pinned to core 0 where `taskset` exists) with its default webhook
// settings (WEBHOOK_CONCURRENCY 16, WEBHOOK_TIMEOUT_MS 10 s, backoff from 30 s); the receivers run
// in this process and answer 204 at once, except the dead one: `--dead refuse` (nothing listens
// on its port) or `--dead hang` (accepts and never answers, so every attempt waits for the timeout).
//
// 1. Backlog: `--events` (1,000) story events are committed at once; measured from the first
//    commit to the last of the 9 live endpoints' deliveries: deliveries per second.
// 2. Steady: `--stories` (30) stories published through the API, `--interval` (200) ms apart;
//    latency from sending the publish mutation to each live receiver's delivery (p50, p99), and
//    the publish mutation's own time (it must not wait for webhooks).
// Every delivery is checked with `standardwebhooks` (signature) and for order per endpoint.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { openDatabase } from '../src/db/client.js';
import { createApiKey } from '../src/newsroom/auth.js';
import { noFollower, writeWithEvents } from '../src/newsroom/events.js';
import { benchDir, hasCommand, installCleanupHandlers, log, sleep } from './lib/common.js';
import { demoDatabase, editorCall, publishStory } from './lib/demo.js';
import { startServer } from './lib/server.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    stories: { type: 'string', default: '30' },
    interval: { type: 'string', default: '200' },
    dead: { type: 'string', default: 'refuse' },
  },
});
const backlog = Number(values.events);
const stories = Number(values.stories);
const intervalMs = Number(values.interval);
const deadMode = values.dead === 'hang' ? 'hang' : 'refuse';
const LIVE = 9;
const DATABASE = 'newsroom_webhooks_bench';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

type Receiver = { url: string; arrivals: Map<string, number>; order: string[]; bad: number; secret?: string; server: Server };

async function liveReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', arrivals: new Map(), order: [], bad: 0, server: undefined as never };
  receiver.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      const id = String(req.headers['webhook-id']);
      try {
        new Webhook(receiver.secret!).verify(Buffer.concat(chunks).toString(), req.headers as Record<string, string>);
      } catch {
        receiver.bad += 1;
      }
      if (!receiver.arrivals.has(id)) receiver.arrivals.set(id, now);
      receiver.order.push(id);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
  return receiver;
}

/** The dead endpoint's URL: a port nobody listens on, or one that accepts and never answers. */
async function deadUrl(): Promise<{ url: string; close(): void }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  if (deadMode === 'refuse') {
    await new Promise((resolve) => server.close(resolve));
    return { url, close() {} };
  }
  return {
    url,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function main() {
  installCleanupHandlers();
  const pin = hasCommand('taskset');
  log(`preparing ${DATABASE} (demo newsroom)`);
  const demo = await demoDatabase(DATABASE);
  const db = await openDatabase({ kind: 'postgres', url: demo.url, poolSize: 4 });
  const { key: adminKey } = await createApiKey(db.prisma, { name: 'bench admin', role: 'ADMIN' });
  const server = await startServer('gateway', {
    env: { DATABASE_URL: demo.url, SCHEDULER_INTERVAL_MS: '0', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' },
    pin,
  });
  log(`gateway pid ${server.pid} at ${server.url}${pin ? ' (pinned to core 0)' : ''}; dead endpoint: ${deadMode}`);

  const receivers = await Promise.all(Array.from({ length: LIVE }, liveReceiver));
  const dead = await deadUrl();
  for (const target of [...receivers.map((r) => r.url), dead.url]) {
    const created = await editorCall(
      server.url,
      adminKey,
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
        ... on MutationCreateWebhookEndpointSuccess { data { secret } } ... on Error { message } } }`,
      { input: { url: target, eventTypes: ['PUBLISHED', 'UPDATED', 'CORRECTED', 'UNPUBLISHED', 'EDITION_UPDATED'] } },
    );
    if (!created.data) throw new Error(`createWebhookEndpoint: ${created.message}`);
    const receiver = receivers.find((r) => r.url === target);
    if (receiver) receiver.secret = created.data.secret;
  }

  const waitFor = async (ids: string[], maxMs: number) => {
    const deadline = Date.now() + maxMs;
    while (receivers.some((r) => ids.some((id) => !r.arrivals.has(id)))) {
      if (Date.now() > deadline) throw new Error('deliveries did not all arrive in time');
      await sleep(5);
    }
  };

  // 1. Backlog.
  const articles = await db.prisma.article.findMany({ where: { status: 'PUBLISHED' }, select: { id: true, sectionId: true }, take: 20 });
  log(`committing ${backlog} events`);
  const cpuBefore = server.cpuSeconds() ?? 0;
  const started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < backlog; i += 100) {
    const batch = await writeWithEvents(
      { prisma: db.prisma, live: noFollower },
      async (_tx, append) => {
        const made = [];
        for (let j = i; j < Math.min(backlog, i + 100); j++) {
          const a = articles[j % articles.length]!;
          made.push(await append({ type: 'UPDATED', articleId: a.id, sectionId: a.sectionId }));
        }
        return made;
      },
      { timeout: 60_000 },
    ); // a busy machine may take more than Prisma's default 5 s for 100 appends
    ids.push(...batch.map((e) => String(e.id)));
  }
  const committed = performance.now();
  await waitFor(ids, 600_000);
  const backlogMs = Math.max(...receivers.map((r) => Math.max(...ids.map((id) => r.arrivals.get(id)!)))) - started;
  const perSecond = (LIVE * backlog) / (backlogMs / 1000);
  // The gateway's own CPU per delivery: what the figure would be on an idle core.
  const cpuMsPerDelivery = (((server.cpuSeconds() ?? 0) - cpuBefore) * 1000) / (LIVE * backlog);
  log(
    `backlog: ${LIVE * backlog} deliveries in ${Math.round(backlogMs)} ms = ${Math.round(perSecond)}/s (commit took ${Math.round(committed - started)} ms)`,
  );

  // 2. Steady publishing through the API.
  const latencies: number[] = [];
  const publishMs: number[] = [];
  const storyIds: string[] = [];
  const sentAt = new Map<number, number>();
  for (let i = 0; i < stories; i++) {
    const t0 = performance.now();
    const story = await publishStory(server.url, demo, `Webhook bench story ${i} ${Date.now()}`);
    publishMs.push(performance.now() - t0);
    const event = await db.prisma.storyEvent.findFirstOrThrow({
      where: { articleId: Number(Buffer.from(story.id, 'base64').toString().split(':')[1]), type: 'PUBLISHED' },
      orderBy: { id: 'desc' },
    });
    storyIds.push(String(event.id));
    sentAt.set(event.id, t0);
    await sleep(Math.max(0, intervalMs - (performance.now() - t0)));
  }
  await waitFor(storyIds, 120_000);
  for (const r of receivers) for (const id of storyIds) latencies.push(r.arrivals.get(id)! - sentAt.get(Number(id))!);
  latencies.sort((a, b) => a - b);
  publishMs.sort((a, b) => a - b);

  // Checks: every delivery signed right, each endpoint's events in order, the dead one still pending.
  const allIds = [...ids, ...storyIds].map(Number);
  const inOrder = receivers.every((r) => {
    const firsts = [...new Set(r.order)].map(Number).filter((id) => allIds.includes(id));
    return firsts.every((id, k) => k === 0 || id > firsts[k - 1]!);
  });
  const duplicates = receivers.reduce((sum, r) => sum + r.order.length - new Set(r.order).size, 0);
  const badSignatures = receivers.reduce((sum, r) => sum + r.bad, 0);
  const deadPending = await db.prisma.webhookDelivery.count({ where: { endpoint: { url: dead.url }, status: 'PENDING' } });
  const deadAttempts = await db.prisma.webhookDelivery.aggregate({ where: { endpoint: { url: dead.url } }, _sum: { attempts: true } });

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    database: 'postgresql',
    /** The machine's 1-minute load average at the end (2 cores here): other work competes for the CPU. */
    loadAverage: Number(loadavg()[0]!.toFixed(1)),
    deadEndpoint: deadMode,
    endpoints: LIVE + 1,
    backlog: {
      events: backlog,
      deliveries: LIVE * backlog,
      ms: Math.round(backlogMs),
      deliveriesPerSecond: Math.round(perSecond),
      gatewayCpuMsPerDelivery: Number(cpuMsPerDelivery.toFixed(2)),
    },
    steady: {
      stories,
      intervalMs,
      latencyMs: {
        p50: Math.round(percentile(latencies, 50)),
        p99: Math.round(percentile(latencies, 99)),
        max: Math.round(latencies.at(-1)!),
      },
      publishMutationMs: { p50: Math.round(percentile(publishMs, 50)), p99: Math.round(percentile(publishMs, 99)) },
    },
    checks: { inOrder, duplicates, badSignatures, deadPending, deadAttempts: deadAttempts._sum.attempts ?? 0 },
    gatewayPeakRssMb: server.peakRssMb(),
    gatewayCpuSeconds: server.cpuSeconds(),
  };
  console.log(JSON.stringify(result, null, 2));
  const file = path.join(benchDir, 'results', `${result.date.slice(0, 10)}-webhooks-${deadMode}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), file)}`);

  await server.stop();
  for (const r of receivers) r.server.close();
  dead.close();
  await db.close();
  await demo.drop();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
