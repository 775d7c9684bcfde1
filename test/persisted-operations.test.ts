// Persisted operations: the codegen manifest's hashes run, unknown ones are refused, automatic
// persisted queries register by hash + query, `only` mode runs the manifest and nothing else,
// and persisted GETs are cacheable.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as typed from '../src/generated/graphql/graphql.js';
import { ArticlePageDocument, FrontPageDocument } from '../src/generated/graphql/graphql.js';
import { loadManifest } from '../src/server/persisted-operations.js';
import { createTestDatabase, createTestGateway, MAIN_STORY, testConfig, type TestDatabase, type TestGateway } from './helpers.js';

const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hashOf = (document: { __meta__?: Record<string, any> }) => (document.__meta__!.hash as string).replace(/^sha256:/, '');
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const PAGE_VARIABLES = { slug: MAIN_STORY, editionDate: '2025-03-01' };

let db: TestDatabase;
let allow: TestGateway;
let only: TestGateway;

beforeAll(async () => {
  db = await createTestDatabase({ demo: true });
  allow = createTestGateway(db, testConfig({ RESPONSE_CACHE: 'true', OUTBOX_POLL_MS: '60000' }));
  only = createTestGateway(db, testConfig({ PERSISTED_OPERATIONS: 'only' }));
  await allow.live.ready();
  await new Promise((resolve) => setImmediate(resolve)); // the cache's purge loop subscribes
});
afterAll(async () => {
  await allow?.live.stop();
  await only?.live.stop();
  await db?.dispose();
});

async function post(gw: TestGateway, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await gw.yoga.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

async function get(gw: TestGateway, params: Record<string, unknown>, headers: Record<string, string> = {}) {
  const url = new URL('http://gateway.test/graphql');
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  const response = await gw.yoga.fetch(url, { headers: { accept: GRAPHQL_RESPONSE, ...headers } });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('the codegen manifest', () => {
  it('holds every typed operation under its SHA-256, as the document it hashes', () => {
    const manifest = loadManifest();
    const documents = Object.values(typed).filter(
      (value): value is typeof ArticlePageDocument => value instanceof String && 'hash' in ((value as any).__meta__ ?? {}),
    );
    expect(documents.length).toBeGreaterThanOrEqual(7);
    for (const document of documents) {
      const text = manifest.get(hashOf(document));
      expect(text, document.toString().slice(0, 40)).toBeDefined();
      expect(sha256(text!)).toBe(hashOf(document));
    }
  });
});

describe('PERSISTED_OPERATIONS=allow (default)', () => {
  it("runs the manifest's ArticlePage by hash, or by documentId", async () => {
    const byHash = await post(allow, { extensions: persisted(hashOf(ArticlePageDocument)), variables: PAGE_VARIABLES });
    expect(byHash.status).toBe(200);
    expect(byHash.body.errors).toBeUndefined();
    expect(byHash.body.data.article.slug).toBe(MAIN_STORY);
    expect(byHash.body.data.mostPopular.length).toBeGreaterThan(0);
    const byId = await post(allow, { documentId: `sha256:${hashOf(ArticlePageDocument)}`, variables: PAGE_VARIABLES });
    expect(byId.body).toEqual(byHash.body);
  });

  it('refuses an unknown hash with PersistedQueryNotFound (what APQ clients retry on)', async () => {
    const unknown = await post(allow, { extensions: persisted('0'.repeat(64)) });
    expect(unknown.status).toBe(200);
    expect(unknown.body.data).toBeUndefined();
    expect(unknown.body.errors[0]).toMatchObject({ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });
    expect(unknown.headers.get('cache-control')).toBe('no-store');
  });

  it('automatic persisted queries: hash alone is not found, hash + query registers, then the hash runs', async () => {
    const query = `query Apq { articles(first: 2, filter: { kind: [NEWS] }) { totalCount edges { node { slug } } } }`;
    const hash = sha256(query);
    const first = await post(allow, { extensions: persisted(hash) });
    expect(first.body.errors[0].message).toBe('PersistedQueryNotFound');
    const registered = await post(allow, { query, extensions: persisted(hash) });
    expect(registered.body.errors).toBeUndefined();
    expect(registered.body.data.articles.edges).toHaveLength(2);
    const again = await post(allow, { extensions: persisted(hash) });
    expect(again.body).toEqual(registered.body);
    // A hash that is not the query's is refused, and registers nothing.
    const wrong = await post(allow, { query: '{ sections { slug } }', extensions: persisted('1'.repeat(64)) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
    expect((await post(allow, { extensions: persisted('1'.repeat(64)) })).body.errors[0].message).toBe('PersistedQueryNotFound');
  });

  it('still runs any document, and a request with neither query nor hash is a 400', async () => {
    const plain = await post(allow, { query: '{ sections { slug } }' });
    expect(plain.body.data.sections.length).toBeGreaterThan(0);
    const empty = await post(allow, { variables: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.errors[0].message).toMatch(/query/i);
  });
});

describe('persisted GET', () => {
  const params = { extensions: persisted(hashOf(ArticlePageDocument)), variables: PAGE_VARIABLES };

  it('runs with a preflight header and is cacheable: Cache-Control public, served from memory', async () => {
    const first = await get(allow, params, { 'graphql-preflight': '1' });
    expect(first.status).toBe(200);
    expect(first.body.data.article.slug).toBe(MAIN_STORY);
    expect(first.headers.get('cache-control')).toMatch(/^public, max-age=\d+, stale-while-revalidate=\d+$/);
    expect(first.headers.get('etag')).toBeTruthy();
    const before = db.statements.length;
    const second = await get(allow, params, { 'graphql-preflight': '1' });
    expect(db.statements.length).toBe(before);
    expect(second.body).toEqual(first.body);
    // documentId works in the URL too (yoga's GET parser ignores it; the gateway reads it).
    const byId = await get(
      allow,
      { documentId: `sha256:${hashOf(ArticlePageDocument)}`, variables: PAGE_VARIABLES },
      { 'graphql-preflight': '1' },
    );
    expect(byId.body).toEqual(first.body);
  });

  it('without a preflight header (or a JSON Content-Type) a GET is refused by CSRF prevention, as documented', async () => {
    const bare = await get(allow, params);
    expect(bare.status).toBe(403);
    expect(bare.body.errors[0].extensions.code).toBe('CSRF_HEADER_REQUIRED');
    const json = await get(allow, params, { 'content-type': 'application/json' }); // what Apollo Client sends
    expect(json.status).toBe(200);
  });
});

describe('PERSISTED_OPERATIONS=only', () => {
  it('refuses a document that is not in the manifest, with a clear error', async () => {
    const plain = await post(only, { query: '{ sections { slug } }' });
    expect(plain.status).toBe(400);
    expect(plain.body.data).toBeUndefined();
    expect(plain.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_ONLY');
    expect(plain.body.errors[0].message).toMatch(/persisted operations only/);
  });

  it("runs the manifest's operations by hash, and refuses unknown hashes and APQ registration", async () => {
    const page = await post(only, { extensions: persisted(hashOf(ArticlePageDocument)), variables: PAGE_VARIABLES });
    expect(page.body.errors).toBeUndefined();
    expect(page.body.data.article.slug).toBe(MAIN_STORY);
    const unknown = await post(only, { extensions: persisted('0'.repeat(64)) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const query = '{ sections { slug } }';
    const register = await post(only, { query, extensions: persisted(sha256(query)) });
    expect(register.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_ONLY');
    expect((await post(only, { extensions: persisted(sha256(query)) })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
  });

  it('a trusted document sent as text (what the typed front page sends) runs', async () => {
    const front = await post(only, { query: FrontPageDocument.toString() });
    expect(front.body.errors).toBeUndefined();
    expect(front.body.data.latest.edges.length).toBeGreaterThan(0);
    const normalised = loadManifest().get(hashOf(ArticlePageDocument))!;
    const page = await post(only, { query: normalised, variables: PAGE_VARIABLES });
    expect(page.body.data.article.slug).toBe(MAIN_STORY);
  });
});
