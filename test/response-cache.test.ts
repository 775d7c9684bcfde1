// The response cache: anonymous results served from memory (no SQL), API keys never cached,
// ETag / 304, cache headers and surrogate keys, purges driven by story events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ArticleBySlugDocument, ArticlePageDocument } from '../src/generated/graphql/graphql.js';
import { createTestDatabase, createTestGateway, keyHeader, MAIN_STORY, testConfig, type TestGateway } from './helpers.js';

let gw: TestGateway;
let editor: Record<string, string>;
let mainStoryId: number;

beforeAll(async () => {
  const db = await createTestDatabase({ demo: true });
  // No outbox polling in the background: it would add statements to the counts. This gateway's
  // own mutations wake its hub at once (LiveHub.notify).
  gw = createTestGateway(db, testConfig({ RESPONSE_CACHE: 'true', OUTBOX_POLL_MS: '60000' }));
  await gw.live.ready();
  await new Promise((resolve) => setImmediate(resolve)); // the purge loop subscribes right after
  editor = await keyHeader(db, 'EDITOR');
  mainStoryId = (await db.prisma.article.findUniqueOrThrow({ where: { slug: MAIN_STORY } })).id;
});
afterAll(async () => {
  await gw?.live.stop();
  await gw?.db.dispose();
});

const PAGE_VARIABLES = { slug: MAIN_STORY, editionDate: '2025-03-01' };

async function post(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return gw.yoga.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
}

/** Runs one request and returns the response, its body and the SQL statements it caused. */
async function measured(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const before = gw.db.statements.length;
  const response = await post(query, variables, headers);
  const body = response.status === 304 ? null : await response.json();
  return { response, body, statements: gw.db.statements.length - before };
}

const mutate = async (document: string, variables: Record<string, unknown>) => {
  const body = await (await post(document, variables, editor)).json();
  expect(body.errors).toBeUndefined();
  return Object.values(body.data)[0] as { __typename: string };
};

/** The data of an anonymous query. */
const read = async (query: string, variables: Record<string, unknown> = {}) => (await (await post(query, variables)).json()).data;

describe('configuration', () => {
  it('is on by default, off under NODE_ENV=test unless asked for, with shorter TTLs for lists', () => {
    const config = loadConfig({});
    expect(config.responseCache).toEqual({
      enabled: true,
      ttlMs: 300_000,
      listTtlMs: 30_000,
      popularTtlMs: 10_000,
      maxEntries: 20_000,
      maxBytes: 256 * 1024 * 1024,
      maxResults: 1000,
    });
    expect(loadConfig({ NODE_ENV: 'test' }).responseCache.enabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test', RESPONSE_CACHE: 'true' }).responseCache.enabled).toBe(true);
    expect(loadConfig({ RESPONSE_CACHE: 'false' }).responseCache.enabled).toBe(false);
  });
});

describe('anonymous readers', () => {
  it('a second identical query is answered from memory: 0 SQL statements, same body', async () => {
    const first = await measured(ArticlePageDocument.toString(), PAGE_VARIABLES);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.article.headline).toBeTruthy();
    expect(first.statements).toBeGreaterThan(0);
    const second = await measured(ArticlePageDocument.toString(), PAGE_VARIABLES);
    expect(second.statements).toBe(0);
    expect(second.body).toEqual(first.body);
    // Other variables are another entry.
    const other = await measured(ArticlePageDocument.toString(), { ...PAGE_VARIABLES, latest: 3 });
    expect(other.statements).toBeGreaterThan(0);
    expect(other.body.data.latest.edges).toHaveLength(3);
  });

  it('cacheable results carry Cache-Control by their TTL, Age, Vary, an ETag and surrogate keys', async () => {
    await post(ArticlePageDocument.toString(), PAGE_VARIABLES);
    const page = await post(ArticlePageDocument.toString(), PAGE_VARIABLES);
    // The page holds mostPopular: the shortest TTL (10 s) decides.
    expect(page.headers.get('cache-control')).toBe('public, max-age=10, stale-while-revalidate=10');
    expect(Number(page.headers.get('age'))).toBeGreaterThanOrEqual(0);
    expect(page.headers.get('vary')).toMatch(/Authorization/i);
    expect(page.headers.get('etag')).toMatch(/^[0-9a-f]{64}\.[0-9a-f]{16}$/);
    const section = await gw.db.prisma.article.findUniqueOrThrow({ where: { id: mainStoryId }, select: { sectionId: true } });
    const keys = page.headers.get('surrogate-key')!.split(' ');
    expect(keys).toEqual(
      expect.arrayContaining([`Article:${mainStoryId}`, `Section:${section.sectionId}`, 'ArticleList', 'Section', 'Edition']),
    );

    const list = await post('{ articles(first: 3) { edges { node { headline } } } }');
    expect(list.headers.get('cache-control')).toBe('public, max-age=30, stale-while-revalidate=30');
    const one = await post(`{ article(slug: "${MAIN_STORY}") { headline section { name } } }`);
    expect(one.headers.get('cache-control')).toBe('public, max-age=300, stale-while-revalidate=300');
  });

  it('If-None-Match with the ETag is a 304 without SQL; an unknown ETag gets the full answer', async () => {
    const query = `{ article(slug: "${MAIN_STORY}") { headline dateline } }`;
    const first = await post(query);
    const etag = first.headers.get('etag')!;
    expect(etag).toBeTruthy();
    const before = gw.db.statements.length;
    const revalidated = await gw.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'if-none-match': etag },
      body: JSON.stringify({ query }),
    });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect(revalidated.headers.get('cache-control')).toMatch(/^public, max-age=300/);
    expect(gw.db.statements.length).toBe(before);
    const unknown = await measured(query, {}, { 'if-none-match': '0'.repeat(64) });
    expect(unknown.response.status).toBe(200);
    expect(unknown.body.data.article.headline).toBeTruthy();
  });

  it('mutations are never cached: each recordRead runs', async () => {
    const id = Buffer.from(`Article:${mainStoryId}`).toString('base64');
    const reads = () =>
      gw.db.prisma.articleRead.aggregate({ where: { articleId: mainStoryId }, _sum: { count: true } }).then((r) => r._sum.count ?? 0);
    const before = await reads();
    for (let i = 0; i < 2; i++) {
      const response = await post('mutation($id: ID!) { recordRead(id: $id) }', { id });
      expect((await response.json()).data.recordRead).toBe(true);
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
    expect(await reads()).toBe(before + 2);
  });
});

describe('memory', () => {
  it('keeps at most RESPONSE_CACHE_MAX_RESULTS results; the least recently used is computed again', async () => {
    const small = createTestGateway(
      gw.db,
      testConfig({ RESPONSE_CACHE: 'true', RESPONSE_CACHE_MAX_RESULTS: '2', OUTBOX_POLL_MS: '60000' }),
    );
    try {
      await small.live.ready();
      await new Promise((resolve) => setImmediate(resolve));
      const ask = async (query: string) => {
        const before = gw.db.statements.length;
        const response = await small.yoga.fetch('http://gateway.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        });
        expect((await response.json()).errors).toBeUndefined();
        return gw.db.statements.length - before;
      };
      const [a, b, c] = ['{ sections { slug } }', `{ article(slug: "${MAIN_STORY}") { headline } }`, '{ tags(first: 3) { totalCount } }'];
      for (const query of [a, b, c]) expect(await ask(query)).toBeGreaterThan(0);
      expect(await ask(c)).toBe(0);
      expect(await ask(b)).toBe(0);
      expect(await ask(a)).toBeGreaterThan(0); // the oldest of three went
    } finally {
      await small.live.stop();
    }
  });
});

describe('API keys', () => {
  it('a keyed request is never served from the cache nor stored in it, and is private', async () => {
    const query = `{ article(slug: "${MAIN_STORY}") { headline kind } }`;
    await post(query);
    expect((await measured(query)).statements).toBe(0); // cached for readers
    for (let i = 0; i < 2; i++) {
      const keyed = await measured(query, {}, editor);
      expect(keyed.statements).toBeGreaterThan(0);
      expect(keyed.response.headers.get('cache-control')).toBe('private, no-store');
      expect(keyed.response.headers.get('etag')).toBeNull();
      expect(keyed.response.headers.get('surrogate-key')).toBeNull();
    }
    // Nothing a key asked for lands in the cache.
    const keyedOnly = `{ article(slug: "${MAIN_STORY}") { headline status version } }`;
    await measured(keyedOnly, {}, editor);
    expect((await measured(keyedOnly, {}, editor)).statements).toBeGreaterThan(0);
    expect((await measured(keyedOnly)).statements).toBeGreaterThan(0);
    // And an If-None-Match with a key is no 304.
    const etag = (await post(query)).headers.get('etag')!;
    const revalidated = await post(query, {}, { ...editor, 'if-none-match': etag });
    expect(revalidated.status).toBe(200);
  });
});

describe('purges on story events', () => {
  it('a correction is visible on the very next request after the mutation answered', async () => {
    const variables = { slug: MAIN_STORY };
    const text = `Correction ${Date.now()}: an earlier version misstated the date.`;
    await post(ArticleBySlugDocument.toString(), variables);
    expect((await measured(ArticleBySlugDocument.toString(), variables)).statements).toBe(0);
    await post(ArticlePageDocument.toString(), PAGE_VARIABLES);

    const id = Buffer.from(`Article:${mainStoryId}`).toString('base64');
    const result = await mutate('mutation($id: ID!, $text: String!) { addCorrection(id: $id, text: $text) { __typename } }', { id, text });
    expect(result.__typename).toBe('MutationAddCorrectionSuccess');
    // The mutation answers once this gateway purged what it made stale: no waiting, no retries.
    const hasIt = (data: any) => data.article.corrections.some((c: { text: string }) => c.text === text);
    expect(hasIt(await read(ArticleBySlugDocument.toString(), variables))).toBe(true);
    expect(hasIt(await read(ArticlePageDocument.toString(), PAGE_VARIABLES))).toBe(true);
  });

  it('a client revalidating with the ETag it got before a correction gets the corrected story, not a 304', async () => {
    const query = `{ article(slug: "${MAIN_STORY}") { corrections { text } } }`;
    const before = await post(query);
    const etag = before.headers.get('etag')!;
    expect((await post(query, {}, { 'if-none-match': etag })).status).toBe(304);
    const text = `Correction ${Date.now()}: revalidated, not kept.`;
    const id = Buffer.from(`Article:${mainStoryId}`).toString('base64');
    await mutate('mutation($id: ID!, $text: String!) { addCorrection(id: $id, text: $text) { __typename } }', { id, text });
    await read(query); // computed and stored again under the same cache key
    const revalidated = await post(query, {}, { 'if-none-match': etag });
    expect(revalidated.status).toBe(200);
    expect(JSON.stringify(await revalidated.json())).toContain(text);
    const fresh = revalidated.headers.get('etag')!;
    expect(fresh).not.toBe(etag);
    expect(fresh.split('.')[0]).toBe(etag.split('.')[0]); // the same cache key, another content
    expect((await post(query, {}, { 'if-none-match': fresh })).status).toBe(304);
  });

  it('another gateway on the same database purges its own cache from the outbox', async () => {
    const other = createTestGateway(gw.db, testConfig({ RESPONSE_CACHE: 'true', OUTBOX_POLL_MS: '100' }));
    try {
      await other.live.ready();
      await new Promise((resolve) => setImmediate(resolve));
      const query = `{ article(slug: "${MAIN_STORY}") { corrections { text } } }`;
      const ask = () =>
        other.yoga.fetch('http://gateway.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        });
      await ask();
      expect((await ask()).headers.get('age')).not.toBeNull(); // cached there
      const text = `Correction ${Date.now()}: seen by every gateway.`;
      const id = Buffer.from(`Article:${mainStoryId}`).toString('base64');
      await mutate('mutation($id: ID!, $text: String!) { addCorrection(id: $id, text: $text) { __typename } }', { id, text }); // on `gw`
      const start = Date.now();
      await expect.poll(async () => JSON.stringify(await (await ask()).json()), { timeout: 2000, interval: 20 }).toContain(text);
      expect(Date.now() - start).toBeLessThan(2000);
    } finally {
      await other.live.stop();
    }
  });

  it('an unpublished story leaves cached lists and its cached page at once; published again, it is back', async () => {
    const story = await gw.db.prisma.article.findFirstOrThrow({
      where: { status: 'PUBLISHED', NOT: { id: mainStoryId } },
      orderBy: { publishedAt: 'desc' },
    });
    const id = Buffer.from(`Article:${story.id}`).toString('base64');
    const list = '{ articles(first: 100) { totalCount edges { node { slug } } } }';
    const page = `query($slug: String!) { article(slug: $slug) { slug headline } }`;
    const inList = (data: any) => data.articles.edges.some((e: { node: { slug: string } }) => e.node.slug === story.slug);
    for (const [query, variables] of [
      [list, {}],
      [page, { slug: story.slug }],
    ] as const) {
      await post(query, variables);
      expect((await measured(query, variables)).statements).toBe(0);
    }
    expect(inList(await read(list))).toBe(true);

    expect((await mutate('mutation($id: ID!) { unpublishArticle(id: $id) { __typename } }', { id })).__typename).toBe(
      'MutationUnpublishArticleSuccess',
    );
    expect(inList(await read(list))).toBe(false);
    expect((await read(page, { slug: story.slug })).article).toBeNull();

    // The cached null and the shorter list go when it is published again.
    expect((await measured(page, { slug: story.slug })).statements).toBe(0);
    expect((await mutate('mutation($id: ID!) { publishArticle(id: $id) { __typename } }', { id })).__typename).toBe(
      'MutationPublishArticleSuccess',
    );
    expect((await read(page, { slug: story.slug })).article?.slug).toBe(story.slug);
    expect(inList(await read(list))).toBe(true);
  });
});
