// The one rule for what a viewer may read. Every path to an article (by id, slug, lists,
// relations, editions, collections, search, counts) goes through it.
import type { Viewer } from '../context.js';
import type { Prisma } from '../generated/prisma/client.js';

export function visibleArticleWhere(_viewer: Viewer): Prisma.ArticleWhereInput {
  return { status: 'PUBLISHED' };
}

/** The same rule as SQL, for the raw queries (search, related, popularity). */
export function visibleArticleSql(_viewer: Viewer, alias = 'a'): string {
  return `${alias}."status" = 'PUBLISHED'`;
}
