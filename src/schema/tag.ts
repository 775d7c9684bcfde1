// Tag: topics, people, organisations and places an article touches.
import { builder } from './builder.js';
import { Article, ArticleConnection, articleListArgs, resolveArticleList } from './article.js';

export const TagKind = builder.enumType('TagKind', { values: ['TOPIC', 'PERSON', 'ORGANISATION', 'PLACE'] as const });

export const Tag = builder.prismaNode('Tag', {
  id: { field: 'id' },
  fields: (t) => ({
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    kind: t.expose('kind', { type: TagKind }),
    articles: t.connection(
      {
        type: Article,
        description: 'Published articles with this tag.',
        args: articleListArgs,
        resolve: (tag, args, ctx, info) => resolveArticleList(ctx, info, args, { tag: tag.slug }) as never,
      },
      ArticleConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  tag: t.prismaField({
    type: 'Tag',
    nullable: true,
    args: { slug: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.prisma.tag.findUnique({ ...query, where: { slug: args.slug } }),
  }),
}));

// Article.tags lives here so the dependency runs one way (tag → article).
builder.prismaObjectField(Article, 'tags', (t) =>
  t.field({
    type: [Tag],
    select: { tags: { select: { tag: true }, orderBy: { tagId: 'asc' } } },
    resolve: (article) => article.tags.map((link) => link.tag),
  }),
);
