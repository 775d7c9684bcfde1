// Every domain module registers its types on the one builder; importing them builds the schema.
// The modules' response-cache rules are collected here for the server.
import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import { articleCacheRules } from './article.js';
import './api-key.js';
import './article-editing.js';
import { collectCacheRules, type PurgedEvent, surrogateKey } from './cache-rules.js';
import './error-types.js';
import { authorCacheRules } from './author.js';
import { authorIndexCacheRules } from './author-index.js';
import { collectionCacheRules } from './collection.js';
import './body.js';
import { liveBlogCacheRules } from './live-blog.js';
import { editionCacheRules } from './edition.js';
import { popularityCacheRules } from './popularity.js';
import { searchCacheRules } from './search.js';
import { sectionCacheRules } from './section.js';
import './subscription.js';
import { tagCacheRules } from './tag.js';
import { tagIndexCacheRules } from './tag-index.js';
import './webhook.js';

export const schema = builder.toSchema();
/** The schema as printed to schema/schema.graphql: sorted, so diffs stay readable. */
export const sortedSchema = lexicographicSortSchema(schema);
/** TTLs and purge rules for the response cache, from the modules that declare the types. */
export const cacheRules = collectCacheRules([
  articleCacheRules,
  authorCacheRules,
  authorIndexCacheRules,
  collectionCacheRules,
  editionCacheRules,
  liveBlogCacheRules,
  popularityCacheRules,
  searchCacheRules,
  sectionCacheRules,
  tagCacheRules,
  tagIndexCacheRules,
]);

/**
 * The surrogate keys an outbox event purges (`Article`, `Article:12`, `Collection:3` …), the
 * names responses carry in `Surrogate-Key`. The one mapping from events to purges: the
 * gateway's response and HTTP caches purge by it, and so must a CDN purger.
 */
export function surrogateKeysToPurge(event: PurgedEvent): string[] {
  return [...new Set(cacheRules.purge(event).map(surrogateKey))].sort();
}
