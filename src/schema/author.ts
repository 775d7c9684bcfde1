// Author: staff, contributors and wire agencies, with their published articles.
import * as enums from '../generated/prisma/enums.js';
import { createAuthor, updateAuthor } from '../newsroom/catalog.js';
import { Article, ArticleConnection, articleListArgs, parseIntId, resolveArticleList } from './article.js';
import { builder } from './builder.js';
import { type CacheRules, objectPurge } from './cache-rules.js';
import { nonEmpty } from './selection.js';
import { toDomainInput } from './inputs.js';

export const AuthorKind = builder.enumType(enums.AuthorKind, { name: 'AuthorKind' });

export const Author = builder.prismaNode('Author', {
  id: { field: 'id' },
  // Select mode, as for sections: a byline reads the columns a card shows, not the bio.
  select: { id: true, slug: true, name: true, kind: true },
  nullable: true, // an unknown id is null, not an error
  findUnique: (id) => ({ id: parseIntId(id) }),
  fields: (t) => ({
    slug: t.string({ resolve: (a) => a.slug }),
    name: t.string({ resolve: (a) => a.name }),
    bio: t.exposeString('bio', { nullable: true }),
    kind: t.field({ type: AuthorKind, resolve: (a) => a.kind }),
    avatarUrl: t.exposeString('avatarUrl', { nullable: true }),
    articles: t.connection(
      {
        type: Article,
        description: 'Published articles with this author in the byline.',
        args: articleListArgs,
        resolve: (author, args, ctx, info) =>
          resolveArticleList(ctx, info, args, { author: author.slug }, { via: 'author', id: author.id }),
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

const authorInput = (required: boolean) =>
  builder.inputType(required ? 'CreateAuthorInput' : 'UpdateAuthorInput', {
    fields: (t) => ({
      slug: t.string({ required }),
      name: t.string({ required }),
      bio: t.string(),
      kind: t.field({ type: AuthorKind }),
      avatarUrl: t.string(),
    }),
  });
const CreateAuthorInput = authorInput(true);
const UpdateAuthorInput = authorInput(false);

builder.mutationFields((t) => ({
  createAuthor: t.prismaField({
    type: 'Author',
    errors: {},
    description: 'ADMIN.',
    args: { input: t.arg({ type: CreateAuthorInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await createAuthor(ctx, toDomainInput(args.input) as never);
      return ctx.prisma.author.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
    },
  }),
  updateAuthor: t.prismaField({
    type: 'Author',
    errors: {},
    description: 'ADMIN.',
    args: { id: t.arg.globalID({ required: true, for: [Author] }), input: t.arg({ type: UpdateAuthorInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await updateAuthor(ctx, parseIntId(args.id.id), toDomainInput(args.input) as never);
      return ctx.prisma.author.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
    },
  }),
}));

export const authorCacheRules: CacheRules = {
  purge: (event) => (event.type.startsWith('AUTHOR_') ? objectPurge('Author', event.authorId) : []),
};
