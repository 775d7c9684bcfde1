// mostPopular: the most read published stories in a window (read counts by hour).
import { queryFromInfo } from '@pothos/plugin-prisma';
import { articleWhere, findArticlesInOrder, mostReadIds } from '../newsroom/articles.js';
import { Article, PopularityWindowEnum } from './article.js';
import { builder } from './builder.js';
import { checkPageSize } from './pagination.js';

builder.queryFields((t) => ({
  mostPopular: t.field({
    type: [Article],
    description: 'Most read published articles in the window, most read first.',
    args: {
      window: t.arg({ type: PopularityWindowEnum, defaultValue: 'DAY' }),
      section: t.arg.string({ description: 'Section slug; includes its subsections.' }),
      first: t.arg.int({ defaultValue: 10 }),
    },
    resolve: async (_root, args, ctx, info) => {
      checkPageSize(args);
      const where = await articleWhere(ctx, { section: args.section });
      const ids = await mostReadIds(ctx, where, args.window ?? 'DAY', { offset: 0, limit: args.first ?? 10 });
      return findArticlesInOrder(ctx, queryFromInfo({ context: ctx, info }), ids);
    },
  }),
}));
