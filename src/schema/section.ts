// Section: the site's tree (World › Asia); a section's list includes its subsections.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createSection, deleteSection, updateSection } from '../newsroom/catalog.js';
import { sectionSubtreeIds } from '../newsroom/loaders.js';
import { Article, ArticleConnection, articleListArgs, parseIntId, resolveArticleList } from './article.js';
import { builder } from './builder.js';
import { type CacheRules, objectPurge, SECTION_ARTICLE_LISTS, sectionArticleList } from './cache-rules.js';
import { nonEmpty } from './selection.js';
import { toDomainInput } from './inputs.js';

export const Section = builder.prismaNode('Section', {
  id: { field: 'id' },
  // Select mode: a card's section reads three columns, not the whole row. The columns every
  // card asks for come with each row and are read by plain resolvers (no loader check per row).
  select: { id: true, slug: true, name: true },
  nullable: true, // an unknown id is null, not an error
  findUnique: (id) => ({ id: parseIntId(id) }),
  fields: (t) => ({
    slug: t.string({ resolve: (s) => s.slug }),
    name: t.string({ resolve: (s) => s.name }),
    description: t.exposeString('description', { nullable: true }),
    position: t.exposeInt('position'),
    parent: t.relation('parent', { nullable: true }),
    children: t.relation('children', { query: { orderBy: [{ position: 'asc' }, { id: 'asc' }] } }),
    articles: t.connection(
      {
        type: Article,
        description: 'Published articles of this section and its subsections.',
        args: articleListArgs,
        resolve: async (section, args, ctx, info) => {
          // Keyed by the sections it holds (cache-rules.ts): a publish elsewhere leaves it cached.
          ctx.cacheKeys.add(SECTION_ARTICLE_LISTS);
          const sectionIds = await sectionSubtreeIds(ctx.loaders, section.slug);
          for (const id of sectionIds) ctx.cacheKeys.add(sectionArticleList(id));
          return resolveArticleList(ctx, info, args, { section: section.slug }, { via: 'section', id: section.id, sectionIds });
        },
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

const sectionFields = (required: boolean) =>
  builder.inputType(required ? 'CreateSectionInput' : 'UpdateSectionInput', {
    fields: (t) => ({
      slug: t.string({ required }),
      name: t.string({ required }),
      description: t.string(),
      parent: t.globalID({ for: [Section], description: 'null makes it a top-level section.' }),
      position: t.int({ description: 'Order among its siblings, smallest first.' }),
    }),
  });
const CreateSectionInput = sectionFields(true);
const UpdateSectionInput = sectionFields(false);

builder.mutationFields((t) => ({
  createSection: t.prismaField({
    type: 'Section',
    errors: {},
    description: 'ADMIN.',
    args: { input: t.arg({ type: CreateSectionInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await createSection(ctx, toDomainInput(args.input) as never);
      return ctx.prisma.section.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
    },
  }),
  updateSection: t.prismaField({
    type: 'Section',
    errors: {},
    description: 'ADMIN.',
    args: { id: t.arg.globalID({ required: true, for: [Section] }), input: t.arg({ type: UpdateSectionInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await updateSection(ctx, parseIntId(args.id.id), toDomainInput(args.input) as never);
      return ctx.prisma.section.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
    },
  }),
  deleteSection: t.id({
    errors: {},
    description: 'ADMIN. Only an empty section (no articles, no subsections) can go. Returns its id.',
    args: { id: t.arg.globalID({ required: true, for: [Section] }) },
    resolve: async (_root, args, ctx) => {
      await deleteSection(ctx, parseIntId(args.id.id));
      return encodeGlobalID('Section', args.id.id);
    },
  }),
}));

export const sectionCacheRules: CacheRules = {
  purge: (event) => (event.type.startsWith('SECTION_') ? objectPurge('Section', event.sectionId) : []),
};
