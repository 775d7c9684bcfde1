// search(query): ranked full-text results with highlighted headline and snippet.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { findArticlesInOrder } from '../newsroom/articles.js';
import { mayMoveArticle, mayRefileArticles } from '../newsroom/live.js';
import { countSearch, RANKED_MATCHES, searchArticles } from '../newsroom/search.js';
import type { Article as ArticleRow } from '../generated/prisma/client.js';
import { Article, ArticleFilterInput } from './article.js';
import { builder } from './builder.js';
import { ARTICLE_LIST, type CacheRules } from './cache-rules.js';
import { userError } from './errors.js';
import { countedConnection, pageOptions } from './pagination.js';

export const MAX_SEARCH_LENGTH = 200;

type SearchResultShape = { article: ArticleRow; rank: number; headline: string; snippet: string };

const SearchResult = builder.objectRef<SearchResultShape>('SearchResult').implement({
  fields: (t) => ({
    article: t.field({ type: Article, resolve: (hit) => hit.article }),
    rank: t.exposeFloat('rank', { description: 'Relevance; higher is better.' }),
    headline: t.exposeString('headline', {
      description: 'HTML: the headline, escaped, with matches in <mark>…</mark> (the only tags). Render it as HTML.',
    }),
    snippet: t.exposeString('snippet', {
      description: 'HTML: matching passages of summary and body, escaped, with matches in <mark>…</mark> (the only tags).',
    }),
  }),
});

const SearchConnection = countedConnection(SearchResult, 'Search');

builder.queryFields((t) => ({
  search: t.connection(
    {
      type: SearchResult,
      description: `Published articles matching words, "quoted phrases", OR and -exclusions; best match first among the newest ${RANKED_MATCHES} matches (totalCount counts them all).`,
      args: {
        query: t.arg.string({ required: true }),
        filter: t.arg({ type: ArticleFilterInput }),
      },
      resolve: async (_root, args, ctx, info) => {
        const text = args.query.trim();
        if (!text) throw userError('"query" must not be empty.');
        if (text.length > MAX_SEARCH_LENGTH) throw userError(`"query" must be at most ${MAX_SEARCH_LENGTH} characters.`);
        const filter = args.filter ?? {};
        const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node', 'article'], typeName: 'Article' });
        const connection = await resolveOffsetConnection(pageOptions(args), async ({ offset, limit }) => {
          const hits = await searchArticles(ctx, text, filter, { offset, limit });
          const articles = new Map(
            (
              await findArticlesInOrder(
                ctx,
                query,
                hits.map((h) => h.id),
              )
            ).map((a) => [a.id, a]),
          );
          return hits.flatMap((hit) => {
            const article = articles.get(hit.id);
            return article ? [{ ...hit, article }] : [];
          });
        });
        return { ...connection, totalCount: () => countSearch(ctx, text, filter) };
      },
    },
    SearchConnection,
  ),
}));

export const searchCacheRules: CacheRules = {
  ttl: { SearchConnection: 'list' },
  lists: [{ key: ARTICLE_LIST, items: ['SearchEdge'] }],
  purge: (event) => (mayMoveArticle(event) || mayRefileArticles(event) ? [{ typename: 'SearchEdge' }] : []),
};
