// Anonymous readers see published content only, through every path to an article.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoGateway, type TestGateway } from './helpers.js';

let gw: TestGateway;
let hidden: {
  id: number;
  slug: string;
  headline: string;
  status: string;
  globalId: string;
  sectionSlug: string;
  authorSlugs: string[];
  tagSlugs: string[];
}[];
let publishedCount: number;

beforeAll(async () => {
  gw = await createDemoGateway();
  const rows = await gw.db.prisma.article.findMany({
    where: { status: { not: 'PUBLISHED' } },
    include: { section: true, bylines: { include: { author: true } }, tags: { include: { tag: true } } },
  });
  hidden = rows.map((a) => ({
    id: a.id,
    slug: a.slug,
    headline: a.headline,
    status: a.status,
    globalId: Buffer.from(`Article:${a.id}`).toString('base64'),
    sectionSlug: a.section.slug,
    authorSlugs: a.bylines.map((b) => b.author.slug),
    tagSlugs: a.tags.map((t) => t.tag.slug),
  }));
  publishedCount = await gw.db.prisma.article.count({ where: { status: 'PUBLISHED' } });
});
afterAll(() => gw?.db.dispose());

async function data(document: string, variables?: Record<string, unknown>) {
  const response = await gw.query(document, variables);
  expect(response.errors).toBeUndefined();
  return response.data;
}

function expectNoHidden(slugs: string[]) {
  const leaked = slugs.filter((s) => hidden.some((h) => h.slug === s));
  expect(leaked, 'non-public articles leaked').toEqual([]);
}

describe('anonymous readers see published articles only', () => {
  it('the demo holds drafts, a scheduled and an unpublished article wired into every relation', async () => {
    expect(new Set(hidden.map((h) => h.status))).toEqual(new Set(['DRAFT', 'SCHEDULED', 'UNPUBLISHED']));
    const ids = hidden.map((h) => h.id);
    expect(await gw.db.prisma.collectionItem.count({ where: { articleId: { in: ids } } })).toBeGreaterThan(0);
    expect(await gw.db.prisma.editionPlacement.count({ where: { articleId: { in: ids } } })).toBeGreaterThan(0);
    expect(await gw.db.prisma.articleRead.count({ where: { articleId: { in: ids } } })).toBeGreaterThan(0);
  });

  it('by slug, by id, node and nodes', async () => {
    for (const h of hidden) {
      const d = await data(
        `query($slug: String!, $id: ID!) { bySlug: article(slug: $slug) { id } byId: article(id: $id) { id } node(id: $id) { id } nodes(ids: [$id]) { id } }`,
        { slug: h.slug, id: h.globalId },
      );
      expect(d).toEqual({ bySlug: null, byId: null, node: null, nodes: [null] });
    }
  });

  it('lists and their counts', async () => {
    const d = await data(`{ articles(first: 100) { totalCount edges { node { slug status } } } }`);
    expect(d.articles.totalCount).toBe(publishedCount);
    expect(d.articles.edges.every((e: any) => e.node.status === 'PUBLISHED')).toBe(true);
    expectNoHidden(d.articles.edges.map((e: any) => e.node.slug));
  });

  it('relations from sections, authors and tags, with their counts', async () => {
    for (const h of hidden) {
      const d = await data(
        `query($s: String!, $a: String!, $t: String!) {
          section(slug: $s) { articles(first: 100) { totalCount edges { node { slug } } } }
          author(slug: $a) { articles(first: 100) { totalCount edges { node { slug } } } }
          tag(slug: $t) { articles(first: 100) { totalCount edges { node { slug } } } }
          bySection: articles(first: 100, filter: { section: $s }) { totalCount edges { node { slug } } }
        }`,
        { s: h.sectionSlug, a: h.authorSlugs[0], t: h.tagSlugs[0] },
      );
      for (const list of [d.section.articles, d.author.articles, d.tag.articles, d.bySection]) {
        expectNoHidden(list.edges.map((e: any) => e.node.slug));
        expect(list.totalCount).toBe(list.edges.length);
      }
    }
  });

  it('editions and collections', async () => {
    const d = await data(`{
      editions(first: 100) { edges { node { placements { article { slug } } } } }
      mustRead: collection(slug: "must-read") { articles { slug } }
    }`);
    expectNoHidden(d.editions.edges.flatMap((e: any) => e.node.placements.map((p: any) => p.article.slug)));
    expectNoHidden(d.mustRead.articles.map((a: any) => a.slug));
    for (const h of hidden) {
      const byEdition = await gw.db.prisma.editionPlacement.findMany({ where: { articleId: h.id }, include: { edition: true } });
      for (const p of byEdition) {
        const e = await data(
          `query($slug: String!) { edition(slug: $slug) { placements { article { slug } } } articles(first: 100, filter: { edition: $slug }) { totalCount edges { node { slug } } } }`,
          { slug: p.edition.slug },
        );
        expectNoHidden(e.edition.placements.map((x: any) => x.article.slug));
        expectNoHidden(e.articles.edges.map((x: any) => x.node.slug));
      }
    }
  });

  it('related stories, most popular and most-read ordering', async () => {
    const d = await data(`{
      articles(first: 100) { edges { node { related(first: 20) { slug } } } }
      mostPopular(window: MONTH, first: 100) { slug }
      popular: articles(first: 100, orderBy: MOST_READ, window: MONTH) { totalCount edges { node { slug } } }
    }`);
    expectNoHidden(d.articles.edges.flatMap((e: any) => e.node.related.map((r: any) => r.slug)));
    expectNoHidden(d.mostPopular.map((a: any) => a.slug));
    expectNoHidden(d.popular.edges.map((e: any) => e.node.slug));
    expect(d.popular.totalCount).toBe(d.popular.edges.length);
  });

  it('search and its count', async () => {
    for (const h of hidden) {
      const d = await data(`query($q: String!) { search(query: $q, first: 100) { totalCount edges { node { article { slug } } } } }`, {
        q: h.headline,
      });
      expectNoHidden(d.search.edges.map((e: any) => e.node.article.slug));
      expect(d.search.totalCount).toBe(d.search.edges.length);
    }
  });
});
