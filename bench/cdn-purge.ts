// `npm run bench:cdn-purge`: purge lag through a real Varnish. A gateway (PostgreSQL, demo
// newsroom, CDN_PURGE=varnish) behind varnishd with deploy/varnish/default.vcl; every article page
// is cached at the edge, then corrections are published through the gateway:
//   - sequential: one correction at a time (--sequential, default 200, --interval ms apart),
//     each followed by reads through Varnish until the page shows it;
//   - burst: --burst corrections (default 100) by ten editors at once.
// Reports, per story event, the lag from its commit (StoryEvent.createdAt, the database's clock
// on this machine) to the Varnish PURGE answered (seen by a recording relay between the gateway
// and Varnish), p50/p99/max; and, sequentially, from the mutation's answer to the first read
// through Varnish that shows the correction. Loopback only; everything it starts is stopped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { benchDir, hasCommand, installCleanupHandlers, log, sleep, spawnOwned, stopChild } from './lib/common.js';
import { demoDatabase, editorCall } from './lib/demo.js';
import { startServer } from './lib/server.js';
import { varnishArgs } from '../test/varnish.js';

const { values } = parseArgs({
  options: {
    sequential: { type: 'string', default: '200' },
    interval: { type: 'string', default: '50' },
    burst: { type: 'string', default: '100' },
  },
});
const DATABASE = 'newsroom_cdn_purge_bench';
const VARNISHD = '/usr/sbin/varnishd';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
};

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const correct = `mutation($id: ID!, $text: String!) { addCorrection(id: $id, text: $text) { __typename ... on Error { message } } }`;

async function main() {
  installCleanupHandlers();
  log(`preparing ${DATABASE} (demo newsroom)`);
  const demo = await demoDatabase(DATABASE);
  const db = new pg.Client({ connectionString: demo.url });
  await db.connect();
  const articles = (await db.query<{ id: number; slug: string }>(`SELECT id, slug FROM "Article" WHERE status = 'PUBLISHED' ORDER BY id`))
    .rows;

  // The relay: the gateway's PURGEs go through it to Varnish; it notes when Varnish answered each.
  const varnishPort = await freePort();
  const purges: { at: number; keys: Set<string> }[] = [];
  const relay = createServer((req, res) => {
    req.resume();
    fetch(`http://127.0.0.1:${varnishPort}/`, {
      method: req.method,
      headers: { 'xkey-purge': String(req.headers['xkey-purge'] ?? '') },
    }).then(
      async (answer) => {
        await answer.arrayBuffer();
        purges.push({ at: Date.now(), keys: new Set(String(req.headers['xkey-purge']).split(' ')) });
        res.writeHead(answer.status).end();
      },
      () => res.writeHead(502).end(),
    );
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`;

  const pin = hasCommand('taskset');
  const gateway = await startServer('gateway', {
    env: {
      DATABASE_URL: demo.url,
      DATABASE_RESERVED_POOL_SIZE: '10',
      SCHEDULER_INTERVAL_MS: '0',
      POPULARITY_REFRESH_MS: '0',
      CDN_PURGE: 'varnish',
      VARNISH_PURGE_URLS: relayUrl,
    },
    pin,
  });
  const gatewayPort = new URL(gateway.url).port;
  const work = mkdtempSync(path.join(tmpdir(), 'newsroom-varnish-bench-'));
  const varnish = spawnOwned(VARNISHD, await varnishArgs({ work, listenPort: varnishPort, gatewayPort, storage: '256m' }), {
    stdio: 'ignore',
  });
  const edge = `http://127.0.0.1:${varnishPort}`;
  for (let ready = false; !ready; await sleep(100))
    ready = await fetch(`${edge}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
  log(`varnishd at ${edge} in front of ${gateway.url}`);

  const pageUrl = (slug: string) =>
    `${edge}/graphql?query=${encodeURIComponent('query($slug: String!) { article(slug: $slug) { slug headline corrections { text } } }')}&variables=${encodeURIComponent(JSON.stringify({ slug }))}`;
  const read = async (slug: string) => {
    const response = await fetch(pageUrl(slug), { headers: { 'graphql-preflight': '1' } });
    return { cache: response.headers.get('x-cache'), text: await response.text() };
  };
  // Every article page at the edge, so each purge removes something.
  for (const article of articles) {
    await read(article.slug);
    await read(article.slug);
  }
  log(`${articles.length} article pages cached at the edge`);

  const newestEvent = async () => Number((await db.query(`SELECT COALESCE(MAX(id), 0) AS id FROM "StoryEvent"`)).rows[0].id);
  const gid = (id: number) => Buffer.from(`Article:${id}`).toString('base64');

  // Sequential: one correction at a time, then reads through Varnish until it shows.
  const sequentialFrom = await newestEvent();
  const visibleMs: number[] = [];
  const mutationMs: number[] = [];
  const sequential = Number(values.sequential);
  for (let n = 0; n < sequential; n++) {
    const article = articles[n % articles.length]!;
    const text = `Sequential correction ${n} ${Date.now()}`;
    const started = Date.now();
    const result = await editorCall(gateway.url, demo.key, correct, { id: gid(article.id), text });
    if (result.__typename !== 'MutationAddCorrectionSuccess') throw new Error(`addCorrection: ${result.message}`);
    const answered = Date.now();
    mutationMs.push(answered - started);
    for (;;) {
      if ((await read(article.slug)).text.includes(text)) break;
      if (Date.now() - answered > 10_000) throw new Error(`correction ${n} not visible through Varnish after 10 s`);
    }
    visibleMs.push(Date.now() - answered);
    await read(article.slug); // cached again for the next round
    await sleep(Math.max(0, Number(values.interval) - (Date.now() - started)));
  }
  const sequentialTo = await newestEvent();

  // Burst: ten editors at once (the reserved pool is ten connections here), as fast as they can.
  const burst = Number(values.burst);
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      for (let n = next++; n < burst; n = next++)
        await editorCall(gateway.url, demo.key, correct, { id: gid(articles[n % articles.length]!.id), text: `Burst ${n}` });
    }),
  );
  const burstTo = await newestEvent();
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(50)) {
    // Events are purged in id order: the last one purged means all were.
    if ((await lagOf(db, purges, burstTo, burstTo)).length === 1) break;
  }

  const metrics = await fetch(gateway.url.replace('/graphql', '/metrics')).then((r) => r.text());
  const lagSum = Number(/newsroom_cdn_purge_lag_seconds_sum\{cdn="varnish"\} ([\d.e+-]+)/.exec(metrics)?.[1]);
  const lagCount = Number(/newsroom_cdn_purge_lag_seconds_count\{cdn="varnish"\} (\d+)/.exec(metrics)?.[1]);
  const batchKeys = Number(/newsroom_cdn_purge_batch_keys_sum\{cdn="varnish"\} ([\d.e+-]+)/.exec(metrics)?.[1]);
  const batchCount = Number(/newsroom_cdn_purge_batch_keys_count\{cdn="varnish"\} (\d+)/.exec(metrics)?.[1]);

  const sequentialLag = await lagOf(db, purges, sequentialFrom + 1, sequentialTo);
  const burstLag = await lagOf(db, purges, sequentialTo + 1, burstTo);
  await db.end();
  await stopChild(varnish);
  await gateway.stop();
  relay.close();
  rmSync(work, { recursive: true, force: true });
  await demo.drop();

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    varnish: 'varnishd 7 (Debian), deploy/varnish/default.vcl, xkey PURGE',
    database: 'PostgreSQL (demo newsroom)',
    cachedPages: articles.length,
    sequential: {
      corrections: sequential,
      intervalMs: Number(values.interval),
      commitToPurgeMs: summary(sequentialLag),
      mutationAnsweredToVisibleAtEdgeMs: summary(visibleMs),
      mutationMs: summary(mutationMs),
    },
    burst: { corrections: burst, editorsAtOnce: 10, commitToPurgeMs: summary(burstLag) },
    purgeRequests: purges.length,
    gatewayMetrics: {
      meanLagMs: (lagSum / lagCount) * 1000,
      events: lagCount,
      meanKeysPerRequest: batchKeys / batchCount,
      requests: batchCount,
    },
    pinnedToOneCore: pin,
    loadAverageAtEnd: loadavg()[0],
  };
  const file = path.join(benchDir, 'results', `${result.date.slice(0, 10)}-cdn-purge.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  log(`wrote ${path.relative(process.cwd(), file)}`);
  if (sequentialLag.length !== sequential || burstLag.length !== burst) {
    log(`purges seen for ${sequentialLag.length}/${sequential} sequential and ${burstLag.length}/${burst} burst events`);
    process.exitCode = 1;
  }
}

/** For each event from..to, ms from its commit to the first PURGE answered holding its article's key. */
async function lagOf(db: pg.Client, purges: { at: number; keys: Set<string> }[], from: number, to: number): Promise<number[]> {
  const events = (
    await db.query<{ articleId: number; createdAt: Date }>(`SELECT "articleId", "createdAt" FROM "StoryEvent" WHERE id BETWEEN $1 AND $2`, [
      from,
      to,
    ])
  ).rows;
  const lags: number[] = [];
  for (const event of events) {
    const committed = event.createdAt.getTime();
    const purge = purges.find((p) => p.at >= committed && p.keys.has(`Article:${event.articleId}`));
    if (purge) lags.push(purge.at - committed);
  }
  return lags;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
