// What partner feeds and news sitemaps list: the newest articles a reader may see (the same
// filters and visibility rule as the `articles` list), for the site or one section (with its
// subsections), tag or author. GraphQL- and HTTP-free; src/server/feeds.ts renders them.
import { type ArticleFilter, articleWhere } from './articles.js';
import type { Reader } from './reader.js';

/** Whose feed: the whole site, or one section (subtree), tag or author by slug. */
export type FeedScope = { kind: 'site' } | { kind: 'section' | 'tag' | 'author'; slug: string };

/** The section, tag or author a scoped feed is about. */
export type FeedSubject = { kind: 'section' | 'tag' | 'author'; id: number; slug: string; name: string; description: string | null };

const feedArticleSelect = {
  id: true,
  slug: true,
  headline: true,
  summary: true,
  bodyText: true,
  publishedAt: true,
  updatedAt: true,
  section: { select: { id: true, slug: true, name: true } },
  bylines: { orderBy: { position: 'asc' }, select: { author: { select: { id: true, slug: true, name: true } } } },
  tags: { select: { tag: { select: { id: true, slug: true, name: true } } } },
} as const;

export type FeedArticle = {
  id: number;
  slug: string;
  headline: string;
  summary: string | null;
  publishedAt: Date;
  /** The public "Updated" time, when there is one. */
  updatedAt: Date | null;
  section: { id: number; slug: string; name: string };
  authors: { id: number; slug: string; name: string }[];
  tags: { id: number; slug: string; name: string }[];
};

/** The section, tag or author of a scoped feed; null for an unknown slug (the site has none either). */
export async function findFeedSubject(reader: Reader, scope: FeedScope): Promise<FeedSubject | null> {
  if (scope.kind === 'site') return null;
  const where = { slug: scope.slug };
  const row: { id: number; slug: string; name: string; description?: string | null; bio?: string | null } | null =
    scope.kind === 'section'
      ? await reader.prisma.section.findUnique({ where, select: { id: true, slug: true, name: true, description: true } })
      : scope.kind === 'tag'
        ? await reader.prisma.tag.findUnique({ where, select: { id: true, slug: true, name: true } })
        : await reader.prisma.author.findUnique({ where, select: { id: true, slug: true, name: true, bio: true } });
  if (!row) return null;
  return { kind: scope.kind, id: row.id, slug: row.slug, name: row.name, description: row.description ?? row.bio ?? null };
}

/**
 * The newest articles of the scope the reader may see, newest first, optionally only those
 * published since `since`; `offset` pages through them (sitemap files). One statement, plus the
 * section tree for a section scope (as the `articles` list reads it).
 */
export async function latestArticles(
  reader: Reader,
  scope: FeedScope,
  page: { limit: number; offset?: number; since?: Date },
): Promise<FeedArticle[]> {
  const filter: ArticleFilter = { publishedAfter: page.since ?? null };
  if (scope.kind !== 'site') filter[scope.kind] = scope.slug;
  const where = await articleWhere(reader, filter);
  const rows = await reader.prisma.article.findMany({
    select: feedArticleSelect,
    where,
    // The order of the `articles` list (newest first), on the same index.
    orderBy: [{ publishedAt: 'desc' }, { id: 'desc' }],
    skip: page.offset ?? 0,
    take: page.limit,
  });
  return rows.map(({ bylines, tags, publishedAt, bodyText, ...row }) => ({
    ...row,
    // Without a dek, the first words of the body's plain text stand in for it.
    summary: row.summary ?? snippet(bodyText),
    // A published article always has its publication time; the fallback keeps the type honest.
    publishedAt: publishedAt ?? new Date(0),
    authors: bylines.map((byline) => byline.author),
    tags: tags.map((link) => link.tag),
  }));
}

/** The first sentence or so of a plain text, cut at a word with "…" past `max` characters. */
export function snippet(text: string, max = 280): string | null {
  const first = text.split('\n\n')[0]?.trim() ?? '';
  if (!first) return null;
  if (first.length <= max) return first;
  return `${first.slice(0, max).replace(/\s+\S*$/, '')}…`;
}

/** How many articles of the site the reader may see were published since `since`. */
export async function countArticlesSince(reader: Reader, since: Date): Promise<number> {
  return reader.prisma.article.count({ where: await articleWhere(reader, { publishedAfter: since }) });
}
