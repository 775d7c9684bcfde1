// Author: staff, contributors and wire agencies, with their published articles.
import { builder } from './builder.js';
import { Article, ArticleConnection, articleListArgs, resolveArticleList } from './article.js';

export const AuthorKind = builder.enumType('AuthorKind', { values: ['STAFF', 'CONTRIBUTOR', 'AGENCY'] as const });

export const Author = builder.prismaNode('Author', {
  id: { field: 'id' },
  fields: (t) => ({
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    bio: t.exposeString('bio', { nullable: true }),
    kind: t.expose('kind', { type: AuthorKind }),
    avatarUrl: t.exposeString('avatarUrl', { nullable: true }),
    articles: t.connection(
      {
        type: Article,
        description: 'Published articles with this author in the byline.',
        args: articleListArgs,
        resolve: (author, args, ctx, info) => resolveArticleList(ctx, info, args, { author: author.slug }) as never,
      },
      ArticleConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  author: t.prismaField({
    type: 'Author',
    nullable: true,
    args: { slug: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.prisma.author.findUnique({ ...query, where: { slug: args.slug } }),
  }),
}));
