// Bad input gets a clear, typed error; internals never reach the client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import { pino } from 'pino';
import WebSocket from 'ws';
import { createLogger } from '../src/logger.js';
import { createGateway } from '../src/server/gateway.js';
import { serveGateway } from '../src/server/start.js';
import {
  createDemoGateway,
  createTestDatabase,
  createTestGateway,
  keyHeader,
  MAIN_STORY,
  testConfig,
  type TestGateway,
} from './helpers.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createDemoGateway();
});
afterAll(() => gw?.db.dispose());

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function post(body: unknown, accept = 'application/graphql-response+json') {
  const response = await gw.yoga.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

describe('bad input', () => {
  it("a malformed document is a 400 with the parser's message", async () => {
    const { status, text } = await post({ query: '{ articles(first: 2) { edges { node { slug } }' });
    expect(status).toBe(400);
    expect(JSON.parse(text).errors[0].message).toMatch(/Syntax Error/);
  });

  it('an unknown field or a wrongly typed variable is a 400 validation error', async () => {
    const unknown = await post({ query: '{ articles { edges { node { password } } } }' });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).errors[0].message).toMatch(/Cannot query field "password"/);
    const typed = await post({ query: 'query($n: Int) { articles(first: $n) { totalCount } }', variables: { n: 'ten' } });
    expect(typed.status).toBe(400);
    expect(JSON.parse(typed.text).errors[0].message).toMatch(/\$n/);
  });

  it('a body that is not JSON is a 400', async () => {
    const { status } = await post('{"query": ');
    expect(status).toBe(400);
  });

  it('malformed, wrongly typed and out-of-range global ids are INVALID_ID', async () => {
    const { article } = (await gw.query(`{ article(slug: "${MAIN_STORY}") { section { id } } }`)).data!;
    for (const id of [
      'not-base64!',
      b64('Article'),
      b64('Article:abc'),
      b64('Article:-1'),
      b64('Article:99999999999'),
      article.section.id,
    ]) {
      const response = await gw.query(`query($id: ID!) { article(id: $id) { slug } }`, { id });
      expect(response.errors?.[0]?.extensions?.code, id).toBe('INVALID_ID');
      expect(response.data?.article ?? null).toBeNull();
      const node = await gw.query(`query($id: ID!) { node(id: $id) { id } }`, { id });
      if (id !== article.section.id) expect(node.errors?.[0]?.extensions?.code, id).toBe('INVALID_ID');
    }
  });

  it('node and nodes: an unknown id of any type is null; an id of a type without ids is INVALID_ID', async () => {
    for (const type of ['Article', 'Section', 'Author', 'Tag', 'Edition', 'Collection', 'ApiKey']) {
      const id = b64(`${type}:999999`);
      expect(await gw.query(`query($id: ID!) { node(id: $id) { id } }`, { id }), type).toEqual({ data: { node: null } });
      expect(await gw.query(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [id] }), type).toEqual({ data: { nodes: [null] } });
      for (const bad of [b64(`${type}:abc`), b64(`${type}:2147483648`), b64(`${type}:-1`)]) {
        const response = await gw.query(`query($id: ID!) { node(id: $id) { id } }`, { id: bad });
        expect(response.errors?.[0]?.extensions?.code, Buffer.from(bad, 'base64').toString()).toBe('INVALID_ID');
      }
    }
    for (const type of ['Foo', 'Revision', 'Query', 'Node', '__Schema', '']) {
      const id = b64(`${type}:1`);
      for (const query of [`query($id: ID!) { node(id: $id) { id } }`, `query($id: ID!) { nodes(ids: [$id]) { id } }`]) {
        const response = await gw.query(query, { id });
        expect(
          response.errors?.map((e) => e.extensions?.code),
          `${type} ${query}`,
        ).toEqual(['INVALID_ID']);
      }
    }
  });

  it('a cursor that is not one of ours is INVALID_CURSOR', async () => {
    for (const after of ['garbage', b64('newest:[1,"x"]'), b64('other:[1,2]')]) {
      const response = await gw.query(`query($after: String) { articles(first: 2, after: $after) { totalCount } }`, { after });
      expect(response.errors?.[0]?.extensions?.code, after).toBe('INVALID_CURSOR');
    }
  });

  it('keyset and offset cursors out of range are INVALID_CURSOR, on every list', async () => {
    for (const after of [
      b64('newest:[1e400,1]'),
      b64('newest:[1,2147483648]'),
      b64('newest:[1e17,1]'),
      b64('newest:[-1e17,1]'),
      b64('newest:[1.5,1]'),
      b64('newest:[1,0]'),
    ]) {
      const response = await gw.query(`query($after: String) { articles(first: 2, after: $after) { totalCount } }`, { after });
      expect(
        response.errors?.map((e) => e.extensions?.code),
        after,
      ).toEqual(['INVALID_CURSOR']);
    }
    const admin = await keyHeader(gw.db, 'ADMIN');
    const offsetLists = [
      `query($after: String) { list: search(query: "china", first: 2, after: $after) { totalCount } }`,
      `query($after: String) { list: articles(first: 2, orderBy: MOST_READ, after: $after) { totalCount } }`,
      `query($after: String) { list: editions(first: 2, after: $after) { totalCount } }`,
      `query($after: String) { list: desk(first: 2, after: $after) { totalCount } }`,
    ];
    for (const document of offsetLists) {
      for (const after of [
        b64('OffsetConnection:99999999999999999999'),
        b64('OffsetConnection:2147483648'),
        b64('OffsetConnection:-1'),
        b64('OffsetConnection:1e300'),
        b64('newest:[1,2]'),
        'garbage!',
      ]) {
        const response = await gw.query(document, { after }, admin);
        expect(
          response.errors?.map((e) => e.extensions?.code),
          `${document} ${after}`,
        ).toEqual(['INVALID_CURSOR']);
      }
      // Far beyond the end, but a number the database takes: an empty page.
      const beyond = await gw.query(document, { after: b64('OffsetConnection:2147483646') }, admin);
      expect(beyond.errors, document).toBeUndefined();
    }
  });

  it('an empty slug finds nothing: null, not an error', async () => {
    const response = await gw.query(
      `{ edition(slug: "") { name } article(slug: "") { slug } section(slug: "") { name } author(slug: "") { name }
         tag(slug: "") { name } collection(slug: "") { name } }`,
    );
    expect(response).toEqual({
      data: { edition: null, article: null, section: null, author: null, tag: null, collection: null },
    });
  });

  it('a NUL byte in any string, as a variable or a literal, in queries and mutations, is BAD_USER_INPUT', async () => {
    const nul = 'a\u0000b';
    const queries: [string, Record<string, unknown>][] = [
      ['query($v: String!) { search(query: $v) { totalCount } }', { v: nul }],
      ['query($v: String!) { article(slug: $v) { slug } }', { v: nul }],
      ['query($v: String!) { edition(slug: $v) { name } }', { v: nul }],
      ['query($v: String!) { section(slug: $v) { name } author(slug: "x") { name } }', { v: nul }],
      ['query($v: String!) { tag(slug: $v) { name } }', { v: nul }],
      ['query($v: String!) { collection(slug: $v) { name } }', { v: nul }],
      ['query($v: ID!) { node(id: $v) { id } }', { v: nul }],
      ['query($v: [ID!]!) { nodes(ids: $v) { id } }', { v: ['QXJ0aWNsZTox', nul] }],
      ['query($f: ArticleFilter) { articles(first: 1, filter: $f) { totalCount } }', { f: { tag: nul } }],
      ['query($f: ArticleFilter) { articles(first: 1, filter: $f) { totalCount } }', { f: { section: nul } }],
      ['query($f: ArticleFilter) { articles(first: 1, filter: $f) { totalCount } }', { f: { author: nul } }],
      ['query($f: ArticleFilter) { articles(first: 1, filter: $f) { totalCount } }', { f: { edition: nul } }],
      ['query($f: ArticleFilter) { search(query: "china", filter: $f) { totalCount } }', { f: { tag: nul } }],
      ['query($v: String) { articles(first: 1, after: $v) { totalCount } }', { v: nul }],
      ['{ search(query: "a\\u0000b") { totalCount } }', {}],
      ['{ articles(first: 1, filter: { tag: "\\u0000" }) { totalCount } }', {}],
      ['{ article(slug: "x\\u0000") { slug } }', {}],
    ];
    for (const [document, variables] of queries) {
      const response = await gw.query(document, variables);
      expect(
        response.errors?.map((e) => e.extensions?.code),
        document,
      ).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.message).toMatch(/NUL/);
    }
    // A mutation with a NUL anywhere in its input writes nothing.
    const editor = await keyHeader(gw.db, 'EDITOR');
    const section = (await gw.query(`{ sections { id } }`)).data.sections[0].id;
    const before = await gw.db.prisma.article.count();
    for (const input of [
      { headline: nul, section },
      { headline: 'Fine', section, body: `text ${nul}` },
      { headline: 'Fine', section, heroMedia: { url: 'https://x.test/a.jpg', caption: nul } },
    ]) {
      const response = await gw.query(
        `mutation($input: CreateDraftInput!) { createDraft(input: $input) { __typename } }`,
        { input },
        editor,
      );
      expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await gw.db.prisma.article.count()).toBe(before);
    // Over GET as well, whatever the Accept header: 400.
    for (const accept of ['application/graphql-response+json', 'application/json']) {
      const query = encodeURIComponent('query($v: String!) { article(slug: $v) { slug } }');
      const response = await gw.yoga.fetch(
        `http://gateway.test/graphql?query=${query}&variables=${encodeURIComponent(JSON.stringify({ v: nul }))}`,
        {
          headers: { accept, 'graphql-preflight': '1' },
        },
      );
      expect(response.status, accept).toBe(400);
      expect((await response.json()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('the same rules hold over graphql-ws: NUL bytes, cursors and ids of queries and subscriptions', async () => {
    const running = await serveGateway({
      config: testConfig({ PORT: '0', HOST: '127.0.0.1', SCHEDULER_INTERVAL_MS: '0', POPULARITY_REFRESH_MS: '0' }),
      db: gw.db,
      logger: createLogger('silent'),
    });
    const client = createClient({ url: running.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const codesOf = async (query: string, variables: Record<string, unknown>) => {
        const codes: unknown[] = [];
        try {
          for await (const result of client.iterate({ query, variables }))
            codes.push(...(result.errors ?? []).map((e) => e.extensions?.code));
        } catch (errors) {
          codes.push(...(errors as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code));
        }
        return codes;
      };
      const cases: [string, Record<string, unknown>, string][] = [
        ['query($v: String!) { article(slug: $v) { slug } }', { v: 'a\u0000' }, 'BAD_USER_INPUT'],
        ['subscription($s: String) { storiesPublished(section: $s) { eventId } }', { s: 'a\u0000' }, 'BAD_USER_INPUT'],
        ['subscription { storiesPublished(tag: "\\u0000") { eventId } }', {}, 'BAD_USER_INPUT'],
        ['query($a: String) { articles(first: 1, after: $a) { totalCount } }', { a: b64('newest:[1e400,1]') }, 'INVALID_CURSOR'],
        ['query($id: ID!) { node(id: $id) { id } }', { id: b64('Foo:1') }, 'INVALID_ID'],
      ];
      for (const [query, variables, code] of cases) expect(await codesOf(query, variables), query).toEqual([code]);
    } finally {
      await client.dispose();
      await running.stop();
    }
  });

  it('a GET whose variables or extensions are not JSON is a 400 BAD_REQUEST, whatever the Accept header', async () => {
    const query = encodeURIComponent('query($id: ID!) { node(id: $id) { id } }');
    for (const accept of ['application/graphql-response+json', 'application/json', '*/*']) {
      for (const param of ['variables', 'extensions']) {
        for (const value of ['}', '{"a":', '{"query": "{ __typename }"}garbage', "{'a': 1}", '\ufeff{}']) {
          const response = await gw.yoga.fetch(`http://gateway.test/graphql?query=${query}&${param}=${encodeURIComponent(value)}`, {
            headers: { accept, 'graphql-preflight': '1' },
          });
          expect(response.status, `${accept} ${param}=${value}`).toBe(400);
          const body = await response.json();
          expect(body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['BAD_REQUEST']);
          expect(body.errors[0].message).toContain(param);
        }
      }
    }
  });

  it('asking for an article by both id and slug (or neither) is a typed input error', async () => {
    for (const args of ['', `(slug: "${MAIN_STORY}", id: "${b64('Article:1')}")`]) {
      const response = await gw.query(`{ article${args} { slug } }`);
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('an invalid date in a filter names the problem', async () => {
    const response = await gw.query(`{ articles(first: 1, filter: { publishedAfter: "yesterday" }) { totalCount } }`);
    expect(response.errors?.[0]?.message).toMatch(/DateTime/);
  });
});

describe('logs', () => {
  it("the client's mistakes are logged at info, without a stack; never at error", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const logged = createGateway({ config: testConfig(), db: gw.db, logger });
    const send = (body: unknown) =>
      logged.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify(body),
      });
    const bad = [
      { query: 'query($id: ID!) { node(id: $id) { id } }', variables: { id: b64('Foo:1') } },
      { query: 'query($id: ID!) { article(id: $id) { slug } }', variables: { id: 'not-base64!' } },
      { query: 'query($id: ID!) { article(id: $id) { slug } }', variables: { id: b64('Article:2147483648') } },
      { query: 'query($a: String) { articles(after: $a) { totalCount } }', variables: { a: b64('newest:[1e400,1]') } },
      { query: 'query($a: String) { search(query: "x", after: $a) { totalCount } }', variables: { a: b64('OffsetConnection:x') } },
      { query: 'query($v: String!) { search(query: $v) { totalCount } }', variables: { v: '\u0000' } },
      { query: '{ apiKeys { name } }' },
      { query: '{ articles(first: 1000) { totalCount } }' },
    ];
    for (const body of bad) expect((await send(body)).status).toBeLessThan(500);
    await logged.yoga.fetch(`http://gateway.test/graphql?query=${encodeURIComponent('{ __typename }')}&variables=%7D`, {
      headers: { 'graphql-preflight': '1' },
    });
    expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
    expect(lines.filter((line) => JSON.stringify(line).includes('stack'))).toEqual([]);
    const codes = lines.filter((line) => line.msg === 'client error').map((line) => line.code);
    // Every error that was logged (those that execution or validation raise themselves are not) is a line without a stack.
    expect([...new Set(codes)].sort()).toEqual(['BAD_REQUEST', 'FORBIDDEN', 'INVALID_CURSOR', 'INVALID_ID', 'PAGE_SIZE_TOO_LARGE']);
    expect(lines.filter((line) => line.msg === 'client error').every((line) => line.level === 30)).toBe(true);
  });
});

describe('failures inside the gateway', () => {
  it('are masked: no stack trace, SQL or file path reaches the client', async () => {
    const db = await createTestDatabase();
    const broken = createTestGateway(db);
    await db.dispose();
    const response = await broken.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ articles(first: 2) { totalCount edges { node { slug } } } }' }),
    });
    const text = await response.text();
    const body = JSON.parse(text);
    expect(body.errors[0]).toEqual({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
      locations: expect.any(Array),
      path: expect.any(Array),
    });
    expect(text).not.toMatch(/SELECT|prisma|\.ts:|at .*\(|node_modules|stack/i);
  });
});
