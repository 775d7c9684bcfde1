// The one rule for what a viewer may read. Every path to an article (by id, slug, lists,
// relations, editions, collections, search, counts) goes through it: published articles for
// everyone; drafts, scheduled and unpublished articles only where a viewer with rights asks for
// a preview (`article(…, preview: true)`, the editors' `desk`): editors see all of them, a
// writer those with their own name in the byline. API keys are secrets: ADMIN only.
import type { Prisma } from '../generated/prisma/client.js';
import { hasRole, type Viewer } from './auth.js';

export function visibleArticleWhere(viewer: Viewer, preview = false): Prisma.ArticleWhereInput {
  if (!preview || viewer.kind === 'anonymous') return { status: 'PUBLISHED' };
  if (hasRole(viewer, 'EDITOR')) return {};
  return { OR: [{ status: 'PUBLISHED' }, ownArticles(viewer)] };
}

/** Articles with the writer's author in the byline. */
export function ownArticles(viewer: Extract<Viewer, { kind: 'key' }>): Prisma.ArticleWhereInput {
  return { bylines: { some: { authorId: viewer.authorId ?? -1 } } };
}

/**
 * Authors and tags in their own lists: for readers without a key, those with a published article
 * (one added for a story not yet out says nothing before it is); any key sees all of them.
 */
export function visibleAuthorWhere(viewer: Viewer): Prisma.AuthorWhereInput {
  return viewer.kind === 'anonymous' ? { bylines: { some: { article: { status: 'PUBLISHED' } } } } : {};
}

export function visibleTagWhere(viewer: Viewer): Prisma.TagWhereInput {
  return viewer.kind === 'anonymous' ? { articles: { some: { article: { status: 'PUBLISHED' } } } } : {};
}

/**
 * API keys (name, role, prefix, last use) are visible to ADMIN keys only. For everyone else the
 * condition matches nothing, so a key's id reads as an unknown one: null, no error, no hint.
 */
export function visibleApiKeyWhere(viewer: Viewer): Prisma.ApiKeyWhereInput {
  return hasRole(viewer, 'ADMIN') ? {} : { id: { in: [] } };
}

/** The public rule as SQL, for the raw queries (search, related, popularity). */
export function publishedArticleSql(alias = 'a'): string {
  return `${alias}."status" = 'PUBLISHED'`;
}
