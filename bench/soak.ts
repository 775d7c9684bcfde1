// `npm run bench:soak`: holds mixed reads, writes and subscriptions against one gateway process
// for minutes (default 3) and checks for zero errors and flat memory. Loopback only; stops by
// itself; everything it starts is stopped at the end.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { operationDocument } from '../src/schema/operations.js';
import { benchDir, hasCommand, installCleanupHandlers, log, readRss, sleep } from './lib/common.js';
import { demoDatabase, editorCall, publishStory } from './lib/demo.js';
import { runLoad } from './lib/load.js';
import { startServer } from './lib/server.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    subscribers: { type: 'string', default: '500' },
    connections: { type: 'string', default: '8' },
  },
});
const durationS = Math.round(Number(values.minutes) * 60);
const subscribers = Number(values.subscribers);

async function main() {
  installCleanupHandlers();
  const demo = await demoDatabase('newsroom_soak');
  const server = await startServer('gateway', {
    env: { DATABASE_URL: demo.url, SCHEDULER_INTERVAL_MS: '1000', DATABASE_POOL_SIZE: '10' },
    pin: hasCommand('taskset'),
  });
  log(`gateway pid ${server.pid}; soaking for ${durationS} s with ${subscribers} subscribers`);

  // Subscribers: every published story must reach every one of them.
  let deliveries = 0;
  let subscriptionErrors = 0;
  const clients: Client[] = [];
  for (let i = 0; i < subscribers; i += 1) {
    const client = createClient({ url: server.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    clients.push(client);
    client.subscribe(
      { query: 'subscription { storiesPublished { eventId article { slug headline } } }' },
      { next: () => void (deliveries += 1), error: () => void (subscriptionErrors += 1), complete: () => {} },
    );
  }
  await sleep(3000);

  // Memory, sampled every 5 s.
  const rss: { t: number; mb: number }[] = [];
  const started = Date.now();
  const sampler = setInterval(() => {
    const sample = readRss(server.pid);
    if (sample) rss.push({ t: Math.round((Date.now() - started) / 1000), mb: sample.rssMb });
  }, 5000);

  // Writes: a story published every 2 s, a correction on it, reads recorded all the time.
  let published = 0;
  let writeErrors = 0;
  let firstWriteError: string | undefined;
  const writes = (async () => {
    for (let n = 1; Date.now() - started < durationS * 1000; n += 1) {
      try {
        const story = await publishStory(server.url, demo, `Soak story ${n} ${Date.now()}`);
        published += 1;
        if (n % 3 === 0) {
          await editorCall(server.url, demo.key, `mutation($id: ID!) { addCorrection(id: $id, text: "Soak correction.") { __typename } }`, {
            id: story.id,
          });
        }
        for (let r = 0; r < 10; r += 1) {
          const id = demo.articleIds[(n * 10 + r) % demo.articleIds.length];
          const response = await fetch(server.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: 'mutation($id: ID!) { recordRead(id: $id) }', variables: { id } }),
          });
          if (!response.ok) throw new Error(`recordRead HTTP ${response.status}`);
        }
      } catch (error) {
        writeErrors += 1;
        firstWriteError ??= (error as Error).message;
      }
      await sleep(2000);
    }
  })();

  // Reads: the sample page, a section front and the front page, anonymous (so partly cached).
  const requests = [
    {
      query: operationDocument('ArticlePage'),
      variables: { slug: 'china-tells-ai-leaders-to-avoid-us-travel', editionDate: '2025-03-01' },
    },
    { query: operationDocument('SectionFront'), variables: { slug: 'world' } },
    { query: operationDocument('FrontPage'), variables: {} },
  ].map((operation) => ({ method: 'POST' as const, body: JSON.stringify(operation) }));
  const reads = await runLoad({ url: server.url, requests, connections: Number(values.connections), durationS });
  await writes;
  clearInterval(sampler);
  await sleep(3000); // the last stories' deliveries
  const peak = server.peakRssMb();
  await Promise.all(clients.map((c) => c.dispose()));
  await server.stop();
  await demo.drop();

  // Flat memory: after warm-up (the first fifth), the last fifth averages within 15% of the second.
  const fifth = Math.max(1, Math.floor(rss.length / 5));
  const average = (xs: { mb: number }[]) => xs.reduce((sum, x) => sum + x.mb, 0) / Math.max(1, xs.length);
  const early = average(rss.slice(fifth, 2 * fifth));
  const late = average(rss.slice(-fifth));
  const growth = (late - early) / early;
  const result = {
    date: new Date().toISOString(),
    durationS,
    reads: {
      requests: reads.requests,
      rps: reads.rps,
      p50: reads.p50,
      p99: reads.p99,
      non2xx: reads.non2xx,
      errors: reads.errors + reads.timeouts,
      graphqlErrors: reads.graphqlErrors,
    },
    writes: { published, errors: writeErrors, firstError: firstWriteError },
    subscriptions: { subscribers, expectedDeliveries: subscribers * published, deliveries, errors: subscriptionErrors },
    memory: { earlyMb: early, lateMb: late, growthPercent: growth * 100, peakMb: peak, samples: rss },
  };
  const file = path.join(benchDir, 'results', `${result.date.slice(0, 10)}-soak.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const { samples: _samples, ...memory } = result.memory;
  console.log(JSON.stringify({ ...result, memory }, null, 2));
  const ok =
    reads.non2xx + reads.errors + reads.timeouts + reads.graphqlErrors === 0 &&
    writeErrors === 0 &&
    subscriptionErrors === 0 &&
    deliveries === subscribers * published &&
    growth < 0.15;
  log(ok ? 'soak passed: zero errors, every story delivered, memory flat' : 'soak FAILED: see the figures above');
  if (!ok) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
