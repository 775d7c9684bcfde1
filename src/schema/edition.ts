// Edition: a dated issue (the daily e-paper and others) with its ordered placements.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { createEdition, setEditionPlacements } from '../newsroom/catalog.js';
import { mayMoveArticle } from '../newsroom/live.js';
import { visibleArticleWhere } from '../newsroom/visibility.js';
import type { Prisma } from '../generated/prisma/client.js';
import * as enums from '../generated/prisma/enums.js';
import { Article, parseIntId } from './article.js';
import { builder } from './builder.js';
import { ARTICLE_LIST, type CacheRules } from './cache-rules.js';
import { nonEmpty } from './selection.js';
import { toDomainInput } from './inputs.js';
import { userError } from './errors.js';
import { countedConnection, pageOptions } from './pagination.js';

export const EditionKind = builder.enumType(enums.EditionKind, { name: 'EditionKind' });

export const EditionPlacement = builder.prismaObject('EditionPlacement', {
  description: 'Where an article stands in an edition.',
  fields: (t) => ({
    page: t.exposeInt('page'),
    position: t.exposeInt('position'),
    article: t.relation('article'),
  }),
});

export const Edition = builder.prismaNode('Edition', {
  id: { field: 'id' },
  nullable: true, // an unknown id is null, not an error
  findUnique: (id) => ({ id: parseIntId(id) }),
  fields: (t) => ({
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    kind: t.expose('kind', { type: EditionKind }),
    date: t.expose('date', { type: 'Date' }),
    placements: t.relation('placements', {
      description: 'Published articles in page and position order.',
      query: (_args, ctx) => ({
        where: { article: visibleArticleWhere(ctx.viewer) },
        orderBy: [{ page: 'asc' }, { position: 'asc' }],
      }),
    }),
  }),
});

const EditionConnection = countedConnection(Edition, 'Edition');

builder.queryFields((t) => ({
  edition: t.prismaField({
    type: 'Edition',
    nullable: true,
    description: 'One edition by slug, or by date and kind (the daily e-paper by default).',
    args: {
      slug: t.arg.string(),
      date: t.arg({ type: 'Date' }),
      kind: t.arg({ type: EditionKind, defaultValue: 'DAILY' }),
    },
    resolve: (query, _root, args, ctx) => {
      if ((args.slug == null) === (args.date == null)) throw userError('Give exactly one of "slug" and "date".');
      const where: Prisma.EditionWhereUniqueInput =
        args.slug != null ? { slug: args.slug } : { kind_date: { kind: args.kind ?? 'DAILY', date: args.date! } };
      return ctx.prisma.edition.findUnique({ ...query, where });
    },
  }),
  editions: t.connection(
    {
      type: Edition,
      description: 'Editions, newest date first.',
      args: {
        kind: t.arg({ type: EditionKind }),
        from: t.arg({ type: 'Date', description: 'Inclusive.' }),
        to: t.arg({ type: 'Date', description: 'Inclusive.' }),
      },
      resolve: async (_root, args, ctx, info) => {
        const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] }) as Prisma.EditionFindManyArgs;
        const where: Prisma.EditionWhereInput = {
          ...(args.kind ? { kind: args.kind } : {}),
          date: { ...(args.from ? { gte: args.from } : {}), ...(args.to ? { lte: args.to } : {}) },
        };
        const connection = await resolveOffsetConnection(pageOptions(args), ({ offset, limit }) =>
          ctx.prisma.edition.findMany({ ...query, where, orderBy: [{ date: 'desc' }, { id: 'desc' }], skip: offset, take: limit }),
        );
        return { ...connection, totalCount: () => ctx.prisma.edition.count({ where }) };
      },
    },
    EditionConnection,
  ),
}));

const CreateEditionInput = builder.inputType('CreateEditionInput', {
  fields: (t) => ({
    kind: t.field({ type: EditionKind, defaultValue: 'DAILY' }),
    date: t.field({ type: 'Date', required: true }),
    name: t.string({ required: true, description: 'e.g. "E-Paper | March 01, 2025".' }),
    slug: t.string({ description: 'Defaults to kind-date, e.g. daily-2025-03-01.' }),
  }),
});

const PlacementInput = builder.inputType('PlacementInput', {
  fields: (t) => ({
    article: t.globalID({ required: true, for: [Article] }),
    page: t.int({ required: true }),
    position: t.int({ required: true }),
  }),
});

builder.mutationFields((t) => ({
  createEdition: t.prismaField({
    type: 'Edition',
    errors: {},
    description: 'EDITOR.',
    args: { input: t.arg({ type: CreateEditionInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await createEdition(ctx, toDomainInput(args.input) as never);
      return ctx.prisma.edition.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
    },
  }),
  setEditionPlacements: t.prismaField({
    type: 'Edition',
    errors: {},
    description: 'EDITOR. Replaces all placements of the edition; readers see the published ones.',
    args: {
      id: t.arg.globalID({ required: true, for: [Edition] }),
      placements: t.arg({ type: [PlacementInput], required: true }),
    },
    resolve: async (query, _root, args, ctx) => {
      const placements = args.placements.map((p) => toDomainInput(p));
      const { id } = await setEditionPlacements(ctx, parseIntId(args.id.id), placements as never);
      return ctx.prisma.edition.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
    },
  }),
}));

export const editionCacheRules: CacheRules = {
  lists: [{ key: ARTICLE_LIST, items: ['EditionPlacement'] }],
  purge(event) {
    // Created, or placements changed; editions are few, so all of them (and empty edition lists,
    // and `edition(date:)` → null) go.
    if (event.type === 'EDITION_UPDATED' || event.type === 'EDITION_CREATED') return [{ typename: 'Edition' }, { typename: 'EditionEdge' }];
    // An edition's placements list only published articles: the article's purge names every
    // list of them (ArticleList); an empty placements list is marked by its type.
    return mayMoveArticle(event) ? [{ typename: 'EditionPlacement' }] : [];
  },
};
