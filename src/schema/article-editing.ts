// Editing articles: drafts, edits (optimistic locking), publishing, scheduling, corrections,
// revisions and the editors' desk. Readers' types and queries are in article.ts.
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { queryFromInfo } from '@pothos/plugin-prisma';
import type { Context } from '../context.js';
import { hasRole, requireRole } from '../newsroom/auth.js';
import {
  addCorrection,
  createDraft,
  publishArticle,
  recordRead,
  scheduleArticle,
  unpublishArticle,
  unscheduleArticle,
  updateArticle,
} from '../newsroom/editorial.js';
import { ForbiddenError } from '../newsroom/errors.js';
import { ownArticles } from '../newsroom/visibility.js';
import { sectionSubtreeIds } from '../newsroom/loaders.js';
import type { Prisma } from '../generated/prisma/client.js';
import { Article, ArticleConnection, ArticleKind, ArticleStatus, BylineRole, parseIntId } from './article.js';
import { Author } from './author.js';
import { builder } from './builder.js';
import { nonEmpty } from './selection.js';
import { toDomainInput } from './inputs.js';
import { pageOptions } from './pagination.js';
import { Section } from './section.js';
import { Tag } from './tag.js';

const BylineInput = builder.inputType('BylineInput', {
  fields: (t) => ({
    author: t.globalID({ required: true, for: [Author] }),
    role: t.field({ type: BylineRole, defaultValue: 'AUTHOR' }),
  }),
});

const HeroMediaInput = builder.inputType('HeroMediaInput', {
  fields: (t) => ({
    url: t.string({ required: true }),
    caption: t.string(),
    credit: t.string(),
    altText: t.string(),
    width: t.int(),
    height: t.int(),
  }),
});

const contentInputFields = (t: PothosSchemaTypes.InputFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<any>, 'InputObject'>) => ({
  slug: t.string({ description: 'Lower-case words joined by hyphens; made from the headline when left out.' }),
  summary: t.string(),
  body: t.string({ description: 'Markdown.' }),
  kind: t.field({ type: ArticleKind }),
  dateline: t.string(),
  byline: t.field({ type: [BylineInput], description: 'In printed order. A writer must be in it.' }),
  tags: t.globalIDList({ for: [Tag] }),
  heroMedia: t.field({ type: HeroMediaInput, description: 'null removes the hero media.' }),
});

const CreateDraftInput = builder.inputType('CreateDraftInput', {
  fields: (t) => ({
    headline: t.string({ required: true }),
    section: t.globalID({ required: true, for: [Section] }),
    ...contentInputFields(t as never),
  }),
});

const UpdateArticleInput = builder.inputType('UpdateArticleInput', {
  description: 'Only the fields given change.',
  fields: (t) => ({
    headline: t.string(),
    section: t.globalID({ for: [Section] }),
    ...contentInputFields(t as never),
  }),
});

const articleId = (id: { id: string }) => parseIntId(id.id);

/**
 * After a change, re-read the article with the client's selection. The command has woken the
 * live hub and waited for it, so this read (and the editor's next) sees the change.
 */
async function changed(ctx: Context, query: object, change: Promise<{ id: number }>) {
  const { id } = await change;
  return ctx.prisma.article.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
}

builder.mutationFields((t) => ({
  createDraft: t.prismaField({
    type: 'Article',
    errors: {},
    description: 'A new draft (WRITER and up; a writer is in the byline).',
    args: { input: t.arg({ type: CreateDraftInput, required: true }) },
    resolve: (query, _root, args, ctx) => changed(ctx, query, createDraft(ctx, toDomainInput(args.input) as never)),
  }),
  updateArticle: t.prismaField({
    type: 'Article',
    errors: {},
    description: 'Edit an article; `version` must be the one you read (else ConflictError). Keeps a revision.',
    args: {
      id: t.arg.globalID({ required: true, for: [Article] }),
      version: t.arg.int({ required: true }),
      input: t.arg({ type: UpdateArticleInput, required: true }),
    },
    resolve: (query, _root, args, ctx) =>
      changed(ctx, query, updateArticle(ctx, articleId(args.id), args.version, toDomainInput(args.input) as never)),
  }),
  publishArticle: t.prismaField({
    type: 'Article',
    errors: {},
    description: 'Publish now (EDITOR).',
    args: { id: t.arg.globalID({ required: true, for: [Article] }), version: t.arg.int() },
    resolve: (query, _root, args, ctx) => changed(ctx, query, publishArticle(ctx, articleId(args.id), args.version)),
  }),
  scheduleArticle: t.prismaField({
    type: 'Article',
    errors: {},
    description: 'Publish automatically at `at` (EDITOR). The scheduler publishes due articles within seconds.',
    args: { id: t.arg.globalID({ required: true, for: [Article] }), at: t.arg({ type: 'DateTime', required: true }), version: t.arg.int() },
    resolve: (query, _root, args, ctx) => changed(ctx, query, scheduleArticle(ctx, articleId(args.id), args.at, args.version)),
  }),
  unscheduleArticle: t.prismaField({
    type: 'Article',
    errors: {},
    description: 'Back to draft (EDITOR).',
    args: { id: t.arg.globalID({ required: true, for: [Article] }), version: t.arg.int() },
    resolve: (query, _root, args, ctx) => changed(ctx, query, unscheduleArticle(ctx, articleId(args.id), args.version)),
  }),
  unpublishArticle: t.prismaField({
    type: 'Article',
    errors: {},
    description: 'Take a published article down (EDITOR); it disappears from every reader path.',
    args: { id: t.arg.globalID({ required: true, for: [Article] }), version: t.arg.int() },
    resolve: (query, _root, args, ctx) => changed(ctx, query, unpublishArticle(ctx, articleId(args.id), args.version)),
  }),
  addCorrection: t.prismaField({
    type: 'Article',
    errors: {},
    description: 'Append a public correction (EDITOR); sets the article\'s "Updated" time.',
    args: { id: t.arg.globalID({ required: true, for: [Article] }), text: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => changed(ctx, query, addCorrection(ctx, articleId(args.id), args.text)),
  }),
  recordRead: t.boolean({
    description: 'Count one read of a published article for Most Popular (public). False when there is none.',
    args: { id: t.arg.globalID({ required: true, for: [Article] }) },
    resolve: (_root, args, ctx) => recordRead(ctx.prisma, articleId(args.id)),
  }),
}));

const Revision = builder.prismaObject('Revision', {
  description: 'An article as it was before a change.',
  fields: (t) => ({
    version: t.exposeInt('version'),
    replacedAt: t.expose('createdAt', { type: 'DateTime', description: 'When the change that replaced it was made.' }),
    replacedBy: t.string({
      nullable: true,
      description: 'Name of the key that made the change; null for the scheduler.',
      select: { replacedBy: { select: { name: true } } },
      resolve: (revision) => revision.replacedBy?.name ?? null,
    }),
    headline: t.string({ resolve: (r) => String((r.snapshot as { headline?: unknown }).headline ?? '') }),
    summary: t.string({ nullable: true, resolve: (r) => (r.snapshot as { summary?: string | null }).summary ?? null }),
    body: t.string({ resolve: (r) => String((r.snapshot as { body?: unknown }).body ?? '') }),
    status: t.field({ type: ArticleStatus, resolve: (r) => (r.snapshot as { status: 'DRAFT' }).status }),
  }),
});

const byId = (id: number) => id;

// A plain field, not a planned relation: the rights check must run before any revision is read.
builder.prismaObjectField(Article, 'revisions', (t) =>
  t.field({
    type: [Revision],
    description: 'Earlier versions, newest first (editors; a writer on their own articles).',
    // Batched across the articles of the operation (a desk's list of fifty): one statement for the
    // writer's check, one for the revisions, not one each per article.
    resolve: async (article, _args, ctx) => {
      requireRole(ctx.viewer, 'WRITER');
      const viewer = ctx.viewer;
      if (!hasRole(viewer, 'EDITOR')) {
        const ownIds = async (ids: readonly number[]) => {
          const own = await ctx.prisma.article.findMany({ where: { id: { in: [...ids] }, ...ownArticles(viewer) }, select: { id: true } });
          const mine = new Set(own.map((row) => row.id));
          return ids.map((id) => mine.has(id));
        };
        if (!(await ctx.loaders.batch('own-articles', ownIds, byId).load(article.id))) {
          throw new ForbiddenError('A writer sees the revisions of their own articles only.');
        }
      }
      const revisionsOf = async (ids: readonly number[]) => {
        const rows = await ctx.prisma.revision.findMany({
          where: { articleId: { in: [...ids] } },
          orderBy: [{ articleId: 'asc' }, { version: 'desc' }],
          include: { replacedBy: true },
        });
        return ids.map((id) => rows.filter((row) => row.articleId === id));
      };
      return ctx.loaders.batch('revisions', revisionsOf, byId).load(article.id);
    },
  }),
);

builder.queryFields((t) => ({
  desk: t.connection(
    {
      type: Article,
      description: "The editors' desk: articles of any status, most recently changed first (API key; a writer sees their own).",
      args: {
        status: t.arg({ type: [ArticleStatus] }),
        section: t.arg.string({ description: 'Section slug; includes its subsections.' }),
      },
      resolve: async (_root, args, ctx, info) => {
        requireRole(ctx.viewer, 'WRITER');
        const and: Prisma.ArticleWhereInput[] = [];
        if (!hasRole(ctx.viewer, 'EDITOR')) and.push(ownArticles(ctx.viewer));
        if (args.status?.length) and.push({ status: { in: args.status } });
        if (args.section != null) and.push({ sectionId: { in: await sectionSubtreeIds(ctx.loaders, args.section) } });
        const where = { AND: and };
        const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] }) as Prisma.ArticleFindManyArgs;
        const connection = await resolveOffsetConnection(pageOptions(args), ({ offset, limit }) =>
          ctx.prisma.article.findMany({ ...query, where, orderBy: [{ modifiedAt: 'desc' }, { id: 'desc' }], skip: offset, take: limit }),
        );
        return { ...connection, totalCount: () => ctx.prisma.article.count({ where }) };
      },
    },
    ArticleConnection,
  ),
}));
