// The author and topic indexes: `authors` and `tags` as connections with totalCount and each one's
// count of published articles; readers without a key see only those with a published article;
// a page costs the same statements whatever its size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoGateway, keyHeader, type TestGateway } from './helpers.js';

let gw: TestGateway;
let editor: Record<string, string>;

beforeAll(async () => {
  gw = await createDemoGateway();
  editor = await keyHeader(gw.db, 'EDITOR');
  // An author and a tag known only from a draft: nothing a reader may learn of yet.
  const { prisma } = gw.db;
  const section = await prisma.section.findUniqueOrThrow({ where: { slug: 'business' } });
  const author = await prisma.author.create({ data: { slug: 'new-hire', name: 'A New Hire', kind: 'STAFF' } });
  const tag = await prisma.tag.create({ data: { slug: 'secret-merger', name: 'A secret merger', kind: 'TOPIC' } });
  await prisma.article.create({
    data: {
      slug: 'merger-draft',
      headline: 'Merger draft',
      body: 'Not yet.',
      status: 'DRAFT',
      sectionId: section.id,
      bylines: { create: { authorId: author.id, position: 0, role: 'AUTHOR' } },
      tags: { create: { tagId: tag.id } },
    },
  });
}, 120_000);
afterAll(() => gw?.db.dispose());

const AUTHORS = `query($first: Int, $after: String, $kind: [AuthorKind!]) {
  authors(first: $first, after: $after, kind: $kind) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { slug name kind articleCount } }
  }
}`;
const TAGS = `query($first: Int, $after: String, $kind: [TagKind!]) {
  tags(first: $first, after: $after, kind: $kind) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { slug name kind articleCount } }
  }
}`;
const slugs = (connection: { edges: { node: { slug: string } }[] }) => connection.edges.map((e) => e.node.slug);

describe('authors', () => {
  it('lists authors with a published article by name, with their counts, for readers without a key', async () => {
    const { data, errors } = await gw.query(AUTHORS, { first: 100 });
    expect(errors).toBeUndefined();
    const { prisma } = gw.db;
    const expected = await prisma.author.findMany({
      where: { bylines: { some: { article: { status: 'PUBLISHED' } } } },
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      select: { slug: true },
    });
    expect(slugs(data.authors)).toEqual(expected.map((a) => a.slug));
    expect(data.authors.totalCount).toBe(expected.length);
    expect(slugs(data.authors)).not.toContain('new-hire');
    const reuters = data.authors.edges.find((e: { node: { slug: string } }) => e.node.slug === 'reuters').node;
    const published = await prisma.article.count({ where: { status: 'PUBLISHED', bylines: { some: { author: { slug: 'reuters' } } } } });
    expect(reuters.articleCount).toBe(published);
  });

  it('shows every author to a key holder, the unpublished one with 0', async () => {
    const { data } = await gw.query(AUTHORS, { first: 100 }, editor);
    expect(data.authors.totalCount).toBe(await gw.db.prisma.author.count());
    expect(data.authors.edges.find((e: { node: { slug: string } }) => e.node.slug === 'new-hire').node.articleCount).toBe(0);
  });

  it('filters by kind and pages with cursors', async () => {
    const agencies = (await gw.query(AUTHORS, { first: 100, kind: ['AGENCY'] })).data.authors;
    expect(slugs(agencies).sort()).toEqual(['afp', 'ap', 'reuters']);
    const first = (await gw.query(AUTHORS, { first: 2 })).data.authors;
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = (await gw.query(AUTHORS, { first: 2, after: first.pageInfo.endCursor })).data.authors;
    const all = (await gw.query(AUTHORS, { first: 4 })).data.authors;
    expect([...slugs(first), ...slugs(next)]).toEqual(slugs(all));
  });

  it('refuses a page over the maximum and a cursor that does not parse, with typed errors', async () => {
    expect((await gw.query(AUTHORS, { first: 101 })).errors?.[0]?.extensions?.code).toBe('PAGE_SIZE_TOO_LARGE');
    expect((await gw.query(AUTHORS, { first: 2, after: 'nonsense' })).errors?.[0]?.extensions?.code).toBe('INVALID_CURSOR');
  });
});

describe('tags', () => {
  it('lists tags with a published article by name, with their counts, for readers without a key', async () => {
    const { data, errors } = await gw.query(TAGS, { first: 100 });
    expect(errors).toBeUndefined();
    const expected = await gw.db.prisma.tag.findMany({
      where: { articles: { some: { article: { status: 'PUBLISHED' } } } },
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      select: { slug: true },
    });
    expect(slugs(data.tags)).toEqual(expected.map((t) => t.slug));
    expect(data.tags.totalCount).toBe(expected.length);
    expect(slugs(data.tags)).not.toContain('secret-merger');
    for (const edge of data.tags.edges) expect(edge.node.articleCount).toBeGreaterThan(0);
    const places = (await gw.query(TAGS, { first: 100, kind: ['PLACE'] })).data.tags;
    expect(slugs(places)).toContain('china');
    expect(places.edges.every((e: { node: { kind: string } }) => e.node.kind === 'PLACE')).toBe(true);
  });

  it('shows the draft-only tag to a key holder, and to everyone once its story is published', async () => {
    expect(slugs((await gw.query(TAGS, { first: 100 }, editor)).data.tags)).toContain('secret-merger');
    await gw.db.prisma.article.update({ where: { slug: 'merger-draft' }, data: { status: 'PUBLISHED', publishedAt: new Date() } });
    try {
      const { data } = await gw.query(TAGS, { first: 100 });
      expect(data.tags.edges.find((e: { node: { slug: string } }) => e.node.slug === 'secret-merger')?.node.articleCount).toBe(1);
      expect(slugs((await gw.query(AUTHORS, { first: 100 })).data.authors)).toContain('new-hire');
    } finally {
      await gw.db.prisma.article.update({ where: { slug: 'merger-draft' }, data: { status: 'DRAFT', publishedAt: null } });
    }
  });
});

it('a page of either costs the same statements at 2 items or 50', async () => {
  for (const document of [AUTHORS, TAGS]) {
    const small = await gw.countStatements(document, { first: 2 });
    const large = await gw.countStatements(document, { first: 50 });
    expect(small.response.errors).toBeUndefined();
    expect(large.count).toBe(small.count);
  }
});
