// Reading lists of articles: filters, the two orderings (newest, most read in a window) and
// loading rows in a given order. GraphQL-free so scripts and benchmarks can use it too.
import type { Context } from '../context.js';
import type { Article, ArticleKind, Prisma } from '../generated/prisma/client.js';
import { sectionSubtreeIds } from './loaders.js';
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

export const popularityWindows = { HOUR: 3_600_000, DAY: 86_400_000, WEEK: 7 * 86_400_000, MONTH: 30 * 86_400_000 };
export type PopularityWindow = keyof typeof popularityWindows;

/** Read counts are kept per hour, so a window starts at the top of an hour. */
export function windowStart(window: PopularityWindow, now = new Date()): Date {
  const start = new Date(now.getTime() - popularityWindows[window]);
  start.setUTCMinutes(0, 0, 0);
  return start;
}

/** The Prisma filter for what the viewer may see, narrowed by the client's filter. */
export async function articleWhere(ctx: Context, filter: ArticleFilter = {}): Promise<Prisma.ArticleWhereInput> {
  const and: Prisma.ArticleWhereInput[] = [visibleArticleWhere(ctx.viewer)];
  if (filter.section != null) and.push({ sectionId: { in: await sectionSubtreeIds(ctx.loaders, filter.section) } });
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
  ctx: Context,
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
  return ctx.prisma.article.findMany({
    ...query,
    where: { AND: and },
    orderBy: [{ publishedAt: direction }, { id: direction }],
    take: page.limit,
  });
}

/** Ids of the most read articles matching `where` in the window, best first. */
export async function mostReadIds(
  ctx: Context,
  where: Prisma.ArticleWhereInput,
  window: PopularityWindow,
  page: { offset: number; limit: number },
): Promise<number[]> {
  const groups = await ctx.prisma.articleRead.groupBy({
    by: ['articleId'],
    where: { bucket: { gte: windowStart(window) }, article: where },
    _sum: { count: true },
    orderBy: [{ _sum: { count: 'desc' } }, { articleId: 'desc' }],
    skip: page.offset,
    take: page.limit,
  });
  return groups.map((g) => g.articleId);
}

/** How many articles matching `where` were read in the window. */
export async function mostReadCount(ctx: Context, where: Prisma.ArticleWhereInput, window: PopularityWindow) {
  return ctx.prisma.article.count({ where: { AND: [where, { reads: { some: { bucket: { gte: windowStart(window) } } } }] } });
}

/** Loads visible articles by id with the planned query, batched, in the ids' order. */
export async function findArticlesInOrder(ctx: Context, query: object, ids: number[]): Promise<Article[]> {
  const rows = await ctx.loaders.articles(query).loadMany(ids);
  return rows.filter((row): row is Article => row != null && !(row instanceof Error));
}
