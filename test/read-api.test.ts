import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous } from '../src/newsroom/auth.js';
import { createReader } from '../src/newsroom/reader.js';
import { searchArticles } from '../src/newsroom/search.js';
import { createDemoGateway, createTestDatabase, createTestGateway, globalId, keyHeader, MAIN_STORY, type TestGateway } from './helpers.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createDemoGateway();
});
afterAll(() => gw?.db.dispose());

async function data<T = any>(document: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await gw.query<T>(document, variables);
  expect(response.errors).toBeUndefined();
  return response.data!;
}

const slugsOf = (connection: { edges: { node: { slug: string } }[] }) => connection.edges.map((e) => e.node.slug);

describe('article', () => {
  it('by slug: the wire story with its source, times, section, topics and correction', async () => {
    const { article } = await data(`{
      article(slug: "${MAIN_STORY}") {
        headline kind status dateline publishedAt updatedAt body { text blocks { __typename } }
        section { slug name }
        byline { role position author { name kind } }
        tags { slug }
        heroMedia { url caption credit }
        corrections { text createdAt }
      }
    }`);
    expect(article.headline).toBe('China tells its AI leaders to avoid US travel over security concerns: report');
    expect(article.status).toBe('PUBLISHED');
    expect(article.byline).toHaveLength(1);
    expect(article.byline[0]).toMatchObject({ role: 'AGENCY', author: { name: 'Reuters', kind: 'AGENCY' } });
    expect(article.publishedAt).toBe('2025-03-01T01:10:00.000Z');
    expect(article.updatedAt).toBe('2025-03-01T07:39:00.000Z');
    expect(article.tags.map((t: { slug: string }) => t.slug)).toEqual(
      expect.arrayContaining(['china', 'united-states', 'artificial-intelligence', 'deepseek']),
    );
    expect(article.body.blocks.filter((b: { __typename: string }) => b.__typename === 'ParagraphBlock').length).toBeGreaterThanOrEqual(10);
    expect(article.body.text.split(/\n\n+/).length).toBeGreaterThanOrEqual(10);
    expect(article.corrections.length).toBeGreaterThanOrEqual(1);
    expect(article.heroMedia.credit).toBeTruthy();
  });

  it('by global id through article(id), node and nodes agree', async () => {
    const { article } = await data(`{ article(slug: "${MAIN_STORY}") { id slug } }`);
    const result = await data(
      `query($id: ID!) { article(id: $id) { slug } node(id: $id) { id ... on Article { slug } } nodes(ids: [$id]) { id } }`,
      { id: article.id },
    );
    expect(result.article.slug).toBe(MAIN_STORY);
    expect(result.node).toEqual({ id: article.id, slug: MAIN_STORY });
    expect(result.nodes).toEqual([{ id: article.id }]);
  });

  it('an unknown slug or id is null, not an error', async () => {
    const unknownId = Buffer.from('Article:999999').toString('base64');
    const response = await gw.query(
      `{ article(slug: "no-such-story") { id } byId: article(id: "${unknownId}") { id } node(id: "${unknownId}") { id } }`,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ article: null, byId: null, node: null });
  });

  it('byline keeps its order and related stories share tags or section', async () => {
    const { articles } = await data(`{ articles(first: 100) { edges { node { slug byline { position author { slug } } } } } }`);
    const multi = articles.edges.map((e: any) => e.node).find((n: any) => n.byline.length > 1);
    expect(multi, 'the demo has a story with several names in its byline').toBeTruthy();
    const positions = multi.byline.map((b: any) => b.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));

    const { article } = await data(
      `{ article(slug: "${MAIN_STORY}") { section { slug } tags { slug } related(first: 5) { slug status section { slug } tags { slug } } } }`,
    );
    expect(article.related.length).toBe(5);
    const mine = new Set(article.tags.map((t: any) => t.slug));
    for (const r of article.related) {
      expect(r.slug).not.toBe(MAIN_STORY);
      expect(r.status).toBe('PUBLISHED');
      expect(r.section.slug === article.section.slug || r.tags.some((t: any) => mine.has(t.slug))).toBe(true);
    }
    // The best match shares the most tags.
    const shared = (r: any) => r.tags.filter((t: any) => mine.has(t.slug)).length;
    expect(shared(article.related[0])).toBe(Math.max(...article.related.map(shared)));
  });
});

describe('related stories', () => {
  it('choose among published stories only: 60 drafts sharing a tag crowd nothing out', async () => {
    const db = await createTestDatabase();
    try {
      const fresh = createTestGateway(db);
      const home = await db.prisma.section.create({ data: { slug: 'home', name: 'Home' } });
      const desk = await db.prisma.section.create({ data: { slug: 'desk', name: 'Desk' } });
      const tag = await db.prisma.tag.create({ data: { slug: 'elections', name: 'Elections' } });
      const story = await db.prisma.article.create({
        data: { slug: 'the-story', headline: 'The story', sectionId: home.id, status: 'PUBLISHED', publishedAt: new Date('2025-03-01') },
      });
      // 25 published stories with the tag, then 60 newer drafts with it (in another section, so
      // only the tag relates them to the story).
      const rows = [
        ...Array.from({ length: 25 }, (_, i) => ({
          slug: `published-${i}`,
          headline: `Published ${i}`,
          sectionId: desk.id,
          status: 'PUBLISHED' as const,
          publishedAt: new Date(Date.UTC(2025, 1, 1 + i)),
        })),
        ...Array.from({ length: 60 }, (_, i) => ({
          slug: `draft-${i}`,
          headline: `Draft ${i}`,
          sectionId: desk.id,
          status: 'DRAFT' as const,
        })),
      ];
      await db.prisma.article.createMany({ data: rows });
      const tagged = await db.prisma.article.findMany({ select: { id: true } });
      await db.prisma.articleTag.createMany({ data: tagged.map((a) => ({ articleId: a.id, tagId: tag.id })) });
      expect(tagged.length).toBe(86);

      const related = async (headers: Record<string, string> = {}) => {
        const response = await fresh.query(`{ article(slug: "${story.slug}") { related(first: 20) { slug status } } }`, {}, headers);
        expect(response.errors).toBeUndefined();
        return response.data.article.related as { slug: string; status: string }[];
      };
      for (const headers of [{}, await keyHeader(db, 'EDITOR')]) {
        const list = await related(headers);
        expect(list).toHaveLength(20);
        expect(list.every((r) => r.status === 'PUBLISHED' && r.slug.startsWith('published-'))).toBe(true);
        // Newest first among equals.
        expect(list[0]!.slug).toBe('published-24');
      }
    } finally {
      await db.dispose();
    }
  });
});

describe('articles connection', () => {
  it('pages newest first with cursors, no overlap, and a totalCount', async () => {
    const first = await data(
      `{ articles(first: 5) { totalCount pageInfo { hasNextPage endCursor } edges { node { slug publishedAt } } } }`,
    );
    expect(first.articles.edges).toHaveLength(5);
    expect(first.articles.pageInfo.hasNextPage).toBe(true);
    const second = await data(
      `query($after: String) { articles(first: 5, after: $after) { totalCount pageInfo { hasPreviousPage } edges { node { slug publishedAt } } } }`,
      {
        after: first.articles.pageInfo.endCursor,
      },
    );
    expect(second.articles.pageInfo.hasPreviousPage).toBe(true);
    const all = [...first.articles.edges, ...second.articles.edges].map((e: any) => e.node);
    expect(new Set(all.map((n: any) => n.slug)).size).toBe(10);
    const times = all.map((n: any) => Date.parse(n.publishedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(second.articles.totalCount).toBe(first.articles.totalCount);

    const everything = await data(`{ articles(first: 100) { edges { node { slug } } } }`);
    expect(everything.articles.edges).toHaveLength(first.articles.totalCount);
  });

  it('pages backwards with last/before', async () => {
    const page = await data(`{ articles(first: 6) { edges { cursor node { slug } } } }`);
    const nodes = slugsOf(page.articles);
    const back = await data(`query($before: String) { articles(last: 2, before: $before) { edges { node { slug } } } }`, {
      before: page.articles.edges[5].cursor,
    });
    expect(slugsOf(back.articles)).toEqual(nodes.slice(3, 5));
  });

  it('filters by section including subsections, author, tag, kind, edition and date range', async () => {
    const d = await data(`{
      world: articles(first: 100, filter: { section: "world" }) { totalCount edges { node { section { slug parent { slug } } } } }
      reuters: articles(first: 100, filter: { author: "reuters" }) { totalCount edges { node { byline { author { slug } } } } }
      china: articles(first: 100, filter: { tag: "china" }) { totalCount edges { node { tags { slug } } } }
      editorials: articles(first: 100, filter: { kind: [EDITORIAL] }) { totalCount edges { node { kind headline } } }
      edition: articles(first: 100, filter: { edition: "daily-2025-03-01" }) { totalCount }
      feb28: articles(first: 100, filter: { publishedAfter: "2025-02-28T00:00:00+05:00", publishedBefore: "2025-03-01T00:00:00+05:00" }) { totalCount edges { node { publishedAt } } }
      nothing: articles(first: 5, filter: { section: "no-such-section" }) { totalCount edges { node { slug } } }
    }`);
    const worldNodes = d.world.edges.map((e: any) => e.node);
    expect(
      worldNodes.some((n: any) => n.section.slug !== 'world'),
      'subsections are included',
    ).toBe(true);
    expect(worldNodes.every((n: any) => n.section.slug === 'world' || n.section.parent?.slug === 'world')).toBe(true);
    expect(d.world.totalCount).toBe(worldNodes.length);
    expect(d.reuters.edges.every((e: any) => e.node.byline.some((b: any) => b.author.slug === 'reuters'))).toBe(true);
    expect(d.reuters.totalCount).toBeGreaterThan(0);
    expect(d.china.edges.every((e: any) => e.node.tags.some((t: any) => t.slug === 'china'))).toBe(true);
    expect(d.editorials.totalCount).toBe(6);
    expect(d.editorials.edges.map((e: any) => e.node.headline).sort()).toEqual([
      'Affordable Ramazan',
      'Blood and drugs',
      'Exceptional Assembly',
      'Grotesque vision',
      'Haqqania bombing',
      'No remorse',
    ]);
    expect(d.edition.totalCount).toBeGreaterThan(0);
    for (const e of d.feb28.edges) {
      const t = Date.parse(e.node.publishedAt);
      expect(t).toBeGreaterThanOrEqual(Date.parse('2025-02-28T00:00:00+05:00'));
      expect(t).toBeLessThan(Date.parse('2025-03-01T00:00:00+05:00'));
    }
    expect(d.feb28.totalCount).toBeGreaterThan(0);
    expect(d.nothing).toEqual({ totalCount: 0, edges: [] });
  });

  it('orders by most read in a window, and mostPopular agrees', async () => {
    const d = await data(`{
      popular: articles(first: 9, orderBy: MOST_READ, window: WEEK) { totalCount edges { node { slug } } }
      mostPopular(window: WEEK, first: 9) { slug }
      next: articles(first: 3, orderBy: MOST_READ, window: WEEK, after: "${Buffer.from('OffsetConnection:2').toString('base64')}") { edges { node { slug } } }
    }`);
    expect(slugsOf(d.popular)).toEqual(d.mostPopular.map((a: any) => a.slug));
    expect(d.mostPopular).toHaveLength(9);
    expect(slugsOf(d.next)).toEqual(d.mostPopular.slice(3, 6).map((a: any) => a.slug));
    expect(d.popular.totalCount).toBeGreaterThanOrEqual(9);
    // Counts summed over the window decide the order.
    const reads = await gw.db.prisma.articleRead.groupBy({
      by: ['articleId'],
      where: { bucket: { gte: new Date(Date.now() - 7 * 86_400_000 - 3_600_000) }, article: { status: 'PUBLISHED' } },
      _sum: { count: true },
      orderBy: [{ _sum: { count: 'desc' } }, { articleId: 'desc' }],
      take: 1,
    });
    const top = await gw.db.prisma.article.findUnique({ where: { id: reads[0]!.articleId } });
    expect(d.mostPopular[0].slug).toBe(top!.slug);
  });

  it('mostPopular narrows to a section and its subsections', async () => {
    const d = await data(`{ mostPopular(window: WEEK, section: "opinion", first: 20) { section { slug parent { slug } } } }`);
    expect(d.mostPopular.length).toBeGreaterThan(0);
    for (const a of d.mostPopular) expect([a.section.slug, a.section.parent?.slug]).toContain('opinion');
  });

  it('a page size over 100 is an error, not silently clamped', async () => {
    const response = await gw.query(`{ articles(first: 101) { edges { node { slug } } } }`);
    expect(response.data).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe('PAGE_SIZE_TOO_LARGE');
    const nested = await gw.query(`{ section(slug: "world") { articles(last: 500) { totalCount } } }`);
    expect(nested.errors?.[0]?.extensions?.code).toBe('PAGE_SIZE_TOO_LARGE');
    expect((await gw.query(`{ mostPopular(first: 1000) { slug } }`)).errors?.[0]?.extensions?.code).toBe('PAGE_SIZE_TOO_LARGE');
  });
});

describe('sections, authors, tags', () => {
  it("sections form a tree in order, and a section lists its own and its subsections' articles", async () => {
    const d = await data(`{
      sections { slug position children { slug position parent { slug } } }
      section(slug: "world") { name children { slug } articles(first: 100) { totalCount } }
      all: articles(first: 1, filter: { section: "world" }) { totalCount }
    }`);
    const positions = d.sections.map((s: any) => s.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const world = d.sections.find((s: any) => s.slug === 'world');
    expect(world.children.length).toBeGreaterThan(1);
    expect(world.children.every((c: any) => c.parent.slug === 'world')).toBe(true);
    expect(d.section.articles.totalCount).toBe(d.all.totalCount);
    expect((await data(`{ section(slug: "nope") { name } }`)).section).toBeNull();
  });

  it('author and tag pages list their published articles', async () => {
    const d = await data(`{
      author(slug: "reuters") { name kind articles(first: 100) { totalCount edges { node { byline { author { slug } } } } } }
      tag(slug: "china") { name kind articles(first: 100) { totalCount edges { node { tags { slug } } } } }
      nobody: author(slug: "nobody") { name }
    }`);
    expect(d.author.kind).toBe('AGENCY');
    expect(d.author.articles.totalCount).toBe(d.author.articles.edges.length);
    expect(d.author.articles.edges.every((e: any) => e.node.byline.some((b: any) => b.author.slug === 'reuters'))).toBe(true);
    expect(d.tag.articles.edges.every((e: any) => e.node.tags.some((t: any) => t.slug === 'china'))).toBe(true);
    expect(d.nobody).toBeNull();
  });
});

describe('editions and collections', () => {
  it("the day's e-paper by date or slug, placements in page and position order", async () => {
    const d = await data(`{
      byDate: edition(date: "2025-03-01") { slug name kind date placements { page position article { slug publishedAt } } }
      bySlug: edition(slug: "daily-2025-03-01") { slug }
      none: edition(date: "1999-01-01") { slug }
    }`);
    expect(d.byDate).toMatchObject({ slug: 'daily-2025-03-01', kind: 'DAILY', date: '2025-03-01' });
    expect(d.byDate.name).toContain('March 01, 2025');
    expect(d.bySlug.slug).toBe('daily-2025-03-01');
    expect(d.none).toBeNull();
    const order = d.byDate.placements.map((p: any) => [p.page, p.position]);
    expect(order).toEqual([...order].sort((a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]!));
    expect(order.length).toBeGreaterThan(3);
  });

  it('a week of daily editions, newest first', async () => {
    const d = await data(`{ editions(first: 7, kind: DAILY) { totalCount edges { node { date } } } }`);
    expect(d.editions.edges.map((e: any) => e.node.date)).toEqual([
      '2025-03-01',
      '2025-02-28',
      '2025-02-27',
      '2025-02-26',
      '2025-02-25',
      '2025-02-24',
      '2025-02-23',
    ]);
    const ranged = await data(`{ editions(first: 10, from: "2025-02-27", to: "2025-02-28") { totalCount } }`);
    expect(ranged.editions.totalCount).toBeGreaterThanOrEqual(2);
  });

  it("Must Read keeps the editors' order", async () => {
    const d = await data(`{ collection(slug: "must-read") { name articles { slug } } }`);
    expect(d.collection.name).toBe('Must Read');
    const items = await gw.db.prisma.collectionItem.findMany({
      where: { collection: { slug: 'must-read' }, article: { status: 'PUBLISHED' } },
      orderBy: { position: 'asc' },
      include: { article: true },
    });
    expect(d.collection.articles.map((a: any) => a.slug)).toEqual(items.map((i) => i.article.slug));
    expect(items.length).toBeGreaterThanOrEqual(4);
  });
});

describe('search', () => {
  it('ranks stemmed matches with highlighted headline and snippet', async () => {
    const d = await data(
      `{ search(query: "travelling AI leaders", first: 5) { totalCount edges { node { rank headline snippet article { slug } } } } }`,
    );
    expect(d.search.totalCount).toBeGreaterThan(0);
    const top = d.search.edges[0].node;
    expect(top.article.slug).toBe(MAIN_STORY);
    expect(top.headline).toContain('<mark>');
    expect(top.snippet).toContain('<mark>');
    const ranks = d.search.edges.map((e: any) => e.node.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });

  it("highlights are safe HTML: the story's own text is escaped, <mark> is the only tag", async () => {
    const editor = await keyHeader(gw.db, 'EDITOR');
    const { sections } = await data(`{ sections { id } }`);
    const author = await gw.db.prisma.author.findFirstOrThrow();
    const created = await gw.query(
      `mutation($input: CreateDraftInput!) { createDraft(input: $input) { ... on MutationCreateDraftSuccess { data { id version } } } }`,
      {
        input: {
          headline: 'Tom & Jerry <script>alert(1)</script>',
          summary: 'Jerry\'s "cheese" <img src=x onerror=alert(1)>',
          body: 'Jerry forges \uE000marks\uE001 and <b>tags</b> & more.',
          section: sections[0].id,
          byline: [{ author: globalId('Author', author.id) }],
        },
      },
      editor,
    );
    const draft = created.data.createDraft.data;
    const published = await gw.query(
      `mutation($id: ID!, $version: Int) { publishArticle(id: $id, version: $version) { __typename } }`,
      { id: draft.id, version: draft.version },
      editor,
    );
    expect(published.data.publishArticle.__typename).toBe('MutationPublishArticleSuccess');

    const d = await data(`{ search(query: "jerry", first: 10) { edges { node { headline snippet article { id } } } } }`);
    const hit = d.search.edges.find((e: any) => e.node.article.id === draft.id).node;
    expect(hit.headline).toBe('Tom &amp; <mark>Jerry</mark> &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(hit.snippet).toContain('<mark>Jerry</mark>&#39;s &quot;cheese&quot; &lt;img src=x onerror=alert(1)&gt;');
    // Forged marks are dropped (ts_headline itself drops some tags from fragments).
    expect(hit.snippet).toContain('<mark>Jerry</mark> forges marks and');
    for (const html of [hit.headline, hit.snippet]) {
      // Without the marks, nothing in it is markup.
      expect(html.replaceAll('<mark>', '').replaceAll('</mark>', '')).not.toMatch(/[<>"']|\uE000|\uE001/);
      expect(html.split('<mark>').length).toBe(html.split('</mark>').length);
    }
  });

  it('honours filters and pages with totalCount', async () => {
    const d = await data(`{
      all: search(query: "China", first: 100) { totalCount edges { node { article { kind section { slug parent { slug } } } } } }
      world: search(query: "China", first: 100, filter: { section: "world" }) { totalCount edges { node { article { section { slug parent { slug } } } } } }
      page: search(query: "China", first: 1) { pageInfo { hasNextPage } }
    }`);
    expect(d.all.totalCount).toBe(d.all.edges.length);
    expect(d.world.totalCount).toBeLessThanOrEqual(d.all.totalCount);
    for (const e of d.world.edges) expect([e.node.article.section.slug, e.node.article.section.parent?.slug]).toContain('world');
    expect(d.page.pageInfo.hasNextPage).toBe(d.all.totalCount > 1);
  });

  it('ranks only the newest matches of a common word, and totalCount still counts them all', async () => {
    const newest = await gw.db.prisma.$queryRaw<{ id: number }[]>`
      SELECT id FROM "Article" WHERE "searchVector" @@ websearch_to_tsquery('english', 'China') AND status = 'PUBLISHED'
      ORDER BY "publishedAt" DESC, id DESC`;
    expect(newest.length).toBeGreaterThan(3);
    const hits = await searchArticles(createReader(gw.db.prisma, anonymous), 'China', {}, { offset: 0, limit: 10 }, 3);
    expect(hits.map((h) => h.id).sort()).toEqual(
      newest
        .slice(0, 3)
        .map((r) => Number(r.id))
        .sort(),
    );
    expect(hits.map((h) => h.rank)).toEqual([...hits.map((h) => h.rank)].sort((a, b) => b - a));
  });

  it('rejects an empty or oversized query with a typed error', async () => {
    for (const q of ['   ', 'x'.repeat(201)]) {
      const response = await gw.query(`query($q: String!) { search(query: $q) { totalCount } }`, { q });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});
