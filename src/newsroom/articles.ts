// Reading lists of articles: filters, the two orderings (newest, most read in a window) and
// loading rows in a given order. GraphQL-free so scripts and benchmarks can use it too.
import type { Article, ArticleKind, Prisma } from '../generated/prisma/client.js';
import { sectionSubtreeIds } from './loaders.js';
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
export function newestPage<Q extends object>(
  reader: Reader,
  query: Q,
  where: Prisma.ArticleWhereInput,
  page: { after?: NewestKey; before?: NewestKey; limit: number; inverted: boolean },
) {
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
