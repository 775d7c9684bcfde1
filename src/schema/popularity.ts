// mostPopular: the most read published stories in a window (see newsroom/popularity.ts).
import { queryFromInfo } from '@pothos/plugin-prisma';
import type { Prisma } from '../generated/prisma/client.js';
import { articleWhere, mostReadPage } from '../newsroom/articles.js';
import { Article, PopularityWindowEnum } from './article.js';
import { builder } from './builder.js';
import type { CacheRules } from './cache-rules.js';
import { checkPageSize } from './pagination.js';

builder.queryFields((t) => ({
  mostPopular: t.field({
    type: [Article],
    description: 'Most read published articles in the window, most read first. The ranking is refreshed every minute or so.',
    args: {
      window: t.arg({ type: PopularityWindowEnum, defaultValue: 'DAY' }),
      section: t.arg.string({ description: 'Section slug; includes its subsections.' }),
      first: t.arg.int({ defaultValue: 10 }),
    },
    resolve: async (_root, args, ctx, info) => {
      checkPageSize(args);
      const where = await articleWhere(ctx, { section: args.section });
      const query = queryFromInfo({ context: ctx, info }) as { select: Prisma.ArticleSelect };
      return mostReadPage(ctx, query, where, args.window ?? 'DAY', { offset: 0, limit: args.first ?? 10 });
    },
  }),
}));

/** Read counts change all the time and no event says so: the list lives its own short TTL. */
export const popularityCacheRules: CacheRules = { ttl: { 'Query.mostPopular': 'popular' } };
