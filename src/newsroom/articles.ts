// Reading lists of articles: filters, the two orderings (newest, most read in a window) and
// loading rows in a given order. GraphQL-free so scripts and benchmarks can use it too.
import type { Article, ArticleKind, Prisma } from '../generated/prisma/client.js';
import { sectionSubtreeIds } from './loaders.js';
import { type ArticleParent, articleCountsByParent, type NewestPage, newestIdsByParent, type ParentKind } from './parent-pages.js';
import type { PopularityWindow } from './popularity.js';
import type { Reader } from './reader.js';
import { visibleArticleWhere } from './visibility.js';

export type ArticleFilter = {
  section?: string | null;
  author?: string | null;
  tag?: string | null;
  kind?: ArticleKind[] | null;
  edition?: string | null;
  publishedAfter?: Date | null;
  publishedBefore?: Date | null;
};

/** The Prisma filter for what the viewer may see, narrowed by the client's filter. */
export async function articleWhere(reader: Reader, filter: ArticleFilter = {}): Promise<Prisma.ArticleWhereInput> {
  const and: Prisma.ArticleWhereInput[] = [visibleArticleWhere(reader.viewer)];
  if (filter.section != null) and.push({ sectionId: { in: await sectionSubtreeIds(reader.loaders, filter.section) } });
  if (filter.author != null) and.push({ bylines: { some: { author: { slug: filter.author } } } });
  if (filter.tag != null) and.push({ tags: { some: { tag: { slug: filter.tag } } } });
  if (filter.kind?.length) and.push({ kind: { in: filter.kind } });
  if (filter.edition != null) and.push({ placements: { some: { edition: { slug: filter.edition } } } });
  if (filter.publishedAfter) and.push({ publishedAt: { gte: filter.publishedAfter } });
  if (filter.publishedBefore) and.push({ publishedAt: { lt: filter.publishedBefore } });
  return { AND: and };
}

/** Keyset position in the newest-first order. */
export type NewestKey = { publishedAt: Date; id: number };

/** A page in newest-first order after (or, inverted, before) a key; one statement. */
export function newestPage<Q extends object>(reader: Reader, query: Q, where: Prisma.ArticleWhereInput, page: NewestPage) {
  const beyond = (key: NewestKey, op: 'lt' | 'gt'): Prisma.ArticleWhereInput => ({
    OR: [{ publishedAt: { [op]: key.publishedAt } }, { publishedAt: key.publishedAt, id: { [op]: key.id } }],
  });
  const and = [where];
  if (page.after) and.push(beyond(page.after, 'lt'));
  if (page.before) and.push(beyond(page.before, 'gt'));
  const direction = page.inverted ? 'asc' : 'desc';
  return reader.prisma.article.findMany({
    ...query,
    where: { AND: and },
    orderBy: [{ publishedAt: direction }, { id: direction }],
    take: page.limit,
  });
}

/** A tag, an author or a section whose list is read, with the filter that reads it alone. */
export type ListParent = ArticleParent & { via: ParentKind; where: Prisma.ArticleWhereInput };

/**
 * A page of a tag's, an author's or a section's published articles, newest first, unfiltered.
 * The same page of every such parent the operation asks for in one tick is read together: alone,
 * one statement as `newestPage`; two or more, two statements for all (ids, then rows, parent-pages.ts).
 */
export function newestPageOf<Q extends object>(reader: Reader, query: Q, parent: ListParent, page: NewestPage): Promise<Article[]> {
  const load = async (parents: readonly ListParent[]): Promise<Article[][]> => {
    if (parents.length === 1) return [(await newestPage(reader, query, parents[0]!.where, page)) as Article[]];
    const pages = await newestIdsByParent(reader.prisma, parent.via, parents, page);
    // Not loaders.articles: through it, the rows of tag, author and section lists would share a
    // statement or not depending on when each kind's ids arrive; here each kind costs the same.
    const rows = (await reader.prisma.article.findMany({
      ...query,
      where: { AND: [visibleArticleWhere(reader.viewer), { id: { in: pages.flat() } }] },
    })) as Article[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return pages.map((ids) => ids.flatMap((id) => byId.get(id) ?? []));
  };
  return reader.loaders.batch(JSON.stringify(['newest', parent.via, page, query]), load, byParentId).load(parent);
}

/** How many published articles a tag, an author or a section has; batched as `newestPageOf`. */
export function articleCountOf(reader: Reader, parent: ListParent): Promise<number> {
  const load = async (parents: readonly ListParent[]): Promise<number[]> =>
    parents.length === 1
      ? [await reader.prisma.article.count({ where: parents[0]!.where })]
      : articleCountsByParent(reader.prisma, parent.via, parents);
  return reader.loaders.batch(`count:${parent.via}`, load, byParentId).load(parent);
}

const byParentId = (parent: ListParent) => parent.id;

/** A page of the most read articles matching `where` in the window, best first: one statement. */
export async function mostReadPage(
  reader: Reader,
  query: { select: Prisma.ArticleSelect },
  where: Prisma.ArticleWhereInput,
  window: PopularityWindow,
  page: { offset: number; limit: number },
) {
  const rows = await reader.prisma.popularArticle.findMany({
    where: { window, article: where },
    orderBy: [{ reads: 'desc' }, { articleId: 'desc' }],
    skip: page.offset,
    take: page.limit,
    select: { article: query },
  });
  return rows.map((row) => row.article);
}

/** How many articles matching `where` were read in the window. */
export function mostReadCount(reader: Reader, where: Prisma.ArticleWhereInput, window: PopularityWindow) {
  return reader.prisma.popularArticle.count({ where: { window, article: where } });
}

/** Loads visible articles by id with the planned query, batched, in the ids' order. */
export async function findArticlesInOrder(reader: Reader, query: object, ids: number[]): Promise<Article[]> {
  const rows = await reader.loaders.articles(query).loadMany(ids);
  return rows.filter((row): row is Article => row != null && !(row instanceof Error));
}
