// Every domain module registers its types on the one builder; importing them builds the schema.
import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './article.js';
import './api-key.js';
import './article-editing.js';
import './error-types.js';
import './author.js';
import './collection.js';
import './edition.js';
import './popularity.js';
import './search.js';
import './section.js';
import './subscription.js';
import './tag.js';

export const schema = builder.toSchema();
/** The schema as printed to schema/schema.graphql: sorted, so diffs stay readable. */
export const sortedSchema = lexicographicSortSchema(schema);
