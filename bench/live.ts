// `npm run bench:live`: N WebSocket subscribers (default 5,000) on one gateway process, a story
// published every second; reports publish-to-delivery latency p50/p99, deliveries (must equal
// subscribers × stories) and memory per connection. Loopback only; everything it starts is
// stopped at the end.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { benchDir, hasCommand, installCleanupHandlers, log, readRss, sleep } from './lib/common.js';
import { demoDatabase, publishStory } from './lib/demo.js';
import { startServer } from './lib/server.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '5000' },
    stories: { type: 'string', default: '10' },
    interval: { type: 'string', default: '1000' },
    'connect-batch': { type: 'string', default: '250' },
  },
});
const subscribers = Number(values.subscribers);
const stories = Number(values.stories);
const intervalMs = Number(values.interval);
const DATABASE = 'newsroom_live_bench';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main() {
  installCleanupHandlers();
  const pin = hasCommand('taskset');
  log(`preparing ${DATABASE} (demo newsroom)`);
  const demo = await demoDatabase(DATABASE);
  const server = await startServer('gateway', {
    env: { DATABASE_URL: demo.url, SCHEDULER_INTERVAL_MS: '0', SUBSCRIPTIONS_PER_CONNECTION: '5', DATABASE_POOL_SIZE: '10' },
    pin,
  });
  log(`gateway pid ${server.pid} at ${server.url}${pin ? ' (pinned to core 0; clients run on the other core)' : ''}`);
  const before = readRss(server.pid)!.rssMb;

  const sentAt = new Map<string, number>();
  /** How long the publish mutation itself took (its response, not the deliveries). */
  const publishMs: number[] = [];
  const latencies: number[] = [];
  let deliveries = 0;
  let errors = 0;
  const clients: Client[] = [];
  let acknowledged = 0;
  const query = `subscription { storiesPublished { eventId article { slug headline publishedAt section { name } } } }`;
  const batch = Number(values['connect-batch']);
  for (let i = 0; i < subscribers; i += batch) {
    const opened: Promise<void>[] = [];
    for (let j = i; j < Math.min(subscribers, i + batch); j += 1) {
      const client = createClient({ url: server.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
      clients.push(client);
      opened.push(
        new Promise<void>((resolve) => {
          const off = client.on('connected', () => {
            off();
            acknowledged += 1;
            resolve();
          });
          client.subscribe(
            { query },
            {
              next: (result) => {
                const slug = (result.data as any)?.storiesPublished?.article?.slug as string | undefined;
                const sent = slug ? sentAt.get(slug) : undefined;
                if (sent !== undefined) latencies.push(Date.now() - sent);
                deliveries += 1;
              },
              error: (error) => {
                errors += 1;
                if (errors === 1) log(`first subscription error: ${JSON.stringify(error instanceof Error ? error.message : error)}`);
                resolve();
              },
              complete: () => {},
            },
          );
        }),
      );
    }
    await Promise.all(opened);
  }
  // Subscriptions are set up right after the connection is acknowledged; give them a moment.
  await sleep(2000);
  const after = readRss(server.pid)!.rssMb;
  log(`${acknowledged} connections, gateway RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB`);

  const publish = async (n: number) => {
    let sent = 0;
    await publishStory(server.url, demo, `Live bench story ${n} ${Date.now()}`, (slug) => {
      sent = Date.now();
      sentAt.set(slug, sent);
    });
    publishMs.push(Date.now() - sent);
  };
  for (let n = 1; n <= stories; n += 1) {
    const started = Date.now();
    await publish(n);
    await sleep(Math.max(0, intervalMs - (Date.now() - started)));
  }
  const deadline = Date.now() + 15_000;
  while (deliveries < subscribers * stories && Date.now() < deadline) await sleep(100);
  const peak = server.peakRssMb();
  await Promise.all(clients.map((c) => c.dispose()));
  await server.stop();

  const sorted = [...latencies].sort((a, b) => a - b);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    subscribers,
    connected: acknowledged,
    stories,
    expectedDeliveries: subscribers * stories,
    deliveries,
    subscriptionErrors: errors,
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN },
    publishMutationMs: {
      p50: percentile(
        [...publishMs].sort((a, b) => a - b),
        50,
      ),
      max: Math.max(...publishMs),
    },
    gatewayRssMb: { idle: before, connected: after, peak },
    memoryPerConnectionKb: ((after - before) * 1024) / Math.max(1, acknowledged),
    pinnedToOneCore: pin,
  };
  const file = path.join(benchDir, 'results', `${result.date.slice(0, 10)}-live.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  log(`wrote ${path.relative(process.cwd(), file)}`);
  await demo.drop();
  if (deliveries !== subscribers * stories) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
