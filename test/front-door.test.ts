// The front door over the real transports: keys checked per operation on WebSockets, revoked or
// downgraded keys ending sockets and SSE streams (also when revoked through a second gateway on
// the same database), rate limits shared by HTTP and graphql-ws, failed key checks throttled per
// address, and TRUST_PROXY.
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import {
  createDemoGateway,
  wsClient,
  databaseUrl,
  globalId,
  keyHeader,
  MAIN_STORY,
  onPostgres,
  testConfig,
  type TestGateway,
} from './helpers.js';

let demo: TestGateway;
/** The same database through another pool: what a second gateway would have (PGlite has one). */
let second: Database;
let admin: Record<string, string>;
let asiaId: string;
let reutersId: string;
const running: RunningGateway[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  demo = await createDemoGateway();
  second = onPostgres ? await openDatabase({ kind: 'postgres', url: await databaseUrl(demo.db), poolSize: 2 }) : demo.db;
  admin = await keyHeader(demo.db, 'ADMIN');
  const section = await demo.db.prisma.section.findUniqueOrThrow({ where: { slug: 'asia' } });
  const author = await demo.db.prisma.author.findUniqueOrThrow({ where: { slug: 'reuters' } });
  asiaId = globalId('Section', section.id);
  reutersId = globalId('Author', author.id);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await Promise.all(running.splice(0).map((g) => g.stop()));
});
afterAll(async () => {
  if (second !== demo?.db) await second?.close();
  await demo?.db.dispose();
});

async function serve(overrides: Record<string, string> = {}, db: Database = demo.db, logger = createLogger('silent')) {
  const gateway = await serveGateway({
    config: testConfig({ PORT: '0', HOST: '127.0.0.1', SCHEDULER_INTERVAL_MS: '0', POPULARITY_REFRESH_MS: '0', ...overrides }),
    db,
    logger,
  });
  running.push(gateway);
  return gateway;
}

async function post(gateway: RunningGateway, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

type WsOutcome = { data?: any; errors?: any[]; closed?: number };

/** One operation over the socket: its result, the errors it was refused with, or the close code. */
async function wsRun(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<WsOutcome> {
  const iterator = client.iterate({ query, variables });
  try {
    const { value } = await iterator.next();
    await iterator.return?.();
    return (value ?? {}) as WsOutcome;
  } catch (error) {
    if (Array.isArray(error)) return { errors: error };
    return { closed: (error as { code?: number }).code };
  }
}

/** A subscription over the socket, its results and how it ended. */
function wsSubscribe(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const results: any[] = [];
  const state: { ended: boolean; error?: unknown } = { ended: false };
  void (async () => {
    try {
      for await (const result of client.iterate({ query, variables })) results.push(result);
    } catch (error) {
      state.error = error;
    }
    state.ended = true;
  })();
  return { results, state };
}

/** An SSE stream over fetch (as EventSource reads it): its `next` payloads and whether it ended. */
async function sse(gateway: RunningGateway, query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const controller = new AbortController();
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const stream = { events: [] as any[], ended: false, close: () => controller.abort() };
  void (async () => {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (/^event: next$/m.test(block) && data) stream.events.push(JSON.parse(data));
        }
      }
    } catch {
      // aborted
    }
    stream.ended = true;
  })();
  return stream;
}

const subscribed = (gateway: RunningGateway, count: number) =>
  expect.poll(() => gateway.live.subscriptions, { timeout: 5000, interval: 20 }).toBe(count);

async function keyIdOf(header: Record<string, string>) {
  return (await demo.db.prisma.apiKey.findFirstOrThrow({ where: { prefix: header.authorization!.slice(7, 19) } })).id;
}

let drafts = 0;
/** A draft by the agency (no writer's byline), made over HTTP with an EDITOR key. */
async function createDraft(gateway: RunningGateway) {
  drafts += 1;
  const editor = await keyHeader(demo.db, 'EDITOR');
  const { body } = await post(
    gateway,
    `mutation($input: CreateDraftInput!) { createDraft(input: $input) { ... on MutationCreateDraftSuccess { data { id slug headline version } } } }`,
    { input: { headline: `Front door draft ${drafts} ${Date.now()}`, section: asiaId, byline: [{ author: reutersId, role: 'AGENCY' }] } },
    editor,
  );
  return body.data.createDraft.data as { id: string; slug: string; headline: string; version: number };
}

const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`;
const DRAFT = `query($slug: String!) { article(slug: $slug, preview: true) { status headline } }`;
const UPDATE = `mutation($id: ID!, $version: Int!) {
  updateArticle(id: $id, version: $version, input: { headline: "Written with a revoked key" }) { __typename }
}`;
const MINT = `mutation { createApiKey(input: { name: "minted over a revoked socket", role: ADMIN }) { __typename } }`;
const STORY_UPDATED = `subscription($id: ID!) { storyUpdated(id: $id, preview: true) { type article { status } } }`;

describe('keys on long-lived connections', () => {
  it('a key revoked through a second gateway is refused on sockets opened before: no draft read, no update, no minted key; its sockets and SSE streams end', async () => {
    const a = await serve({ KEY_RECHECK_MS: '200' });
    const b = await serve({}, second);
    const draft = await createDraft(a);
    const doomed = await keyHeader(demo.db, 'ADMIN');
    const [reader, writer, minter] = [wsClient(clients, a, doomed), wsClient(clients, a, doomed), wsClient(clients, a, doomed)];
    // Each socket is open and works with the key's rights before the revocation.
    expect((await wsRun(reader, DRAFT, { slug: draft.slug })).data.article.status).toBe('DRAFT');
    for (const client of [writer, minter]) expect((await wsRun(client, '{ viewer { role } }')).data.viewer.role).toBe('ADMIN');
    const watcher = wsSubscribe(wsClient(clients, a, doomed), STORY_UPDATED, { id: draft.id });
    const stream = await sse(a, STORY_UPDATED, { id: draft.id }, doomed);
    await subscribed(a, 2);
    const keysBefore = await demo.db.prisma.apiKey.count();

    const revoked = await post(b, REVOKE, { id: globalId('ApiKey', await keyIdOf(doomed)) }, admin);
    expect(revoked.body.data.revokeApiKey.__typename).toBe('MutationRevokeApiKeySuccess');

    // The very next operation on each socket is refused (checked per operation), and the socket closes.
    const read = await wsRun(reader, DRAFT, { slug: draft.slug });
    const update = await wsRun(writer, UPDATE, { id: draft.id, version: draft.version });
    const mint = await wsRun(minter, MINT);
    for (const outcome of [read, update, mint]) {
      expect(outcome.data).toBeUndefined();
      expect(outcome.closed === 4403 || outcome.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', JSON.stringify(outcome)).toBe(true);
    }
    expect((await demo.db.prisma.article.findUniqueOrThrow({ where: { slug: draft.slug } })).headline).toBe(draft.headline);
    expect(await demo.db.prisma.apiKey.count()).toBe(keysBefore);

    // The subscription's socket and the SSE stream were idle: the re-check ends them.
    await expect.poll(() => watcher.state.ended, { timeout: 5000 }).toBe(true);
    // Closed with 4403, or ended with the error first: either way nothing more arrives.
    const how = (watcher.state.error as { code?: number } | undefined)?.code ?? watcher.results.at(-1)?.errors?.[0]?.extensions?.code;
    expect([4403, 'UNAUTHENTICATED']).toContain(how);
    await expect.poll(() => stream.ended, { timeout: 5000 }).toBe(true);
    expect(stream.events.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await subscribed(a, 0);
    // And a new socket with the key is refused at once.
    expect((await wsRun(wsClient(clients, a, doomed), '{ __typename }')).closed).toBe(4403);
  });

  it('a role downgrade takes effect on the next operation; subscriptions begun under the old role end', async () => {
    const gateway = await serve({ KEY_RECHECK_MS: '200' });
    const draft = await createDraft(gateway);
    const editor = await keyHeader(demo.db, 'EDITOR');
    const client = wsClient(clients, gateway, editor);
    expect((await wsRun(client, DRAFT, { slug: draft.slug })).data.article.status).toBe('DRAFT');
    const watcher = wsSubscribe(client, STORY_UPDATED, { id: draft.id });
    const stream = await sse(gateway, STORY_UPDATED, { id: draft.id }, editor);
    await subscribed(gateway, 2);

    await demo.db.prisma.apiKey.update({ where: { id: await keyIdOf(editor) }, data: { role: 'WRITER' } });
    // Same socket, next operation: the writer's rights (not in the draft's byline: no preview).
    expect((await wsRun(client, '{ viewer { role } }')).data.viewer.role).toBe('WRITER');
    expect((await wsRun(client, DRAFT, { slug: draft.slug })).data.article).toBeNull();
    const update = await wsRun(client, UPDATE, { id: draft.id, version: draft.version });
    expect(update.data?.updateArticle.__typename).toBe('ForbiddenError');

    await expect.poll(() => watcher.state.ended, { timeout: 5000 }).toBe(true);
    expect(watcher.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('KEY_ROLE_CHANGED');
    await expect.poll(() => stream.ended, { timeout: 5000 }).toBe(true);
    expect(stream.events.at(-1)?.errors?.[0]?.extensions?.code).toBe('KEY_ROLE_CHANGED');
    // The socket itself stays open for the writer.
    expect((await wsRun(client, '{ viewer { role } }')).data.viewer.role).toBe('WRITER');
  });

  it('a connection whose authorization is not a string is refused with 4403', async () => {
    const gateway = await serve();
    for (const authorization of [42, ['Bearer x'], { bearer: 'x' }, true]) {
      expect((await wsRun(wsClient(clients, gateway, { authorization }), '{ __typename }')).closed, JSON.stringify(authorization)).toBe(
        4403,
      );
    }
    // No authorization at all is an anonymous reader.
    expect((await wsRun(wsClient(clients, gateway, {}), '{ __typename }')).data).toEqual({ __typename: 'Query' });
  });
});

describe('rate limits on every door', () => {
  it('WebSocket queries and recordRead count against the same budget as HTTP', async () => {
    const gateway = await serve({ RATE_LIMIT_PER_MINUTE: '6' });
    const story = await demo.db.prisma.article.findUniqueOrThrow({ where: { slug: MAIN_STORY } });
    const reads = async () =>
      (await demo.db.prisma.articleRead.aggregate({ where: { articleId: story.id }, _sum: { count: true } }))._sum.count ?? 0;
    const before = await reads();
    const client = wsClient(clients, gateway);
    // Two over the socket, four over HTTP: the budget of 6 is spent.
    const RECORD = `mutation($id: ID!) { recordRead(id: $id) }`;
    expect((await wsRun(client, RECORD, { id: globalId('Article', story.id) })).data).toEqual({ recordRead: true });
    expect((await wsRun(client, '{ __typename }')).data).toEqual({ __typename: 'Query' });
    for (let i = 0; i < 4; i++) expect((await post(gateway, '{ __typename }')).status).toBe(200);
    expect((await post(gateway, '{ __typename }')).status).toBe(429);
    // Now the socket is refused too, queries and mutations alike, with the HTTP code.
    for (const [query, variables] of [
      ['{ __typename }', {}],
      [RECORD, { id: globalId('Article', story.id) }],
    ] as const) {
      const refused = await wsRun(client, query, variables);
      expect(refused.data).toBeUndefined();
      expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(refused.errors?.[0]?.extensions?.retryAfter).toBeGreaterThanOrEqual(1);
    }
    expect(await reads()).toBe(before + 1);
  });

  it('each WebSocket operation gets a request id, a log line and a histogram entry, as an HTTP request does', async () => {
    const lines: Record<string, any>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const gateway = await serve({ RATE_LIMIT_PER_MINUTE: '2' }, demo.db, logger);
    const client = wsClient(clients, gateway);
    const requests = () => lines.filter((line) => line.msg === 'request' && line.method === 'WS');
    const histogram = async () =>
      (await gateway.observability.metricsRegistry.getSingleMetricAsString('newsroom_http_request_duration_seconds'))
        .split('\n')
        .find((line) => line.includes('operation_name="FrontDoorProbe"') && line.includes('_count'));
    const countBefore = Number((await histogram())?.split(' ').at(-1) ?? 0);
    expect((await wsRun(client, 'query FrontDoorProbe { __typename }')).data).toEqual({ __typename: 'Query' });
    expect((await wsRun(client, 'mutation { recordRead(id: "QXJ0aWNsZTox") }')).data).toBeDefined();
    expect((await wsRun(client, 'query FrontDoorProbe { __typename }')).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    await expect.poll(() => requests().length).toBe(3);
    const [query, mutation, refused] = requests();
    expect(query).toMatchObject({ path: '/graphql', status: 200, operation: 'FrontDoorProbe', operationType: 'query' });
    expect(mutation).toMatchObject({ status: 200, operation: 'anonymous', operationType: 'mutation' });
    expect(refused).toMatchObject({ status: 429 });
    expect(new Set(requests().map((line) => line.reqId)).size).toBe(3);
    expect(Number((await histogram())?.split(' ').at(-1))).toBe(countBefore + 1);
  });

  it("1,250 requests with a key's prefix and garbage do not lock the key out", async () => {
    const gateway = await serve({ RATE_LIMIT_PER_MINUTE: '50', AUTH_FAILURES_PER_MINUTE: '0' });
    const key = await keyHeader(demo.db, 'EDITOR');
    const prefix = key.authorization!.slice(7, 19);
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 25; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          post(gateway, '{ __typename }', {}, { authorization: `Bearer ${prefix}garbage${batch}-${i}` }),
        ),
      );
      for (const { status } of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    // The failures count against their address: 50 × 401, then 429s.
    expect(statuses.get(401)).toBe(50);
    expect(statuses.get(429)).toBe(1200);
    const real = await post(gateway, '{ viewer { role } }', {}, key);
    expect(real.status).toBe(200);
    expect(real.body.data.viewer.role).toBe('EDITOR');
  });

  it('failed key checks are throttled per address: past the limit, 429 without a lookup, on HTTP and WebSocket', async () => {
    const gateway = await serve({ AUTH_FAILURES_PER_MINUTE: '3' });
    const guess = (i: number) => post(gateway, '{ __typename }', {}, { authorization: `Bearer nrk_guess${i}` });
    for (let i = 0; i < 3; i++) {
      const answer = await guess(i);
      expect(answer.status).toBe(401);
      expect(answer.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    const before = demo.db.statements.length;
    const throttled = await guess(3);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(throttled.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'auth-failures' });
    expect(demo.db.statements.slice(before).filter((sql) => /"ApiKey"/.test(sql))).toEqual([]);
    // A real key from that address waits too; anonymous reading goes on.
    expect((await post(gateway, '{ __typename }', {}, admin)).status).toBe(429);
    expect((await post(gateway, '{ __typename }')).status).toBe(200);
    expect((await wsRun(wsClient(clients, gateway, admin), '{ __typename }')).closed).toBe(4403);
    // Another gateway (another process's memory) has its own count without Redis.
    expect((await post(await serve(), '{ viewer { role } }', {}, admin)).status).toBe(200);
  });
});

describe('TRUST_PROXY', () => {
  const from = (address: string) => ({ 'x-forwarded-for': address });

  it('off: X-Forwarded-For is ignored, every forwarded reader shares the peer’s budget', async () => {
    const gateway = await serve({ RATE_LIMIT_PER_MINUTE: '2' });
    expect((await post(gateway, '{ __typename }', {}, from('198.51.100.1'))).status).toBe(200);
    expect((await post(gateway, '{ __typename }', {}, from('198.51.100.2'))).status).toBe(200);
    expect((await post(gateway, '{ __typename }', {}, from('198.51.100.3'))).status).toBe(429);
  });

  for (const trust of ['127.0.0.1', '1', 'loopback,10.0.0.0/8']) {
    it(`TRUST_PROXY=${trust}: each forwarded reader has a budget of its own, over HTTP and WebSocket`, async () => {
      const gateway = await serve({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: trust });
      for (let i = 0; i < 2; i++) expect((await post(gateway, '{ __typename }', {}, from('198.51.100.1'))).status).toBe(200);
      expect((await post(gateway, '{ __typename }', {}, from('198.51.100.1'))).status).toBe(429);
      expect((await post(gateway, '{ __typename }', {}, from('198.51.100.2'))).status).toBe(200);
      // A WebSocket's upgrade request is forwarded the same way.
      const socket = createClient({
        url: gateway.url.replace('http', 'ws'),
        webSocketImpl: class extends WebSocket {
          constructor(url: string, protocols: string[]) {
            super(url, protocols, { headers: from('198.51.100.1') });
          }
        },
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(socket);
      expect((await wsRun(socket, '{ __typename }')).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    });
  }

  it('an address list the parser cannot read stops the start with a message naming TRUST_PROXY', () => {
    expect(() => testConfig({ TRUST_PROXY: '10.0.0.0/99' })).toThrow(ConfigError);
    expect(() => testConfig({ TRUST_PROXY: 'not-an-address' })).toThrow(/TRUST_PROXY/);
    expect(testConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
  });
});

const REDIS_URL = 'redis://127.0.0.1:6379';
const redisProbe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
const redisUp = await redisProbe.connect().then(
  () => true,
  () => false,
);
redisProbe.disconnect();

describe.skipIf(!redisUp)('with Redis', () => {
  it('failed key checks from one address are counted across gateways', async () => {
    const overrides = { REDIS_URL, AUTH_FAILURES_PER_MINUTE: '2', TRUST_PROXY: 'loopback' };
    const [a, b] = [await serve(overrides), await serve(overrides)];
    await Promise.all([a.frontDoor.ready(), b.frontDoor.ready()]);
    // An address of this run only (the Redis prefix is per run too).
    const from = { 'x-forwarded-for': `203.0.113.${Math.floor(Math.random() * 250) + 1}` };
    const guess = (gateway: RunningGateway) => post(gateway, '{ __typename }', {}, { ...from, authorization: 'Bearer nrk_guess' });
    expect((await guess(a)).status).toBe(401);
    expect((await guess(b)).status).toBe(401);
    const third = await guess(a);
    expect(third.status).toBe(429);
    expect(third.body.errors[0].extensions.limit).toBe('auth-failures');
    expect((await post(b, '{ __typename }', {}, { ...from, ...admin })).status).toBe(429);
  });
});
