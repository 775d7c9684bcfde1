// Section: the site's tree (World › Asia); a section's list includes its subsections.
import { builder } from './builder.js';
import { ArticleConnection, articleListArgs, resolveArticleList, Article } from './article.js';

export const Section = builder.prismaNode('Section', {
  id: { field: 'id' },
  fields: (t) => ({
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    position: t.exposeInt('position'),
    parent: t.relation('parent', { nullable: true }),
    children: t.relation('children', { query: { orderBy: [{ position: 'asc' }, { id: 'asc' }] } }),
    articles: t.connection(
      {
        type: Article,
        description: 'Published articles of this section and its subsections.',
        args: articleListArgs,
        resolve: (section, args, ctx, info) => resolveArticleList(ctx, info, args, { section: section.slug }) as never,
      },
      ArticleConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  sections: t.prismaField({
    type: ['Section'],
    description: 'The top-level sections in order; `children` walks the tree.',
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.section.findMany({ ...query, where: { parentId: null }, orderBy: [{ position: 'asc' }, { id: 'asc' }] }),
  }),
  section: t.prismaField({
    type: 'Section',
    nullable: true,
    args: { slug: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.prisma.section.findUnique({ ...query, where: { slug: args.slug } }),
  }),
}));
