// Most Popular: reads are counted per article per hour (ArticleRead); PopularArticle holds each
// article's sum over each window, recomputed every POPULARITY_REFRESH_MS, so a page reads the top
// of an index (one statement with the article cards) instead of aggregating a week of reads.
import type { PopularityWindow, Prisma, PrismaClient } from '../generated/prisma/client.js';
import { runShared } from './jobs.js';

export type { PopularityWindow };

export const popularityWindows: Record<PopularityWindow, number> = {
  HOUR: 3_600_000,
  DAY: 86_400_000,
  WEEK: 7 * 86_400_000,
  MONTH: 30 * 86_400_000,
};

/** Read counts are kept per hour, so a window starts at the top of an hour. */
export function windowStart(window: PopularityWindow, now = new Date()): Date {
  const start = new Date(now.getTime() - popularityWindows[window]);
  start.setUTCMinutes(0, 0, 0);
  return start;
}

/**
 * Recomputes PopularArticle from ArticleRead in one statement: one pass over the longest window
 * sums every window at once; rows whose count did not change are not written, rows that fell out
 * of every window are deleted.
 */
export async function refreshPopularity(db: PrismaClient | Prisma.TransactionClient, now = new Date()): Promise<void> {
  const [hour, day, week, month] = (['HOUR', 'DAY', 'WEEK', 'MONTH'] as const).map((w) => windowStart(w, now));
  await db.$executeRaw`
    WITH sums AS (
      SELECT "articleId",
        SUM("count") FILTER (WHERE bucket >= ${hour}) AS hour,
        SUM("count") FILTER (WHERE bucket >= ${day}) AS day,
        SUM("count") FILTER (WHERE bucket >= ${week}) AS week,
        SUM("count") AS month
      FROM "ArticleRead" WHERE bucket >= ${month}
      GROUP BY "articleId"
    ), totals AS (
      SELECT w."window"::"PopularityWindow" AS "window", s."articleId", w.reads::int AS reads
      FROM sums s
      CROSS JOIN LATERAL (VALUES ('HOUR', s.hour), ('DAY', s.day), ('WEEK', s.week), ('MONTH', s.month)) w("window", reads)
      WHERE w.reads > 0
    ), upserted AS (
      INSERT INTO "PopularArticle" ("window", "articleId", reads)
      SELECT "window", "articleId", reads FROM totals
      ON CONFLICT ("window", "articleId") DO UPDATE SET reads = EXCLUDED.reads
      WHERE "PopularArticle".reads <> EXCLUDED.reads
    )
    DELETE FROM "PopularArticle" p
    WHERE NOT EXISTS (SELECT 1 FROM totals t WHERE t."window" = p."window" AND t."articleId" = p."articleId")`;
}

/**
 * Refreshes the ranking unless another gateway did within `intervalMs` (or is doing it now).
 * Returns whether this call refreshed it.
 */
export function refreshPopularityIfDue(prisma: PrismaClient, intervalMs: number, now = new Date()): Promise<boolean> {
  return runShared(prisma, 'popularity', intervalMs, (tx) => refreshPopularity(tx, now), now);
}
