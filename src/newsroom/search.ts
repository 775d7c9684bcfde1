// Full-text search: PostgreSQL's weighted, stemmed `searchVector` (GIN-indexed), ranked, with
// highlighted headline and snippet. The same SQL runs on PGlite and PostgreSQL.
// Highlights are HTML a frontend renders as such, so the story's own text is escaped first:
// ts_headline marks matches with two private-use characters (removed from the text beforehand,
// so the text cannot forge them), then the text is HTML-escaped, then the marks become <mark>.
import { Prisma } from '../generated/prisma/client.js';
import type { ArticleFilter } from './articles.js';
import { sectionSubtreeIds } from './loaders.js';
import type { Reader } from './reader.js';
import { publishedArticleSql } from './visibility.js';

export type SearchHit = { id: number; rank: number; headline: string; snippet: string };

const START = '\uE000';
const STOP = '\uE001';
const MARKERS = START + STOP;
const highlight = `StartSel=${START}, StopSel=${STOP}, HighlightAll=true`;
const snippet = `StartSel=${START}, StopSel=${STOP}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** ts_headline's output as safe HTML: everything escaped, only the marks are tags. */
export function highlightHtml(marked: string): string {
  return marked
    .replace(/[&<>"']/g, (char) => ESCAPES[char]!)
    .replaceAll(START, '<mark>')
    .replaceAll(STOP, '</mark>');
}

/** The article filter as SQL conditions on alias `a` (search cannot go through Prisma's where). */
async function filterSql(reader: Reader, filter: ArticleFilter): Promise<Prisma.Sql[]> {
  const conditions = [Prisma.raw(publishedArticleSql())];
  if (filter.section != null) {
    conditions.push(Prisma.sql`a."sectionId" = ANY(${await sectionSubtreeIds(reader.loaders, filter.section)}::int[])`);
  }
  if (filter.author != null) {
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "ArticleAuthor" aa JOIN "Author" au ON au.id = aa."authorId"
      WHERE aa."articleId" = a.id AND au.slug = ${filter.author})`);
  }
  if (filter.tag != null) {
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "ArticleTag" at JOIN "Tag" tg ON tg.id = at."tagId"
      WHERE at."articleId" = a.id AND tg.slug = ${filter.tag})`);
  }
  if (filter.kind?.length) conditions.push(Prisma.sql`a.kind::text = ANY(${filter.kind}::text[])`);
  if (filter.edition != null) {
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "EditionPlacement" p JOIN "Edition" e ON e.id = p."editionId"
      WHERE p."articleId" = a.id AND e.slug = ${filter.edition})`);
  }
  if (filter.publishedAfter) conditions.push(Prisma.sql`a."publishedAt" >= ${filter.publishedAfter}`);
  if (filter.publishedBefore) conditions.push(Prisma.sql`a."publishedAt" < ${filter.publishedBefore}`);
  return conditions;
}

/**
 * Hits ranked per request: the newest this many matches. A common word matches thousands of
 * stories, and ranking reads each one's whole tsvector (300 ms for 11,500 matches on 100k
 * articles, 27 ms for the newest 1,000). News search favours recent stories anyway; totalCount
 * still counts every match, and paging ends after the ranked ones.
 */
export const RANKED_MATCHES = 1000;

/** One page of hits, best first (rank, then newest), among the newest `ranked` matches. */
export async function searchArticles(
  reader: Reader,
  text: string,
  filter: ArticleFilter,
  page: { offset: number; limit: number },
  ranked = RANKED_MATCHES,
): Promise<SearchHit[]> {
  const where = Prisma.join(await filterSql(reader, filter), ' AND ');
  const rows = await reader.prisma.$queryRaw<SearchHit[]>(Prisma.sql`
    WITH candidate AS (
      SELECT a.id, a."publishedAt" FROM "Article" a, websearch_to_tsquery('english', ${text}) q
      WHERE a."searchVector" @@ q AND ${where}
      ORDER BY a."publishedAt" DESC, a.id DESC
      LIMIT ${ranked}
    )
    SELECT a.id, ts_rank_cd(a."searchVector", q, 1) AS rank,
      ts_headline('english', translate(a.headline, ${MARKERS}, ''), q, ${highlight}) AS headline,
      ts_headline('english', translate(coalesce(a.summary, '') || E'\n' || a."bodyText", ${MARKERS}, ''), any_term, ${snippet}) AS snippet
    FROM candidate c JOIN "Article" a ON a.id = c.id, websearch_to_tsquery('english', ${text}) q,
      -- Snippets mark every matched word: a fragment rarely holds all of them, and with the
      -- query's AND ts_headline would fall back to the start of the text, unmarked.
      to_tsquery('simple', replace(replace(q::text, '<->', '|'), '&', '|')) any_term
    ORDER BY rank DESC, c."publishedAt" DESC, c.id DESC
    OFFSET ${page.offset} LIMIT ${page.limit}`);
  return rows.map((row) => ({
    id: Number(row.id),
    rank: Number(row.rank),
    headline: highlightHtml(row.headline),
    snippet: highlightHtml(row.snippet),
  }));
}

export async function countSearch(reader: Reader, text: string, filter: ArticleFilter): Promise<number> {
  const where = Prisma.join(await filterSql(reader, filter), ' AND ');
  const [row] = await reader.prisma.$queryRaw<{ count: bigint }[]>(Prisma.sql`
    SELECT count(*) AS count FROM "Article" a, websearch_to_tsquery('english', ${text}) q
    WHERE a."searchVector" @@ q AND ${where}`);
  return Number(row?.count ?? 0);
}
