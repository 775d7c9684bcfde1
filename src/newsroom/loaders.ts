// Per-request batching for what Pothos' prisma plan does not cover: related stories (raw SQL)
// and the section tree. One instance per request, so nothing leaks between viewers.
import DataLoader from 'dataloader';
import type { Viewer } from '../context.js';
import { Prisma, type Article, type PrismaClient } from '../generated/prisma/client.js';
import { visibleArticleWhere } from './visibility.js';

export type SectionRow = { id: number; slug: string; parentId: number | null };
export type RelatedRow = { source: number; id: number };

export function createLoaders(prisma: PrismaClient, viewer: Viewer) {
  let sections: Promise<SectionRow[]> | undefined;
  const related = new Map<number, DataLoader<number, number[]>>();
  const articles = new Map<string, DataLoader<number, Article | undefined>>();
  return {
    /**
     * Visible articles by id, loaded with a planned Prisma query (its include/select): every
     * field asking for the same shape in one tick shares one statement.
     */
    articles(query: object) {
      const key = JSON.stringify(query);
      let loader = articles.get(key);
      if (!loader) {
        loader = new DataLoader(async (ids: readonly number[]) => {
          const rows = await prisma.article.findMany({
            ...query,
            where: { AND: [visibleArticleWhere(viewer), { id: { in: [...ids] } }] },
          });
          const byId = new Map(rows.map((row) => [row.id, row]));
          return ids.map((id) => byId.get(id));
        });
        articles.set(key, loader);
      }
      return loader;
    },
    /** All sections, read once per request (a small table) to expand a section to its subtree. */
    sections: () => (sections ??= prisma.section.findMany({ select: { id: true, slug: true, parentId: true } })),
    /** Ids of published articles related to each article (shared tags first, then section). */
    related(limit: number) {
      let loader = related.get(limit);
      if (!loader) {
        loader = new DataLoader((ids) => loadRelated(prisma, ids, limit), { maxBatchSize: 500 });
        related.set(limit, loader);
      }
      return loader;
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** Ids of the section with this slug and all sections below it; empty when the slug is unknown. */
export async function sectionSubtreeIds(loaders: Loaders, slug: string): Promise<number[]> {
  const all = await loaders.sections();
  const root = all.find((s) => s.slug === slug);
  if (!root) return [];
  const ids = [root.id];
  for (let i = 0; i < ids.length; i += 1) {
    for (const s of all) if (s.parentId === ids[i]) ids.push(s.id);
  }
  return ids;
}

// Candidates are the articles sharing a tag (2 points per tag) and the newest 50 of the same
// section (1 point); both come from indexes, so the cost does not grow with the archive.
async function loadRelated(prisma: PrismaClient, ids: readonly number[], limit: number): Promise<number[][]> {
  const rows = await prisma.$queryRaw<RelatedRow[]>(Prisma.sql`
    SELECT src.id AS source, r.id
    FROM "Article" src
    CROSS JOIN LATERAL (
      SELECT c.id, SUM(c.weight) AS score, a."publishedAt"
      FROM (
        SELECT t2."articleId" AS id, 2 AS weight
        FROM "ArticleTag" t1
        JOIN "ArticleTag" t2 ON t2."tagId" = t1."tagId" AND t2."articleId" <> src.id
        WHERE t1."articleId" = src.id
        UNION ALL
        SELECT * FROM (
          SELECT s.id, 1 FROM "Article" s
          WHERE s."sectionId" = src."sectionId" AND s."status" = 'PUBLISHED' AND s.id <> src.id
          ORDER BY s."publishedAt" DESC, s.id DESC LIMIT 50
        ) same_section
      ) c
      JOIN "Article" a ON a.id = c.id AND a."status" = 'PUBLISHED'
      GROUP BY c.id, a."publishedAt"
      ORDER BY score DESC, a."publishedAt" DESC, c.id DESC
      LIMIT ${limit}
    ) r
    WHERE src.id = ANY(${[...ids]}::int[])`);
  const bySource = new Map<number, number[]>(ids.map((id) => [id, []]));
  for (const row of rows) bySource.get(Number(row.source))?.push(Number(row.id));
  return ids.map((id) => bySource.get(id) ?? []);
}
