// The newest published articles of many tags, authors or sections at once. A list nested in
// another list (each tag of twenty cards with its own latest stories) costs one statement for all
// its parents, not one or two each. Raw SQL because the page is per parent: Prisma's nested
// `take` builds every candidate's JSON before it limits (a tag with 5,000 stories would build
// 5,000 cards for 3), while each parent's lateral subquery here walks the newest published
// articles' index and stops at its page. articles.ts then loads the rows by id with the planned
// query, one statement, and batches the parents (newestPageOf, articleCountOf).
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import type { NewestKey } from './articles.js';

/** Whose articles: a tag's, an author's (in the byline), a section's with its subsections. */
export type ParentKind = 'tag' | 'author' | 'section';
/** A parent by id; a section with the ids of its subtree (sectionSubtreeIds). */
export type ArticleParent = { id: number; sectionIds?: number[] };
export type NewestPage = { after?: NewestKey; before?: NewestKey; limit: number; inverted: boolean };

/** Published only: what visibleArticleWhere gives every viewer outside preview. */
const MEMBER: Record<ParentKind, Prisma.Sql> = {
  tag: Prisma.sql`EXISTS (SELECT 1 FROM "ArticleTag" l WHERE l."articleId" = a.id AND l."tagId" = p.id)`,
  author: Prisma.sql`EXISTS (SELECT 1 FROM "ArticleAuthor" l WHERE l."articleId" = a.id AND l."authorId" = p.id)`,
  section: Prisma.sql`a."sectionId" = ANY (ARRAY(SELECT jsonb_array_elements_text(p.sections)::int))`,
};

/** The parents as one parameter, numbered in their order. */
const parentsParameter = (parents: readonly ArticleParent[]) =>
  JSON.stringify(parents.map((parent, ord) => ({ ord, id: parent.id, sections: parent.sectionIds ?? [] })));

/** Each parent's page of article ids, in the page's order (oldest first when inverted), in one statement. */
export async function newestIdsByParent(
  prisma: PrismaClient,
  via: ParentKind,
  parents: readonly ArticleParent[],
  page: NewestPage,
): Promise<number[][]> {
  const direction = page.inverted ? Prisma.sql`ASC` : Prisma.sql`DESC`;
  const after = page.after ? Prisma.sql`AND (a."publishedAt", a.id) < (${page.after.publishedAt}, ${page.after.id})` : Prisma.empty;
  const before = page.before ? Prisma.sql`AND (a."publishedAt", a.id) > (${page.before.publishedAt}, ${page.before.id})` : Prisma.empty;
  const rows = await prisma.$queryRaw<{ ord: number; id: number }[]>`
    SELECT p.ord, a.id
    FROM jsonb_to_recordset(${parentsParameter(parents)}::jsonb) AS p(ord int, id int, sections jsonb)
    CROSS JOIN LATERAL (
      SELECT a.id, a."publishedAt" FROM "Article" a
      WHERE a.status = 'PUBLISHED' AND ${MEMBER[via]} ${after} ${before}
      ORDER BY a."publishedAt" ${direction}, a.id ${direction}
      LIMIT ${page.limit}
    ) a
    ORDER BY p.ord, a."publishedAt" ${direction}, a.id ${direction}`;
  const pages: number[][] = parents.map(() => []);
  for (const row of rows) pages[row.ord]!.push(row.id);
  return pages;
}

/** How many published articles each parent has, in one statement. */
export async function articleCountsByParent(prisma: PrismaClient, via: ParentKind, parents: readonly ArticleParent[]): Promise<number[]> {
  const rows = await prisma.$queryRaw<{ ord: number; n: number }[]>`
    SELECT p.ord, (SELECT count(*)::int FROM "Article" a WHERE a.status = 'PUBLISHED' AND ${MEMBER[via]}) AS n
    FROM jsonb_to_recordset(${parentsParameter(parents)}::jsonb) AS p(ord int, id int, sections jsonb)`;
  const counts = parents.map(() => 0);
  for (const row of rows) counts[row.ord] = row.n;
  return counts;
}
