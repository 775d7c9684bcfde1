// Every domain module registers its types on the one builder; importing them builds the schema.
// The modules' response-cache rules are collected here for the server.
import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import { articleCacheRules } from './article.js';
import './api-key.js';
import './article-editing.js';
import { collectCacheRules } from './cache-rules.js';
import './error-types.js';
import './author.js';
import './collection.js';
import { editionCacheRules } from './edition.js';
import { popularityCacheRules } from './popularity.js';
import { searchCacheRules } from './search.js';
import './section.js';
import './subscription.js';
import './tag.js';

export const schema = builder.toSchema();
/** The schema as printed to schema/schema.graphql: sorted, so diffs stay readable. */
export const sortedSchema = lexicographicSortSchema(schema);
/** TTLs and purge rules for the response cache, from the modules that declare the types. */
export const cacheRules = collectCacheRules([articleCacheRules, editionCacheRules, popularityCacheRules, searchCacheRules]);
