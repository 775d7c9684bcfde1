// Collection: an editor-curated ordered list such as "Must Read".
import { createCollection, setCollectionItems, updateCollection } from '../newsroom/catalog.js';
import { visibleArticleWhere } from '../newsroom/visibility.js';
import { Article, parseIntId } from './article.js';
import { builder } from './builder.js';
import { type CacheRules, COLLECTION_ARTICLE_LISTS, collectionArticleList, objectPurge } from './cache-rules.js';
import { nonEmpty } from './selection.js';
import { toDomainInput } from './inputs.js';

export const Collection = builder.prismaNode('Collection', {
  id: { field: 'id' },
  nullable: true, // an unknown id is null, not an error
  findUnique: (id) => ({ id: parseIntId(id) }),
  fields: (t) => ({
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    articles: t.field({
      type: [Article],
      description: "The published articles of the list, in the editors' order.",
      select: (_args, ctx, nestedSelection) => ({
        items: {
          where: { article: visibleArticleWhere(ctx.viewer) },
          orderBy: [{ position: 'asc' }, { articleId: 'asc' }],
          select: { article: nestedSelection(true) },
        },
      }),
      resolve: (collection, _args, ctx) => {
        // Keyed by the collection (cache-rules.ts): a publish of a story outside it leaves it cached.
        ctx.cacheKeys.add(COLLECTION_ARTICLE_LISTS).add(collectionArticleList(collection.id));
        return collection.items.map((item) => item.article);
      },
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

const collectionInput = (required: boolean) =>
  builder.inputType(required ? 'CreateCollectionInput' : 'UpdateCollectionInput', {
    ...(!required && { description: 'Only the fields given change.' }),
    fields: (t) => ({ slug: t.string({ required }), name: t.string({ required }), description: t.string() }),
  });
const CreateCollectionInput = collectionInput(true);
const UpdateCollectionInput = collectionInput(false);

builder.mutationFields((t) => ({
  createCollection: t.prismaField({
    type: 'Collection',
    errors: {},
    description: 'EDITOR.',
    args: { input: t.arg({ type: CreateCollectionInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await createCollection(ctx, toDomainInput(args.input) as never);
      return ctx.prisma.collection.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
    },
  }),
  updateCollection: t.prismaField({
    type: 'Collection',
    errors: {},
    description: 'EDITOR. Rename it, change its slug or description.',
    args: { id: t.arg.globalID({ required: true, for: [Collection] }), input: t.arg({ type: UpdateCollectionInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await updateCollection(ctx, parseIntId(args.id.id), toDomainInput(args.input) as never);
      return ctx.prisma.collection.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
    },
  }),
  setCollectionItems: t.prismaField({
    type: 'Collection',
    errors: {},
    description: "EDITOR. The collection's articles become exactly these, in this order.",
    args: {
      id: t.arg.globalID({ required: true, for: [Collection] }),
      articles: t.arg.globalIDList({ required: true, for: [Article] }),
    },
    resolve: async (query, _root, args, ctx) => {
      const articleIds = args.articles.map((a) => parseIntId(a.id));
      const { id } = await setCollectionItems(ctx, parseIntId(args.id.id), articleIds);
      return ctx.prisma.collection.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
    },
  }),
}));

export const collectionCacheRules: CacheRules = {
  purge: (event) => (event.type.startsWith('COLLECTION_') ? objectPurge('Collection', event.collectionId) : []),
};
