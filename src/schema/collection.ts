// Collection: an editor-curated ordered list such as "Must Read".
import { visibleArticleWhere } from '../newsroom/visibility.js';
import { Article } from './article.js';
import { builder } from './builder.js';

export const Collection = builder.prismaNode('Collection', {
  id: { field: 'id' },
  fields: (t) => ({
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    articles: t.field({
      type: [Article],
      description: 'The published articles of the list, in the editors\' order.',
      select: (_args, ctx, nestedSelection) => ({
        items: {
          where: { article: visibleArticleWhere(ctx.viewer) },
          orderBy: [{ position: 'asc' }, { articleId: 'asc' }],
          select: { article: nestedSelection(true) },
        },
      }),
      resolve: (collection) => collection.items.map((item) => item.article),
    }),
  }),
});

builder.queryFields((t) => ({
  collection: t.prismaField({
    type: 'Collection',
    nullable: true,
    args: { slug: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.prisma.collection.findUnique({ ...query, where: { slug: args.slug } }),
  }),
}));
