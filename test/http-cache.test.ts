// The HTTP cache in front of yoga, through real servers on port 0: repeated anonymous reads are
// answered from stored bytes (no SQL, no yoga), purged with the response cache on story events,
// coalesced, refreshed in the background when stale, bounded, rate limited, logged and counted.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationDocument } from '../src/schema/operations.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import { createTestDatabase, globalId, keyHeader, MAIN_STORY, testConfig, type TestDatabase } from './helpers.js';

const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const ARTICLE_PAGE = operationDocument('ArticlePage');
const PAGE_VARIABLES = { slug: MAIN_STORY, editionDate: '2025-03-01' };
const SECTION_FRONT = operationDocument('SectionFront');

type LogLine = Record<string, any>;

let db: TestDatabase;
let editor: Record<string, string>;
let mainStoryId: number;
const running: RunningGateway[] = [];
const logs: LogLine[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });

beforeAll(async () => {
  db = await createTestDatabase({ demo: true });
  editor = await keyHeader(db, 'EDITOR');
  mainStoryId = (await db.prisma.article.findUniqueOrThrow({ where: { slug: MAIN_STORY } })).id;
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
  await db?.dispose();
});

/** A real server with the response cache (and so the HTTP cache) on. Its own mutations answer once its hub has their story events. */
async function serve(overrides: Record<string, string> = {}) {
  const gateway = await serveGateway({
    config: testConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      RESPONSE_CACHE: 'true',
      SCHEDULER_INTERVAL_MS: '0',
      POPULARITY_REFRESH_MS: '0',
      OUTBOX_POLL_MS: '60000',
      RATE_LIMIT_PER_MINUTE: '0',
      ...overrides,
    }),
    db,
    logger,
  });
  running.push(gateway);
  await new Promise((resolve) => setImmediate(resolve)); // the purge loop subscribes right after the hub is ready
  return gateway;
}

let requestCounter = 0;

/** One request; returns the response, its bytes, the SQL it caused, and its log line. */
async function send(
  gateway: RunningGateway,
  init: { method?: 'GET' | 'POST'; query?: string; variables?: Record<string, unknown>; body?: string; headers?: Record<string, string> },
) {
  const reqId = `t${++requestCounter}`;
  const method = init.method ?? 'POST';
  const headers: Record<string, string> = { accept: GRAPHQL_RESPONSE, 'x-request-id': reqId, ...init.headers };
  let url = gateway.url;
  let body: string | undefined;
  if (method === 'GET') {
    url += `?query=${encodeURIComponent(init.query!)}${init.variables ? `&variables=${encodeURIComponent(JSON.stringify(init.variables))}` : ''}`;
  } else {
    headers['content-type'] ??= 'application/json';
    body = init.body ?? JSON.stringify({ query: init.query, variables: init.variables });
  }
  const before = db.statements.length;
  const response = await fetch(url, { method, headers, body });
  const bytes = Buffer.from(await response.arrayBuffer());
  const statements = db.statements.length - before;
  const log = logs.filter((line) => line.msg === 'request' && line.reqId === response.headers.get('x-request-id'));
  return { response, bytes, statements, json: () => JSON.parse(bytes.toString()), log: log.at(-1), reqId };
}

async function mutate(gateway: RunningGateway, query: string, variables: Record<string, unknown>) {
  const { json, response } = await send(gateway, { query, variables, headers: editor });
  expect(response.status).toBe(200);
  const body = json();
  expect(body.errors).toBeUndefined();
  return Object.values(body.data)[0] as any;
}

/** Creates a draft in Asia by Reuters; its id and slug. */
async function draftInAsia(gateway: RunningGateway): Promise<{ id: string; slug: string }> {
  const section = await db.prisma.section.findUniqueOrThrow({ where: { slug: 'asia' } });
  const reuters = await db.prisma.author.findUniqueOrThrow({ where: { slug: 'reuters' } });
  const created = await mutate(
    gateway,
    `mutation($input: CreateDraftInput!) { createDraft(input: $input) { __typename ... on MutationCreateDraftSuccess { data { id slug } } } }`,
    {
      input: {
        headline: `Breaking ${Date.now()}`,
        section: globalId('Section', section.id),
        byline: [{ author: globalId('Author', reuters.id), role: 'AGENCY' }],
      },
    },
  );
  expect(created.__typename).toBe('MutationCreateDraftSuccess');
  return created.data;
}

async function publish(gateway: RunningGateway, id: string) {
  const published = await mutate(gateway, `mutation($id: ID!) { publishArticle(id: $id) { __typename } }`, { id });
  expect(published.__typename).toBe('MutationPublishArticleSuccess');
}

/** Creates and publishes a story in Asia; its slug once the publish answered. */
async function publishNew(gateway: RunningGateway): Promise<string> {
  const draft = await draftInAsia(gateway);
  await publish(gateway, draft.id);
  return draft.slug;
}

async function scrape(gateway: RunningGateway) {
  return (await fetch(gateway.url.replace('/graphql', '/metrics'))).text();
}

function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return 0;
}

const correct = (gateway: RunningGateway, articleId: number, text: string) =>
  mutate(gateway, 'mutation($id: ID!, $text: String!) { addCorrection(id: $id, text: $text) { __typename } }', {
    id: globalId('Article', articleId),
    text,
  });

describe('serving stored responses', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await serve();
  });

  it('a repeated POST is answered with identical bytes, no SQL, a fresh request id, and logged and counted as its operation', async () => {
    const metricsBefore = await scrape(gw);
    const first = await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES });
    expect(first.response.status).toBe(200);
    expect(first.json().errors).toBeUndefined();
    expect(first.statements).toBeGreaterThan(0);
    expect(first.log).toMatchObject({ operation: 'ArticlePage', operationType: 'query', status: 200 });
    // Its root fields were computed by yoga, one entry each, and joined (logged once, as the page).
    expect(first.log!.cache).toBe('miss');

    const ids = new Set([first.response.headers.get('x-request-id')]);
    for (let i = 0; i < 3; i++) {
      const again = await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES });
      expect(again.response.status).toBe(200);
      expect(again.statements).toBe(0);
      expect(again.bytes.equals(first.bytes)).toBe(true);
      ids.add(again.response.headers.get('x-request-id'));
      expect(again.response.headers.get('x-request-id')).toBe(again.reqId); // a sane incoming id is kept
      for (const name of [
        'content-type',
        'cache-control',
        'etag',
        'last-modified',
        'surrogate-key',
        'vary',
        'access-control-allow-origin',
      ]) {
        expect(again.response.headers.get(name), name).toBe(first.response.headers.get(name));
      }
      expect(again.response.headers.get('content-length')).toBe(String(first.bytes.length));
      expect(again.log).toMatchObject({
        reqId: again.reqId,
        method: 'POST',
        path: '/graphql',
        status: 200,
        operation: 'ArticlePage',
        operationType: 'query',
        cache: 'hit',
        durationMs: expect.any(Number),
      });
    }
    expect(ids.size).toBe(4);
    // Without an incoming id each hit gets a new UUID.
    const plain = await Promise.all(
      [0, 1].map(() =>
        fetch(gw.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE },
          body: JSON.stringify({ query: ARTICLE_PAGE, variables: PAGE_VARIABLES }),
        }),
      ),
    );
    expect(plain.map((r) => r.headers.get('x-request-id'))).toEqual([
      expect.stringMatching(/^[0-9a-f-]{36}$/),
      expect.stringMatching(/^[0-9a-f-]{36}$/),
    ]);
    expect(plain[0]!.headers.get('x-request-id')).not.toBe(plain[1]!.headers.get('x-request-id'));

    const metricsAfter = await scrape(gw);
    const series = { operation_name: 'ArticlePage', operation_type: 'query', status: '200' };
    const histogram = 'newsroom_http_request_duration_seconds_count';
    expect(metric(metricsAfter, histogram, series) - metric(metricsBefore, histogram, series)).toBe(6);
    const hits = 'newsroom_http_cache_requests_total';
    expect(metric(metricsAfter, hits, { result: 'hit' }) - metric(metricsBefore, hits, { result: 'hit' })).toBe(5);
    expect(metric(metricsAfter, hits, { result: 'miss' }) - metric(metricsBefore, hits, { result: 'miss' })).toBe(1);
    expect(metric(metricsAfter, 'newsroom_http_cache_entries')).toBeGreaterThanOrEqual(1);
    expect(metric(metricsAfter, 'newsroom_http_cache_bytes')).toBeGreaterThan(first.bytes.length);
  });

  it('a repeated GET is answered from memory too; without the CSRF header it is still a 403', async () => {
    const query = `query Headline { article(slug: "${MAIN_STORY}") { headline } }`;
    const headers = { 'graphql-preflight': '1' };
    const first = await send(gw, { method: 'GET', query, headers });
    expect(first.response.status).toBe(200);
    expect(first.statements).toBeGreaterThan(0);
    const again = await send(gw, { method: 'GET', query, headers });
    expect(again.statements).toBe(0);
    expect(again.bytes.equals(first.bytes)).toBe(true);
    expect(again.log).toMatchObject({ method: 'GET', operation: 'Headline', operationType: 'query', cache: 'hit' });
    const refused = await send(gw, { method: 'GET', query });
    expect(refused.response.status).toBe(403);
    expect(refused.json().errors[0].extensions.code).toBe('CSRF_HEADER_REQUIRED');
  });

  it('If-None-Match with the ETag is a 304 without SQL; Age grows', async () => {
    const query = `query Dateline { article(slug: "${MAIN_STORY}") { dateline } }`;
    const first = await send(gw, { query });
    const etag = first.response.headers.get('etag')!;
    expect(etag).toMatch(/^[0-9a-f]{64}\.[0-9a-f]{16}$/);
    expect(first.response.headers.get('age')).toBe('0');
    for (const ifNoneMatch of [etag, `"${etag}"`, `W/"other", "${etag}"`]) {
      const revalidated = await send(gw, { query, headers: { 'if-none-match': ifNoneMatch } });
      expect(revalidated.response.status).toBe(304);
      expect(revalidated.bytes.length).toBe(0);
      expect(revalidated.statements).toBe(0);
      expect(revalidated.response.headers.get('etag')).toBe(etag);
      expect(revalidated.response.headers.get('cache-control')).toMatch(/^public, max-age=/);
      expect(revalidated.log).toMatchObject({ status: 304, operation: 'Dateline', cache: 'hit' });
    }
    const other = await send(gw, { query, headers: { 'if-none-match': '0'.repeat(64) } });
    expect(other.response.status).toBe(200);
    expect(other.bytes.equals(first.bytes)).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = await send(gw, { query });
    expect(later.statements).toBe(0);
    expect(Number(later.response.headers.get('age'))).toBeGreaterThanOrEqual(1);
  });

  it('another Accept or Origin is another entry, with its own media type and CORS headers', async () => {
    const query = `query Kind { article(slug: "${MAIN_STORY}") { kind } }`;
    const ask = (headers: Record<string, string>) => send(gw, { query, headers });
    const variants = [
      { accept: GRAPHQL_RESPONSE, origin: 'https://a.example' },
      { accept: 'application/json', origin: 'https://a.example' },
      { accept: GRAPHQL_RESPONSE, origin: 'https://b.example' },
    ];
    const sizeBefore = gw.httpCache!.size;
    for (const headers of variants) {
      const first = await ask(headers);
      expect(first.log!.cache, JSON.stringify(headers)).toBeUndefined(); // not served by the HTTP cache
      const again = await ask(headers);
      expect(again.log!.cache).toBe('hit');
      expect(again.response.headers.get('content-type')).toBe(`${headers.accept}; charset=utf-8`);
      expect(again.response.headers.get('access-control-allow-origin')).toBe(headers.origin);
      expect(again.response.headers.get('vary')).toMatch(/Origin/);
    }
    expect(gw.httpCache!.size).toBe(sizeBefore + 3);
  });

  it('a request with Authorization never reads nor fills the HTTP cache', async () => {
    const query = `query Summary { article(slug: "${MAIN_STORY}") { summary } }`;
    await send(gw, { query });
    expect((await send(gw, { query })).log!.cache).toBe('hit');
    const size = gw.httpCache!.size;
    for (let i = 0; i < 2; i++) {
      const keyed = await send(gw, { query, headers: editor });
      expect(keyed.statements).toBeGreaterThan(0);
      expect(keyed.log!.cache).toBeUndefined();
      expect(keyed.response.headers.get('cache-control')).toBe('private, no-store');
      expect(keyed.response.headers.get('etag')).toBeNull();
    }
    const keyedOnly = `query Status { article(slug: "${MAIN_STORY}") { summary status } }`;
    await send(gw, { query: keyedOnly, headers: editor });
    await send(gw, { query: keyedOnly, headers: editor });
    expect(gw.httpCache!.size).toBe(size);
    expect((await send(gw, { query: keyedOnly })).log!.cache).toBeUndefined();
  });

  it('mutations are never stored nor coalesced: identical anonymous recordReads all run', async () => {
    const reads = () =>
      db.prisma.articleRead.aggregate({ where: { articleId: mainStoryId }, _sum: { count: true } }).then((r) => r._sum.count ?? 0);
    const before = await reads();
    const body = JSON.stringify({
      query: 'mutation Read($id: ID!) { recordRead(id: $id) }',
      variables: { id: globalId('Article', mainStoryId) },
    });
    const size = gw.httpCache!.size;
    const answers = await Promise.all(Array.from({ length: 5 }, () => send(gw, { body })));
    for (const answer of answers) {
      expect(answer.json().data.recordRead).toBe(true);
      expect(answer.response.headers.get('cache-control')).toBe('no-store');
      expect(answer.log).toMatchObject({ operation: 'Read', operationType: 'mutation' });
    }
    expect((await send(gw, { body })).log!.cache).toBeUndefined();
    expect(await reads()).toBe(before + 6);
    expect(gw.httpCache!.size).toBe(size);
  });
});

describe('purges', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await serve();
  });

  it('a correction is in the very next response after the mutation answered (read your writes)', async () => {
    const byline = `query Corrections($slug: String!) { article(slug: $slug) { headline corrections { text } } }`;
    await send(gw, { query: byline, variables: { slug: MAIN_STORY } });
    await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES });
    expect((await send(gw, { query: byline, variables: { slug: MAIN_STORY } })).log!.cache).toBe('hit');
    expect((await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES })).log!.cache).toBe('hit');
    // An entry that does not hold the article stays.
    const unrelated = `query Sections { sections { name } }`;
    await send(gw, { query: unrelated });

    const text = `Correction ${Date.now()}: an earlier version misstated the date.`;
    expect((await correct(gw, mainStoryId, text)).__typename).toBe('MutationAddCorrectionSuccess');

    const story = await send(gw, { query: byline, variables: { slug: MAIN_STORY } });
    expect(story.log!.cache).toBeUndefined();
    expect(story.json().data.article.corrections.map((c: { text: string }) => c.text)).toContain(text);
    const page = await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES });
    expect(page.json().data.article.corrections.map((c: { text: string }) => c.text)).toContain(text);
    expect((await send(gw, { query: unrelated })).log!.cache).toBe('hit');
    // Stored again from the new answer.
    const again = await send(gw, { query: byline, variables: { slug: MAIN_STORY } });
    expect(again.log!.cache).toBe('hit');
    expect(again.bytes.equals(story.bytes)).toBe(true);
  });

  it('a newly published story is in `articles` on the very next request', async () => {
    const latest = `query Latest { articles(first: 5) { edges { node { slug headline } } } }`;
    await send(gw, { query: latest });
    expect((await send(gw, { query: latest })).log!.cache).toBe('hit');

    const draft = await draftInAsia(gw);
    // A draft is no story event for readers: the cached list is still right.
    expect((await send(gw, { query: latest })).json().data.articles.edges.map((e: any) => e.node.slug)).not.toContain(draft.slug);
    await publish(gw, draft.id);

    const next = await send(gw, { query: latest });
    expect(next.log!.cache).toBeUndefined();
    expect(next.json().data.articles.edges[0].node.slug).toBe(draft.slug);
  });

  it('20 concurrent misses of a known query cost the SQL of one execution', async () => {
    const query = `query Coalesced($slug: String!) { article(slug: $slug) { headline corrections { text } section { name } tags { name } } }`;
    const variables = { slug: MAIN_STORY };
    const first = await send(gw, { query, variables });
    const oneExecution = first.statements;
    expect(oneExecution).toBeGreaterThan(0);
    await correct(gw, mainStoryId, `Correction ${Date.now()}: coalesced.`);

    // 20 keep-alive connections open first, so the 20 requests arrive together.
    await Promise.all(Array.from({ length: 20 }, () => fetch(gw.url.replace('/graphql', '/healthz')).then((r) => r.text())));
    const metricsBefore = await scrape(gw);
    const before = db.statements.length;
    const answers = await Promise.all(Array.from({ length: 20 }, () => send(gw, { query, variables })));
    expect(db.statements.length - before).toBe(oneExecution);
    const bodies = new Set(answers.map((a) => a.bytes.toString()));
    expect(bodies.size).toBe(1);
    expect(answers.every((a) => a.response.status === 200)).toBe(true);
    const results = answers.map((a) => a.log!.cache ?? 'miss');
    // One ran; the others waited for it (coalesced) or, arriving after it answered, were hits.
    // Which of the two depends on how fast the one execution is, so only their sum is asserted.
    expect(results.filter((r) => r === 'miss')).toHaveLength(1);
    expect(results.filter((r) => r === 'coalesced' || r === 'hit')).toHaveLength(19);
    const metricsAfter = await scrape(gw);
    const counter = 'newsroom_http_cache_requests_total';
    expect(metric(metricsAfter, counter, { result: 'coalesced' }) - metric(metricsBefore, counter, { result: 'coalesced' })).toBe(
      results.filter((r) => r === 'coalesced').length,
    );
  });
});

describe('stale-while-revalidate', () => {
  it('an expired copy is served while one background request refreshes it; a purged one is never served', async () => {
    // Every result lives 2 s (max-age=2) and may be served 2 s longer while it is refreshed.
    const gw = await serve({ RESPONSE_CACHE_TTL_MS: '2000', RESPONSE_CACHE_LIST_TTL_MS: '2000', RESPONSE_CACHE_POPULAR_TTL_MS: '2000' });
    const query = `query Stale($slug: String!) { article(slug: $slug) { headline corrections { text } } }`;
    const variables = { slug: MAIN_STORY };
    const first = await send(gw, { query, variables });
    expect(first.response.headers.get('cache-control')).toBe('public, max-age=2, stale-while-revalidate=2');
    const oneExecution = first.statements;
    const born = Date.now();

    await new Promise((resolve) => setTimeout(resolve, 2200 - (Date.now() - born)));
    const before = db.statements.length;
    const answers = await Promise.all(Array.from({ length: 10 }, () => send(gw, { query, variables })));
    // Served at once: the old copy, until the refresh is in (then the new one).
    const stale = answers.filter((answer) => answer.log!.cache === 'stale');
    expect(stale.length).toBeGreaterThan(0);
    for (const answer of answers) expect(['stale', 'hit']).toContain(answer.log!.cache);
    for (const answer of stale) {
      expect(answer.bytes.equals(first.bytes)).toBe(true);
      expect(Number(answer.response.headers.get('age'))).toBeGreaterThanOrEqual(2);
    }
    // One refresh in the background, then a fresh copy.
    let fresh: Awaited<ReturnType<typeof send>> | undefined;
    await expect
      .poll(
        async () => {
          fresh = await send(gw, { query, variables });
          return fresh.log!.cache;
        },
        { timeout: 1500, interval: 20 },
      )
      .toBe('hit');
    expect(fresh!.response.headers.get('age')).toBe('0');
    expect(fresh!.response.headers.get('last-modified')).not.toBe(first.response.headers.get('last-modified'));
    expect(db.statements.length - before).toBe(oneExecution);
    const refreshLog = logs.filter(
      (line) => line.msg === 'request' && line.operation === 'Stale' && line.time >= born + 2000 && line.cache === undefined,
    );
    expect(refreshLog).toHaveLength(1);

    // Stale again, then purged: the next request is answered by yoga with the correction.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const text = `Correction ${Date.now()}: never served stale.`;
    await correct(gw, mainStoryId, text);
    const next = await send(gw, { query, variables });
    expect(next.log!.cache).toBeUndefined();
    expect(next.json().data.article.corrections.map((c: { text: string }) => c.text)).toContain(text);
  });
});

describe('bounds', () => {
  // The same answer under four keys (aliases of equal length).
  const query = (n: number) => `query Bounded { a${n}: articles(first: 3) { edges { node { headline } } } }`;

  it('holds at most RESPONSE_CACHE_MAX_ENTRIES responses; the least recently used go first', async () => {
    const gw = await serve({ RESPONSE_CACHE_MAX_ENTRIES: '3' });
    for (const n of [1, 2, 3]) await send(gw, { query: query(n) });
    expect(gw.httpCache!.size).toBe(3);
    expect((await send(gw, { query: query(1) })).log!.cache).toBe('hit'); // 1 is now the most recent
    await send(gw, { query: query(4) });
    expect(gw.httpCache!.size).toBe(3);
    expect((await send(gw, { query: query(2) })).log!.cache).toBeUndefined(); // evicted
    for (const n of [4, 2]) expect((await send(gw, { query: query(n) })).log!.cache).toBe('hit');
  });

  it('holds at most RESPONSE_CACHE_MAX_BYTES bytes', async () => {
    const probe = await serve();
    await send(probe, { query: query(1) });
    const entryBytes = probe.httpCache!.bytes;
    expect(entryBytes).toBeGreaterThan(0);
    const limit = Math.floor(entryBytes * 2.5);
    const gw = await serve({ RESPONSE_CACHE_MAX_BYTES: String(limit) });
    for (const n of [1, 2, 3, 4]) {
      await send(gw, { query: query(n) });
      expect(gw.httpCache!.bytes).toBeLessThanOrEqual(limit);
    }
    expect(gw.httpCache!.size).toBe(2);
    expect((await send(gw, { query: query(4) })).log!.cache).toBe('hit');
    expect((await send(gw, { query: query(1) })).log!.cache).toBeUndefined();
  });

  it('remembered pages count against RESPONSE_CACHE_MAX_BYTES too', async () => {
    const slugs = (await db.prisma.article.findMany({ where: { status: 'PUBLISHED' }, select: { slug: true }, take: 4 })).map(
      (a) => a.slug,
    );
    const page = (slug: string) => ({ query: ARTICLE_PAGE, variables: { ...PAGE_VARIABLES, slug } });
    const probe = await serve();
    await send(probe, page(slugs[0]!)); // its parts stored, and the page joined from them remembered
    const onePage = probe.httpCache!.bytes;
    const limit = Math.floor(onePage * 2.5);
    const gw = await serve({ RESPONSE_CACHE_MAX_BYTES: String(limit) });
    for (const slug of slugs) {
      for (const _ of [1, 2]) expect((await send(gw, page(slug))).json().data.article.slug).toBe(slug);
      expect(gw.httpCache!.bytes).toBeLessThanOrEqual(limit);
    }
  });

  it('bodies over MAX_BODY_BYTES still get yoga’s 413; smaller ones are cached', async () => {
    const gw = await serve({ MAX_BODY_BYTES: '2000' });
    const padded = (size: number) => {
      const body = JSON.stringify({ query: `query Padded { article(slug: "${MAIN_STORY}") { headline } }` });
      return body.slice(0, -1) + ' '.repeat(size - body.length) + '}';
    };
    const small = padded(1900);
    await send(gw, { body: small });
    const again = await send(gw, { body: small });
    expect(again.response.status).toBe(200);
    expect(again.log!.cache).toBe('hit');
    const large = await send(gw, { body: padded(2500) });
    expect(large.response.status).toBe(413);
    expect(large.json().errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });
});

describe('rate limits and the switch', () => {
  it('hits count against the client’s budget: over it, the answer is a 429 with Retry-After', async () => {
    const gw = await serve({ RATE_LIMIT_PER_MINUTE: '3' });
    const query = `query Limited { article(slug: "${MAIN_STORY}") { slug } }`;
    // Exactly three: a miss counts once, not once here and again in yoga.
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await send(gw, { query }));
    expect(answers.map((a) => a.response.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => a.log!.cache)).toEqual([undefined, 'hit', 'hit']);
    const refused = await send(gw, { query });
    expect(refused.response.status).toBe(429);
    expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.response.headers.get('x-request-id')).toBe(refused.reqId);
    expect(refused.json().errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(refused.log).toMatchObject({ status: 429 });
  });

  it('with the response cache off the server is yoga alone', async () => {
    const gw = await serve({ RESPONSE_CACHE: 'false' });
    expect(gw.httpCache).toBeUndefined();
    const query = `query Off { article(slug: "${MAIN_STORY}") { slug } }`;
    await send(gw, { query });
    const again = await send(gw, { query });
    expect(again.statements).toBeGreaterThan(0);
    expect(again.response.headers.get('cache-control')).toBe('no-store');
  });
});

describe('root fields apart', () => {
  it('a publish recomputes only the lists of a page: its story and related stories stay stored', async () => {
    // Its own gateway: TTLs longer than the test.
    const gw = await serve({
      RESPONSE_CACHE_TTL_MS: '600000',
      RESPONSE_CACHE_LIST_TTL_MS: '600000',
      RESPONSE_CACHE_POPULAR_TTL_MS: '600000',
    });
    const before = await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES });
    expect((await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES })).log!.cache).toBe('hit');

    const slug = await publishNew(gw);
    const mark = db.statements.length;
    const after = await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES });
    expect(after.log!.cache).toBe('miss');
    expect(after.json().data.latest.edges[0].node.slug).toBe(slug);
    expect(after.json().data.article).toEqual(before.json().data.article);
    // The page is one statement per root field (statements.test.ts: 6); of those only the list of
    // articles the new story is in (latest) is computed again. The story with its related
    // stories, Must Read (a collection that does not hold it), the editorials (it is news), Most
    // Popular and the edition stay stored.
    const page = db.statements.slice(mark).filter((sql) => !/WebhookEndpoint|COMMIT|StoryEvent/.test(sql));
    expect(page).toHaveLength(1);
    expect((await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES })).log!.cache).toBe('hit');
  });

  it('a publish or unpublish purges only the section fronts holding its section: the others stay stored, without SQL', async () => {
    const gw = await serve({
      RESPONSE_CACHE_TTL_MS: '600000',
      RESPONSE_CACHE_LIST_TTL_MS: '600000',
      RESPONSE_CACHE_POPULAR_TTL_MS: '600000',
    });
    const front = (slug: string) => send(gw, { query: SECTION_FRONT, variables: { slug } });
    const fronts = ['world', 'asia', 'business', 'europe'];
    for (const slug of fronts) expect((await front(slug)).response.status).toBe(200);
    for (const slug of fronts) expect((await front(slug)).log!.cache).toBe('hit');
    expect((await front('asia')).response.headers.get('surrogate-key')).toMatch(/(^| )ArticleList:Section:\d+( |$)/);

    // Published in Asia (World › Asia): World's and Asia's fronts are computed again and lead with
    // it; Business and Europe hold no story of Asia and are answered from memory, without SQL.
    const slug = await publishNew(gw);
    for (const held of ['world', 'asia']) {
      const read = await front(held);
      expect(read.statements, held).toBeGreaterThan(0);
      expect(read.json().data.section.articles.edges[0].node.slug, held).toBe(slug);
    }
    for (const other of ['business', 'europe']) {
      const read = await front(other);
      expect(read.log!.cache, other).toBe('hit');
      expect(read.statements, other).toBe(0);
    }

    // Taken down again: World's and Asia's fronts drop it, the others stay stored.
    const { id } = await db.prisma.article.findUniqueOrThrow({ where: { slug } });
    const unpublished = await mutate(gw, `mutation($id: ID!) { unpublishArticle(id: $id) { __typename } }`, {
      id: globalId('Article', id),
    });
    expect(unpublished.__typename).toBe('MutationUnpublishArticleSuccess');
    for (const held of ['world', 'asia']) {
      const read = await front(held);
      expect(read.statements, held).toBeGreaterThan(0);
      expect(read.json().data.section.articles.edges[0].node.slug, held).not.toBe(slug);
    }
    expect((await front('business')).log!.cache).toBe('hit');
  });

  it('a publish purges a collection’s list only when the story is in it; an unpublish every collection’s', async () => {
    const gw = await serve({
      RESPONSE_CACHE_TTL_MS: '600000',
      RESPONSE_CACHE_LIST_TTL_MS: '600000',
      RESPONSE_CACHE_POPULAR_TTL_MS: '600000',
    });
    // A draft picked for a collection of its own (the demo's Must Read does not hold it).
    const draft = await draftInAsia(gw);
    const { id: articleId } = await db.prisma.article.findUniqueOrThrow({ where: { slug: draft.slug } });
    const picks = await db.prisma.collection.create({
      data: { slug: `picks-${Date.now()}`, name: 'Picks', items: { create: [{ articleId, position: 0 }] } },
    });
    const collection = (slug: string) =>
      send(gw, { query: 'query($slug: String!) { collection(slug: $slug) { articles { slug } } }', variables: { slug } });
    expect((await collection(picks.slug)).json().data.collection.articles).toEqual([]);
    expect((await collection('must-read')).json().data.collection.articles.length).toBeGreaterThan(0);
    for (const slug of [picks.slug, 'must-read']) expect((await collection(slug)).log!.cache, slug).toBe('hit');

    // Published: Picks is computed again and shows it; Must Read stays stored.
    await publish(gw, draft.id);
    const picked = await collection(picks.slug);
    expect(picked.statements).toBeGreaterThan(0);
    expect(picked.json().data.collection.articles).toEqual([{ slug: draft.slug }]);
    const mustRead = await collection('must-read');
    expect(mustRead.log!.cache).toBe('hit');
    expect(mustRead.statements).toBe(0);

    // Taken down: every collection's list goes (Picks shows nothing again).
    const unpublished = await mutate(gw, `mutation($id: ID!) { unpublishArticle(id: $id) { __typename } }`, { id: draft.id });
    expect(unpublished.__typename).toBe('MutationUnpublishArticleSuccess');
    const after = await collection(picks.slug);
    expect(after.statements).toBeGreaterThan(0);
    expect(after.json().data.collection.articles).toEqual([]);
    expect((await collection('must-read')).statements).toBeGreaterThan(0);
  });

  it('a publish purges the lists filtered by kind only for its kind: editorials stay stored after a news story', async () => {
    const gw = await serve({
      RESPONSE_CACHE_TTL_MS: '600000',
      RESPONSE_CACHE_LIST_TTL_MS: '600000',
      RESPONSE_CACHE_POPULAR_TTL_MS: '600000',
    });
    const list = (kind?: string) =>
      send(gw, {
        query: 'query($filter: ArticleFilter) { articles(first: 3, filter: $filter) { edges { node { slug } } } }',
        variables: kind ? { filter: { kind: [kind] } } : {},
      });
    for (const kind of [undefined, 'EDITORIAL']) await list(kind);
    for (const kind of [undefined, 'EDITORIAL']) expect((await list(kind)).log!.cache, kind).toBe('hit');
    // A news story: Latest is computed again and leads with it; the editorials stay stored.
    const news = await publishNew(gw);
    const latest = await list();
    expect(latest.statements).toBeGreaterThan(0);
    expect(latest.json().data.articles.edges[0].node.slug).toBe(news);
    const editorials = await list('EDITORIAL');
    expect(editorials.log!.cache).toBe('hit');
    expect(editorials.statements).toBe(0);
    // An editorial: the editorials are computed again and lead with it.
    const draft = await draftInAsia(gw);
    const { version } = await db.prisma.article.findUniqueOrThrow({ where: { slug: draft.slug } });
    const edited = await mutate(
      gw,
      `mutation($id: ID!, $input: UpdateArticleInput!, $version: Int!) { updateArticle(id: $id, input: $input, version: $version) { __typename } }`,
      { id: draft.id, input: { kind: 'EDITORIAL' }, version },
    );
    expect(edited.__typename).toBe('MutationUpdateArticleSuccess');
    await publish(gw, draft.id);
    const after = await list('EDITORIAL');
    expect(after.statements).toBeGreaterThan(0);
    expect(after.json().data.articles.edges[0].node.slug).toBe(draft.slug);
  });

  it('an edit may move a story between sections: it purges every section front', async () => {
    const gw = await serve({
      RESPONSE_CACHE_TTL_MS: '600000',
      RESPONSE_CACHE_LIST_TTL_MS: '600000',
      RESPONSE_CACHE_POPULAR_TTL_MS: '600000',
    });
    const front = (slug: string) => send(gw, { query: SECTION_FRONT, variables: { slug } });
    const slug = await publishNew(gw);
    expect((await front('business')).json().data.section.articles.edges[0].node.slug).not.toBe(slug);
    expect((await front('business')).log!.cache).toBe('hit');
    const [{ id, version }, business] = await Promise.all([
      db.prisma.article.findUniqueOrThrow({ where: { slug } }),
      db.prisma.section.findUniqueOrThrow({ where: { slug: 'business' } }),
    ]);
    const updated = await mutate(
      gw,
      `mutation($id: ID!, $input: UpdateArticleInput!, $version: Int!) { updateArticle(id: $id, input: $input, version: $version) { __typename } }`,
      { id: globalId('Article', id), input: { section: globalId('Section', business.id) }, version },
    );
    expect(updated.__typename).toBe('MutationUpdateArticleSuccess');
    const read = await front('business');
    expect(read.statements).toBeGreaterThan(0);
    expect(read.json().data.section.articles.edges[0].node.slug).toBe(slug);
  });

  it('a repeated page is its joined parts again: same bytes and headers, 304 on its ETag, and never a part a purge removed', async () => {
    const gw = await serve({
      RESPONSE_CACHE_TTL_MS: '600000',
      RESPONSE_CACHE_LIST_TTL_MS: '600000',
      RESPONSE_CACHE_POPULAR_TTL_MS: '600000',
    });
    const first = await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES });
    const joined = await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES }); // joined from stored parts
    const remembered = await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES }); // the page remembered
    for (const repeat of [joined, remembered]) {
      expect(repeat.log!.cache).toBe('hit');
      expect(repeat.statements).toBe(0);
      expect(repeat.bytes.equals(first.bytes)).toBe(true);
      for (const header of ['etag', 'surrogate-key', 'cache-control', 'content-type', 'content-length'])
        expect(repeat.response.headers.get(header)).toBe(first.response.headers.get(header));
    }
    const etag = remembered.response.headers.get('etag')!;
    const notModified = await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES, headers: { 'if-none-match': etag } });
    expect(notModified.response.status).toBe(304);
    expect(notModified.statements).toBe(0);

    // A correction to the story purges the page's own part: the remembered page is not served.
    const text = `Correction ${Date.now()}: the remembered page must not hide it.`;
    expect(
      (
        await mutate(gw, 'mutation($id: ID!, $text: String!) { addCorrection(id: $id, text: $text) { __typename } }', {
          id: globalId('Article', mainStoryId),
          text,
        })
      ).__typename,
    ).toBe('MutationAddCorrectionSuccess');
    const corrected = await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES, headers: { 'if-none-match': etag } });
    expect(corrected.response.status).toBe(200);
    expect(corrected.bytes.toString()).toContain(text);
    expect(corrected.response.headers.get('etag')).not.toBe(etag);
    const again = await send(gw, { query: ARTICLE_PAGE, variables: PAGE_VARIABLES });
    expect(again.log!.cache).toBe('hit');
    expect(again.bytes.equals(corrected.bytes)).toBe(true);
  });
});
