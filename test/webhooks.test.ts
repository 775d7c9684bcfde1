// Signed webhooks against real HTTP receivers on port 0: order per endpoint, retries with backoff,
// a receiver that hangs, one that is down for a while, one that never recovers (FAILED, then
// replayed), a sender killed mid-delivery whose successor sends the same webhook-id, two senders
// sharing the work, private targets refused. Every request is verified with `standardwebhooks`,
// the spec's reference implementation. Backoff and timeouts are milliseconds here (configurable).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { noFollower, writeWithEvents } from '../src/newsroom/events.js';
import { IDLE_TICKS, startWebhookSender, type WebhookSender, type WebhookSettings } from '../src/newsroom/webhook-sender.js';
import { createLogger } from '../src/logger.js';
import { metricsRegistry, observeWebhookAttempt } from '../src/server/observability.js';
import { createTestDatabase, createTestGateway, globalId, keyHeader, testConfig, type TestGateway } from './helpers.js';

type Received = { id: string; url: string; body: string; headers: Record<string, string> };
type Handler = (req: IncomingMessage, res: ServerResponse, received: Received) => void;

/** A receiver on port 0 (or a given one) that records every request and answers with `handler`. */
async function receiver(handler: Handler = (_req, res) => res.end('ok'), port = 0) {
  const requests: Received[] = [];
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = {
        id: String(req.headers['webhook-id']),
        url: req.url ?? '',
        body: Buffer.concat(chunks).toString(),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      };
      requests.push(received);
      held.add(res);
      res.on('close', () => held.delete(res));
      handler(req, res, received);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  servers.push(server);
  return {
    requests,
    port: address.port,
    url: `http://127.0.0.1:${address.port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const servers: Server[] = [];
const senders: WebhookSender[] = [];
let gw: TestGateway;
let admin: Record<string, string>;
let articleIds: number[];

const settings: WebhookSettings = {
  intervalMs: 20,
  // Receivers share the process with PGlite, which may hold the event loop for a while.
  timeoutMs: 3000,
  concurrency: 8,
  backoffBaseMs: 10,
  backoffMaxMs: 40,
  retryWindowMs: 3_600_000,
  allowPrivateTargets: true,
};

function sender(overrides: Partial<WebhookSettings> = {}) {
  const started = startWebhookSender({
    prisma: gw.db.prisma,
    logger: createLogger((process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent'),
    settings: { ...settings, ...overrides },
    siteUrl: 'https://news.example',
    observe: observeWebhookAttempt,
  });
  senders.push(started);
  return started;
}

/** Waits for a condition (no fixed sleeps): polls every 10 ms, fails after 45 s (a busy machine) with `what`. */
async function until<T>(what: string, check: () => T | Promise<T>): Promise<T> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Appends `count` PUBLISHED events through the outbox, as a publish does; returns their ids. */
async function publishEvents(count: number, type: 'PUBLISHED' | 'UPDATED' = 'UPDATED'): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const articleId = articleIds[i % articleIds.length]!;
    const article = await gw.db.prisma.article.findUniqueOrThrow({ where: { id: articleId } });
    const event = await writeWithEvents({ prisma: gw.db.prisma, live: noFollower }, (_tx, append) =>
      append({ type, articleId, sectionId: article.sectionId }),
    );
    ids.push(event.id);
  }
  return ids;
}

async function register(url: string, extra: Record<string, unknown> = {}) {
  const response = await gw.query(
    `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
      __typename ... on MutationCreateWebhookEndpointSuccess { data { secret endpoint { id url } } }
      ... on Error { message } } }`,
    { input: { url, eventTypes: ['PUBLISHED', 'UPDATED', 'CORRECTED', 'UNPUBLISHED'], ...extra } },
    admin,
  );
  expect(response.data?.createWebhookEndpoint.__typename, JSON.stringify(response)).toBe('MutationCreateWebhookEndpointSuccess');
  const { secret, endpoint } = response.data.createWebhookEndpoint.data;
  return { secret: secret as string, id: endpoint.id as string, dbId: Number(Buffer.from(endpoint.id, 'base64').toString().split(':')[1]) };
}

/** Every request verifies with the reference implementation (signature, timestamp tolerance). */
function verifyAll(secret: string, requests: Received[]) {
  const verifier = new Webhook(secret);
  for (const r of requests) expect(() => verifier.verify(r.body, r.headers)).not.toThrow();
}

/**
 * Ids a receiver answered 2xx, each once. At least once: on a busy machine an answer can miss the
 * sender's deadline and the event comes again, with the same id; never out of order.
 */
const answered = (rec: { requests: Received[] }, ok: Set<Received>) => [...new Set(rec.requests.filter((r) => ok.has(r)).map((r) => r.id))];

/** Order per endpoint: every request's event is the one before it or a later one, never an earlier one. */
function expectInOrder(rec: { requests: Received[] }) {
  const ids = rec.requests.map((r) => Number(r.id));
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
}

beforeAll(async () => {
  gw = createTestGateway(await createTestDatabase({ demo: true }), testConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }));
  admin = await keyHeader(gw.db, 'ADMIN');
  articleIds = (await gw.db.prisma.article.findMany({ where: { status: 'PUBLISHED' }, orderBy: { id: 'asc' }, take: 5 })).map((a) => a.id);
});

// Each test starts with no sender running and no endpoint registered, whatever the last one left.
afterEach(async () => {
  for (const s of senders.splice(0)) await s.stop();
  await gw.db.prisma.webhookEndpoint.deleteMany();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await gw?.db.dispose();
});

describe('webhooks', () => {
  it('sends each event in order to every endpoint: a failing one is retried, a hanging one and a dead one never delay the others', async () => {
    const ok = new Set<Received>();
    const good = await receiver((_req, res, r) => {
      ok.add(r);
      res.end('ok');
    });
    // Fails the first two attempts of every event, then takes it.
    const tries = new Map<string, number>();
    const flaky = await receiver((_req, res, r) => {
      const n = (tries.get(r.id) ?? 0) + 1;
      tries.set(r.id, n);
      if (n <= 2) return res.writeHead(503).end('busy');
      ok.add(r);
      res.end('ok');
    });
    // Hangs on its first request (the sender times out), answers later ones.
    let hung = false;
    const hanging = await receiver((_req, res, r) => {
      if (!hung) {
        hung = true;
        return; // never answers
      }
      ok.add(r);
      res.end('ok');
    });
    // Down: a port that was open and is closed now; it comes back on the same port later.
    const downPort = (await receiver()).port;
    await servers.at(-1)!.close();
    servers.pop();

    const endpoints = {
      good: await register(good.url),
      flaky: await register(flaky.url),
      hanging: await register(hanging.url),
      down: await register(`http://127.0.0.1:${downPort}/hook`),
    };
    const running = sender();
    const events = (await publishEvents(4)).map(String);

    // The good endpoint has everything while the others still fail, hang or are down.
    await until('the good receiver has every event', () => answered(good, ok).length === events.length);
    expect(answered(good, ok)).toEqual(events);
    expectInOrder(good);

    await until('the flaky receiver has every event', () => answered(flaky, ok).length === events.length);
    expect(answered(flaky, ok)).toEqual(events);
    // Each event was refused twice before it landed, and the next one was never sent before that.
    expectInOrder(flaky);
    for (const id of events) expect(flaky.requests.filter((r) => r.id === id).length).toBeGreaterThanOrEqual(3);

    await until('the hanging receiver has every event', () => answered(hanging, ok).length === events.length);
    expect(answered(hanging, ok)).toEqual(events);
    expectInOrder(hanging);
    expect(hanging.requests[0]!.id).toBe(events[0]); // the first attempt hung and was sent again

    // The dead endpoint's head delivery keeps failing with connection errors…
    await until('the dead endpoint was tried twice', async () => {
      const head = await gw.db.prisma.webhookDelivery.findFirst({ where: { endpointId: endpoints.down.dbId }, orderBy: { id: 'asc' } });
      return (head?.attempts ?? 0) >= 2;
    });
    // …until it is back on the same port: then everything arrives, in order.
    const back = await receiver((_req, res, r) => {
      ok.add(r);
      res.end('ok');
    }, downPort);
    await until('the receiver that was down has every event', () => answered(back, ok).length === events.length);
    expect(answered(back, ok)).toEqual(events);
    expectInOrder(back);

    for (const [name, rec] of [
      ['good', good],
      ['flaky', flaky],
      ['hanging', hanging],
      ['down', back],
    ] as const) {
      verifyAll(endpoints[name].secret, rec.requests);
    }

    // The stable payload: type, timestamp, identifiers only (never headline or body).
    const payload = JSON.parse(good.requests[0]!.body);
    const article = await gw.db.prisma.article.findUniqueOrThrow({ where: { id: articleIds[0]! } });
    expect(payload).toEqual({
      type: 'article.updated',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: {
        eventId: Number(events[0]),
        eventType: 'UPDATED',
        article: {
          id: globalId('Article', article.id),
          databaseId: article.id,
          slug: article.slug,
          url: `https://news.example/article/${article.slug}`,
        },
        section: expect.objectContaining({ databaseId: article.sectionId, id: globalId('Section', article.sectionId) }),
      },
    });
    expect(good.requests[0]!.headers['content-type']).toBe('application/json');

    // Listed through GraphQL: status, response code, latency, attempts (successes are recorded a page at a time).
    await until(
      "the flaky endpoint's deliveries are recorded",
      async () =>
        (await gw.db.prisma.webhookDelivery.count({ where: { endpointId: endpoints.flaky.dbId, status: 'DELIVERED' } })) === events.length,
    );
    const listed = await gw.query(
      `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { deliveries(first: 10) { totalCount edges { node {
        eventId status attempts responseStatus latencyMs lastError nextAttemptAt deliveredAt } } } } } }`,
      { id: endpoints.flaky.id },
      admin,
    );
    expect(listed.errors).toBeUndefined();
    const rows = listed.data.node.deliveries.edges.map((e: any) => e.node);
    expect(rows.map((r: any) => String(r.eventId))).toEqual([...events].reverse());
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'DELIVERED', responseStatus: 200, lastError: null, nextAttemptAt: null });
      expect(row.attempts).toBeGreaterThanOrEqual(3);
      expect(row.latencyMs).toBeGreaterThanOrEqual(0);
    }
    await running.stop();
    const metrics = await metricsRegistry.metrics();
    expect(metrics).toMatch(/newsroom_webhook_attempts_total\{outcome="delivered"\} \d+/);
    expect(metrics).toMatch(/newsroom_webhook_attempts_total\{outcome="retrying"\} \d+/);
    expect(metrics).toContain('newsroom_webhook_attempt_duration_seconds_bucket');
    await gw.db.prisma.webhookEndpoint.deleteMany();
  });

  it('a delivery whose retries ran out is FAILED, lets the next one go, and is replayed with the same webhook-id', async () => {
    let up = false;
    const ok = new Set<Received>();
    const rec = await receiver((_req, res, r) => {
      if (!up) return res.writeHead(500).end();
      ok.add(r);
      res.end();
    });
    const endpoint = await register(rec.url);
    // A retry window of 0: the first failure is the last (in production: 24 hours).
    const running = sender({ retryWindowMs: 0, timeoutMs: 30_000 });
    const [first] = (await publishEvents(1)).map(String);
    const failed = (await until('the delivery failed', () =>
      gw.db.prisma.webhookDelivery.findFirst({ where: { endpointId: endpoint.dbId, status: 'FAILED' } }),
    ))!;
    expect(failed).toMatchObject({ eventId: Number(first), attempts: 1, responseStatus: 500, lastError: 'HTTP 500' });

    // The queue moves on: the next event is sent (and, while still down, fails too).
    up = true;
    const [second] = (await publishEvents(1)).map(String);
    await until('the next event arrived', () => answered(rec, ok).includes(second!));

    const replay = await gw.query(
      `mutation($id: ID!) { replayWebhookDelivery(id: $id) { __typename
        ... on MutationReplayWebhookDeliverySuccess { data { status attempts nextAttemptAt } } ... on Error { message } } }`,
      { id: globalId('WebhookDelivery', failed.id) },
      admin,
    );
    expect(replay.data.replayWebhookDelivery).toMatchObject({
      __typename: 'MutationReplayWebhookDeliverySuccess',
      data: { status: 'PENDING', attempts: 0 },
    });
    await until('the replayed event arrived', () => answered(rec, ok).includes(first!));
    expect(rec.requests.filter((r) => r.id === first).length).toBe(2);
    verifyAll(endpoint.secret, rec.requests);

    // Only a FAILED delivery can be replayed: a typed error, nothing changed.
    const again = await gw.query(
      `mutation($id: ID!) { replayWebhookDelivery(id: $id) { __typename ... on Error { code message } } }`,
      { id: globalId('WebhookDelivery', failed.id) },
      admin,
    );
    expect(again.data.replayWebhookDelivery).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    await running.stop();
    await gw.db.prisma.webhookEndpoint.deleteMany();
  });

  it('a sender killed mid-delivery: the next one sends the same event again, same webhook-id, and it verifies', async () => {
    let first = true;
    const ok = new Set<Received>();
    const arrived: Received[] = [];
    const rec = await receiver((_req, res, r) => {
      arrived.push(r);
      if (first) {
        first = false;
        return; // the request is in flight when the sender dies
      }
      ok.add(r);
      res.end();
    });
    const endpoint = await register(rec.url);
    const dying = sender({ timeoutMs: 1000 }); // its lease runs out at most 4 s after it was taken
    const [event] = (await publishEvents(1)).map(String);
    await until('the first request arrived', () => arrived.length === 1);
    dying.kill(); // nothing more is written: the stored state is what a crash leaves

    const stored = await gw.db.prisma.webhookDelivery.findFirstOrThrow({ where: { endpointId: endpoint.dbId } });
    expect(stored).toMatchObject({ status: 'PENDING', attempts: 0 });

    // A successor (a restarted gateway) takes over once the dead one's lease has run out.
    sender({ timeoutMs: 30_000 }); // no answer misses this deadline, however busy the machine
    await until('the event arrived after the restart', () => answered(rec, ok).length === 1);
    expect(rec.requests.map((r) => r.id)).toEqual([event, event]);
    verifyAll(endpoint.secret, rec.requests);
    // The body is the same bytes; only the timestamp (and so the signature) is new.
    expect(rec.requests[1]!.body).toBe(rec.requests[0]!.body);
    await until(
      'recorded as delivered',
      async () => (await gw.db.prisma.webhookDelivery.findFirstOrThrow({ where: { endpointId: endpoint.dbId } })).status === 'DELIVERED',
    );
    for (const s of senders.splice(0)) await s.stop();
    await gw.db.prisma.webhookEndpoint.deleteMany();
  });

  it('two senders on one database share the work without sending anything twice', async () => {
    const rec = await receiver();
    const endpoints = [await register(rec.url), await register(`${rec.url}?second`)];
    // A deadline no answer misses, however busy the machine: any second request would be a double send.
    sender({ timeoutMs: 30_000 });
    sender({ timeoutMs: 30_000 });
    const events = (await publishEvents(12)).map(String);
    await until('every event reached both endpoints', () => rec.requests.length >= 2 * events.length);
    for (const s of senders.splice(0)) await s.stop();
    expect(rec.requests.length).toBe(2 * events.length);
    // Per endpoint (told apart by the query string's signature), in order and once each.
    for (const endpoint of endpoints) {
      const verifier = new Webhook(endpoint.secret);
      const mine = rec.requests.filter((r) => {
        try {
          verifier.verify(r.body, r.headers);
          return true;
        } catch {
          return false;
        }
      });
      expect(mine.map((r) => r.id)).toEqual(events);
    }
    await gw.db.prisma.webhookEndpoint.deleteMany();
  });

  it('endpoints filter by event type and section; a rotated secret signs alongside the old one', async () => {
    const rec = await receiver();
    const article = await gw.db.prisma.article.findUniqueOrThrow({ where: { id: articleIds[0]! } });
    const other = await gw.db.prisma.section.findFirstOrThrow({ where: { id: { not: article.sectionId } } });
    const inSection = await register(rec.url, { eventTypes: ['UPDATED'], section: globalId('Section', article.sectionId) });
    await register(`${rec.url}?other`, { eventTypes: ['UPDATED'], section: globalId('Section', other.id) });
    await register(`${rec.url}?published`, { eventTypes: ['PUBLISHED'] });
    const rotated = await gw.query(
      `mutation($id: ID!) { rotateWebhookSecret(id: $id) { ... on MutationRotateWebhookSecretSuccess { data { secret endpoint { secretPrefix previousSecretExpiresAt } } } } }`,
      { id: inSection.id },
      admin,
    );
    const newSecret = rotated.data.rotateWebhookSecret.data.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(inSection.secret);
    expect(rotated.data.rotateWebhookSecret.data.endpoint.previousSecretExpiresAt).not.toBeNull();

    sender({ timeoutMs: 30_000 }); // no answer misses this deadline, however busy the machine
    const [event] = (await publishEvents(1)).map(String); // UPDATED, in the article's section
    await until('the matching endpoint got it', () => rec.requests.length >= 1);
    for (const s of senders.splice(0)) await s.stop();
    expect(rec.requests.map((r) => [r.id, r.url])).toEqual([[event, '/hook']]);
    // Both secrets verify during the grace period (two signatures in the header).
    verifyAll(newSecret, rec.requests);
    verifyAll(inSection.secret, rec.requests);
    expect(rec.requests[0]!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    await gw.db.prisma.webhookEndpoint.deleteMany();
  });

  it('refuses private, loopback and link-local targets unless allowed: when registering, and at delivery (DNS)', async () => {
    const strict = createTestGateway(gw.db, testConfig());
    for (const url of [
      'http://127.0.0.1/x',
      'http://localhost:8080/x',
      'http://10.1.2.3/x',
      'http://169.254.169.254/latest',
      'http://[::1]/x',
      'http://192.168.0.1/',
    ]) {
      const response = await strict.query(
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { __typename ... on ValidationError { issues { path message } } } }`,
        { input: { url, eventTypes: ['PUBLISHED'] } },
        admin,
      );
      expect(response.data.createWebhookEndpoint.__typename, url).toBe('ValidationError');
      expect(response.data.createWebhookEndpoint.issues[0].path.at(-1)).toBe('url');
    }
    for (const url of ['ftp://example.com/', 'not a url', 'http://user:pw@example.com/']) {
      const response = await strict.query(
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { __typename } }`,
        { input: { url, eventTypes: ['PUBLISHED'] } },
        admin,
      );
      expect(response.data.createWebhookEndpoint.__typename, url).toBe('ValidationError');
    }
    expect(await gw.db.prisma.webhookEndpoint.count()).toBe(0);

    // A name that resolves to loopback (registered while allowed, or re-pointed since) is refused
    // when sending, and the receiver never hears of it.
    const rec = await receiver();
    const endpoint = await register(`http://localhost:${rec.port}/hook`);
    sender({ allowPrivateTargets: false });
    await publishEvents(1);
    const tried = (await until('an attempt was refused', () =>
      gw.db.prisma.webhookDelivery.findFirst({ where: { endpointId: endpoint.dbId, attempts: { gte: 1 } } }),
    ))!;
    for (const s of senders.splice(0)) await s.stop();
    expect(tried.lastError).toMatch(/refused target: .* loopback/);
    expect(tried.responseStatus).toBeNull();
    expect(rec.requests).toEqual([]);
    await gw.db.prisma.webhookEndpoint.deleteMany();
  });

  it('with no endpoint, a sender woken by story events looks for one every IDLE_TICKS intervals (and when woken), not every tick', async () => {
    // Two databases without endpoints: one sender polls every tick, one is also woken by story events.
    const [plainDb, wokenDb] = [await createTestDatabase(), await createTestDatabase()];
    let wake: (() => void) | undefined;
    async function* wakeUps() {
      for (;;) {
        await new Promise<void>((resolve) => (wake = resolve));
        yield 1;
      }
    }
    const start = (db: typeof plainDb, woken: boolean) =>
      startWebhookSender({
        prisma: db.prisma,
        logger: createLogger('silent'),
        settings,
        siteUrl: 'https://news.example',
        ...(woken && { wakeUps }),
      });
    const looks = (db: typeof plainDb) => db.statements.filter((sql) => sql.includes('FROM "public"."WebhookEndpoint"')).length;
    const started = Date.now();
    const plain = start(plainDb, false);
    const woken = start(wokenDb, true);
    try {
      // The plain sender looks on every tick (one statement each); meanwhile the woken one looks
      // once at start and then at most once per IDLE_TICKS intervals (a bound a busy machine only
      // lowers: its ticks come late, never early).
      await until('the plain sender ticked 3 × IDLE_TICKS times', () => looks(plainDb) >= 3 * IDLE_TICKS);
      const idle = looks(wokenDb);
      const elapsed = Date.now() - started;
      expect(idle).toBeGreaterThanOrEqual(1);
      expect(idle).toBeLessThanOrEqual(1 + Math.floor(elapsed / (settings.intervalMs * (IDLE_TICKS - 0.5))));
      // A story event wakes it at once.
      await until('the woken sender listens', () => wake);
      wake!();
      await until('the woken sender looked again', () => looks(wokenDb) > idle);
    } finally {
      await Promise.all([plain.stop(), woken.stop()]);
      await Promise.all([plainDb.dispose(), wokenDb.dispose()]);
    }
  });

  it('bad input is a typed error that changes nothing', async () => {
    const bad = await gw.query(
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { __typename ... on ValidationError { issues { path message } } } }`,
      { input: { url: 'https://hooks.example/x', eventTypes: [], secret: 'nope' } },
      admin,
    );
    expect(bad.data.createWebhookEndpoint.__typename).toBe('ValidationError');
    expect(bad.data.createWebhookEndpoint.issues.map((i: any) => i.path.at(-1))).toEqual(expect.arrayContaining(['eventTypes', 'secret']));
    const missing = await gw.query(
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: false }) { __typename } }`,
      { id: globalId('WebhookEndpoint', 999_999) },
      admin,
    );
    expect(missing.data.updateWebhookEndpoint.__typename).toBe('NotFoundError');
    expect(await gw.db.prisma.webhookEndpoint.count()).toBe(0);
  });
});
