// Bad input gets a clear, typed error; internals never reach the client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoGateway, createTestDatabase, createTestGateway, MAIN_STORY, type TestGateway } from './helpers.js';

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
