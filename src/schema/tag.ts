// Tag: topics, people, organisations and places an article touches.
import * as enums from '../generated/prisma/enums.js';
import { createTag, updateTag } from '../newsroom/catalog.js';
import { Article, ArticleConnection, articleListArgs, parseIntId, resolveArticleList } from './article.js';
import { builder } from './builder.js';
import { type CacheRules, objectPurge } from './cache-rules.js';
import { nonEmpty } from './selection.js';
import { toDomainInput } from './inputs.js';

export const TagKind = builder.enumType(enums.TagKind, { name: 'TagKind' });

export const Tag = builder.prismaNode('Tag', {
  id: { field: 'id' },
  // Select mode, as for sections: a card's tags read the columns it shows.
  select: { id: true, slug: true, name: true, kind: true },
  nullable: true, // an unknown id is null, not an error
  findUnique: (id) => ({ id: parseIntId(id) }),
  fields: (t) => ({
    slug: t.string({ resolve: (g) => g.slug }),
    name: t.string({ resolve: (g) => g.name }),
    kind: t.field({ type: TagKind, resolve: (g) => g.kind }),
    articles: t.connection(
      {
        type: Article,
        description: 'Published articles with this tag.',
        args: articleListArgs,
        resolve: (tag, args, ctx, info) => resolveArticleList(ctx, info, args, { tag: tag.slug }, { via: 'tag', id: tag.id }),
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
    select: (_args, _ctx, nestedSelection) => ({ tags: { select: { tag: nestedSelection(true) }, orderBy: { tagId: 'asc' } } }),
    resolve: (article) => article.tags.map((link) => link.tag),
  }),
);

const tagInput = (required: boolean) =>
  builder.inputType(required ? 'CreateTagInput' : 'UpdateTagInput', {
    fields: (t) => ({ slug: t.string({ required }), name: t.string({ required }), kind: t.field({ type: TagKind }) }),
  });
const CreateTagInput = tagInput(true);
const UpdateTagInput = tagInput(false);

builder.mutationFields((t) => ({
  createTag: t.prismaField({
    type: 'Tag',
    errors: {},
    description: 'EDITOR.',
    args: { input: t.arg({ type: CreateTagInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await createTag(ctx, toDomainInput(args.input) as never);
      return ctx.prisma.tag.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
    },
  }),
  updateTag: t.prismaField({
    type: 'Tag',
    errors: {},
    description: 'EDITOR.',
    args: { id: t.arg.globalID({ required: true, for: [Tag] }), input: t.arg({ type: UpdateTagInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await updateTag(ctx, parseIntId(args.id.id), toDomainInput(args.input) as never);
      return ctx.prisma.tag.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
    },
  }),
}));

export const tagCacheRules: CacheRules = {
  purge: (event) => (event.type.startsWith('TAG_') ? objectPurge('Tag', event.tagId) : []),
};
