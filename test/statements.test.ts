// The N+1 guard: the SQL statements a page causes do not grow with the sizes of its lists.
import { operationDocument } from '../src/schema/operations.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoGateway, keyHeader, MAIN_STORY, type TestGateway } from './helpers.js';

const operation = operationDocument;

let gw: TestGateway;
beforeAll(async () => {
  gw = await createDemoGateway();
});
afterAll(() => gw?.db.dispose());

async function statementsFor(document: string, variables: Record<string, unknown>) {
  const { count, response } = await gw.countStatements(document, variables);
  expect(response.errors).toBeUndefined();
  return { count, data: response.data as any };
}

describe('statements per request', () => {
  it('the whole sample page costs the same for 20-article lists as for 2-article lists', async () => {
    const page = operation('ArticlePage');
    const small = await statementsFor(page, { slug: MAIN_STORY, editionDate: '2025-03-01', latest: 2, popular: 2, editorials: 2 });
    const large = await statementsFor(page, { slug: MAIN_STORY, editionDate: '2025-03-01', latest: 20, popular: 9, editorials: 6 });
    expect(small.data.latest.edges).toHaveLength(2);
    expect(large.data.latest.edges).toHaveLength(20);
    expect(large.data.mostPopular).toHaveLength(9);
    expect(large.data.editorials.edges).toHaveLength(6);
    expect(large.data.latest.edges.every((e: any) => e.node.byline.length > 0 && e.node.section && e.node.tags)).toBe(true);
    expect(large.count).toBe(small.count);
    // The body's blocks come with the article, its library images too (ArticleBodyMedia).
    const blocks = large.data.article.body.blocks.map((b: { __typename: string }) => b.__typename);
    expect(blocks).toEqual(expect.arrayContaining(['ParagraphBlock', 'ImageBlock']));
    expect(large.data.article.body.blocks.find((b: any) => b.__typename === 'ImageBlock').media.url).toMatch(/^https:/);
    expect(large.data.article.body.html).toContain('<figure class="image">');
    // One statement per root field: the edition; the article with its byline, tags, media, body
    // images, corrections and related stories (the RelatedArticle view) and their cards; latest; most
    // popular with its cards (the precomputed ranking); must-read; editorials.
    expect(large.count).toBe(6);
  });

  it('a section front, the edition front and search do not grow with their lists', async () => {
    for (const [name, vars, sizes] of [
      ['SectionFront', { slug: 'world' }, ['first', 2, 20]],
      ['Search', { query: 'government' }, ['first', 2, 20]],
    ] as const) {
      const small = await statementsFor(operation(name), { ...vars, [sizes[0]]: sizes[1] });
      const large = await statementsFor(operation(name), { ...vars, [sizes[0]]: sizes[2] });
      expect(large.count, name).toBe(small.count);
    }
    const edition = await statementsFor(operation('EditionFront'), { date: '2025-03-01' });
    const earlier = await statementsFor(operation('EditionFront'), { date: '2025-02-23' });
    expect(edition.data.edition.placements.length).not.toBe(earlier.data.edition.placements.length);
    expect(edition.count).toBe(earlier.count);
  });

  it('related stories for a whole list are batched', async () => {
    const document = `query($n: Int!) { articles(first: $n) { edges { node { slug related(first: 3) { slug byline { author { name } } } } } } }`;
    const small = await statementsFor(document, { n: 2 });
    const large = await statementsFor(document, { n: 20 });
    expect(large.count).toBe(small.count);
  });

  it("an editor's or a writer's revisions of a whole list are read together", async () => {
    const count = async (document: string, n: number, headers: Record<string, string>) => {
      const before = gw.db.statements.length;
      const response = await gw.query(document, { n }, headers);
      expect(response.errors).toBeUndefined();
      // The key's own statements (its check, the throttled record of its use) are the front door's, not the list's.
      const own = gw.db.statements.slice(before).filter((sql) => !sql.includes('"ApiKey"'));
      return { count: own.length, edges: response.data.articles.edges };
    };
    const all = `query($n: Int!) { articles(first: $n) { edges { node { revisions { version } } } } }`;
    const editor = await keyHeader(gw.db, 'EDITOR');
    await count(all, 1, editor); // a key's first request also records its use
    const small = await count(all, 2, editor);
    const large = await count(all, 20, editor);
    expect(large.edges).toHaveLength(20);
    expect(large.count).toBe(small.count);

    // A writer, on their own articles (one check for all of them).
    const own = `query($n: Int!) { articles(first: $n, filter: { author: "reuters" }) { edges { node { revisions { version } } } } }`;
    const writer = await keyHeader(gw.db, 'WRITER', 'reuters');
    await count(own, 1, writer);
    const few = await count(own, 2, writer);
    const many = await count(own, 20, writer);
    expect(many.edges.length).toBeGreaterThan(few.edges.length);
    expect(many.count).toBe(few.count);
    // …and refused on anyone else's.
    const theirs = await gw.db.prisma.article.findFirstOrThrow({
      where: { status: 'PUBLISHED', bylines: { none: { author: { slug: 'reuters' } } } },
    });
    const other = await gw.query(`{ article(slug: "${theirs.slug}") { revisions { version } } }`, {}, writer);
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(other.errors?.[0]?.message).toBe('A writer sees the revisions of their own articles only.');
  });

  it("each card's tag, author and section lists are read together, and hold what each one's own list holds", async () => {
    const lists = 'articles(first: 2) { totalCount edges { cursor node { slug } } }';
    const document = `query($n: Int!) { articles(first: $n) { edges { node {
      tags { slug ${lists} } byline { author { slug ${lists} } } section { slug ${lists} }
    } } } }`;
    const small = await statementsFor(document, { n: 2 });
    const large = await statementsFor(document, { n: 20 });
    const cards = large.data.articles.edges.map((edge: any) => edge.node);
    const tags = new Map<string, unknown>(cards.flatMap((card: any) => card.tags.map((tag: any) => [tag.slug, tag.articles])));
    const authors = new Map<string, unknown>(cards.flatMap((card: any) => card.byline.map((b: any) => [b.author.slug, b.author.articles])));
    const sections = new Map<string, unknown>(cards.map((card: any) => [card.section.slug, card.section.articles]));
    expect(tags.size).toBeGreaterThan(10);
    expect(authors.size).toBeGreaterThan(5);
    expect(sections.size).toBeGreaterThan(3);
    // The list of articles, the sections (subtrees), then per kind of parent: their pages' ids, the rows, the counts.
    expect(small.count).toBe(2 + 3 * 3);
    expect(large.count).toBe(small.count);

    // Each is what the filtered root list gives (one statement per list, as before batching), and its cursors page on.
    for (const [filter, map] of [
      ['tag', tags],
      ['author', authors],
      ['section', sections],
    ] as const) {
      for (const [slug, nested] of map) {
        const alone = await gw.query(`{ articles(filter: { ${filter}: "${slug}" }, ${lists.slice('articles('.length)} }`);
        expect(nested, `${filter} ${slug}`).toEqual(alone.data.articles);
      }
    }
    // The next page of one of many sections' lists, by its cursor.
    const tops = (await statementsFor(`{ sections { slug ${lists} } }`, {})).data.sections;
    const top = tops.find((s: any) => s.articles.totalCount > 2);
    const next = await statementsFor(
      `query($after: String!) { sections { slug articles(first: 2, after: $after) { edges { node { slug } } } } }`,
      { after: top.articles.edges[1].cursor },
    );
    const alone = await gw.query(
      `{ articles(filter: { section: "${top.slug}" }, first: 2, after: "${top.articles.edges[1].cursor}") { edges { node { slug } } } }`,
    );
    expect(alone.data.articles.edges.length).toBeGreaterThan(0);
    expect(next.data.sections.find((s: any) => s.slug === top.slug).articles).toEqual(alone.data.articles);
  });
});
