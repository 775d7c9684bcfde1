// Live blogs in GraphQL: LivePost, `Article.posts` and `Article.pinnedPosts`, the editors'
// mutations (typed results as for articles), the `liveBlogUpdated` subscription, and the cache
// purges POST_* events cause. The rules are in src/newsroom/live-blog.ts.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { encodeGlobalID } from '@pothos/plugin-relay';
import DataLoader from 'dataloader';
import type { Context } from '../context.js';
import type { LivePost as LivePostRow } from '../generated/prisma/client.js';
import { addLivePost, deleteLivePost, updateLivePost, visiblePostWhere } from '../newsroom/live-blog.js';
import { Article, parseIntId } from './article.js';
import { Author } from './author.js';
import { Body, bodyView } from './body.js';
import { builder } from './builder.js';
import type { CacheRules } from './cache-rules.js';
import { toDomainInput } from './inputs.js';
import { checkPageSize } from './pagination.js';
import { nonEmpty } from './selection.js';
import { follow, LiveEventRef, loadOnce, parseAfter, type Update, update } from './subscription.js';

export const LivePost = builder.prismaNode('LivePost', {
  id: { field: 'id' },
  description: 'One post of a live blog. Visible exactly when its blog is (published, or a preview with rights).',
  nullable: true,
  // By global id too, only where its blog is visible.
  findUnique: (id, ctx) => ({ id: parseIntId(id), AND: [visiblePostWhere(ctx.viewer)] }),
  fields: (t) => ({
    body: t.field({
      type: Body,
      description: 'The post: blocks, HTML, text, and Markdown for editors, as for articles.',
      select: { body: true, bodyBlocks: true, bodyText: true, media: { select: { media: true } } },
      resolve: (post, _args, ctx) =>
        bodyView(
          post,
          post.media.map((m) => m.media),
          ctx.viewer,
          ctx.images,
        ),
    }),
    summary: t.exposeString('summary', { nullable: true, description: 'One line for key-event timelines.' }),
    keyEvent: t.exposeBoolean('keyEvent', { description: 'A key event: listed by `posts(keyEventsOnly: true)`.' }),
    pinned: t.exposeBoolean('pinned', { description: 'Pinned: also listed by `pinnedPosts`, above the stream.' }),
    postedAt: t.expose('postedAt', { type: 'DateTime', description: 'When it was posted: the order of `posts`.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true, description: 'Set when the post is edited.' }),
    version: t.exposeInt('version', { description: 'Send it back with an update: a stale version is a conflict.' }),
    author: t.relation('author', { nullable: true, description: 'Who posted it; null if the author was removed.' }),
  }),
});

builder.prismaObjectField(Article, 'posts', (t) =>
  t.relatedConnection('posts', {
    description:
      "A live blog's posts, newest first (pinned posts keep their place here; `pinnedPosts` lists them again for the top of the page). Empty for other kinds. At most 100 a page.",
    args: { keyEventsOnly: t.arg.boolean({ defaultValue: false, description: 'Only key events: the timeline.' }) },
    cursor: 'id',
    totalCount: true,
    defaultSize: 20,
    maxSize: 100,
    query: (args) => {
      checkPageSize(args as { first?: number | null; last?: number | null });
      return { where: args.keyEventsOnly ? { keyEvent: true } : {}, orderBy: { id: 'desc' as const } };
    },
  }),
);

/**
 * Pinned posts of the articles of one request, in one statement: `posts` already takes the
 * relation in the article's own statement, and a second selection of the same relation would
 * make the prisma plan load the article again (by its public rule, which a preview breaks).
 */
const pinnedLoaders = new WeakMap<Context, Map<string, DataLoader<number, LivePostRow[]>>>();
function pinnedPosts(ctx: Context, query: object) {
  let byShape = pinnedLoaders.get(ctx);
  if (!byShape) pinnedLoaders.set(ctx, (byShape = new Map()));
  const key = JSON.stringify(query);
  let loader = byShape.get(key);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly number[]) => {
      const rows = (await ctx.prisma.livePost.findMany({
        ...query,
        where: { articleId: { in: [...ids] }, pinned: true },
        orderBy: { id: 'desc' },
      })) as LivePostRow[];
      return ids.map((id) => rows.filter((row) => row.articleId === id).slice(0, 10));
    });
    byShape.set(key, loader);
  }
  return loader;
}

builder.prismaObjectField(Article, 'pinnedPosts', (t) =>
  t.field({
    type: [LivePost],
    description: 'Pinned posts of a live blog, newest first (at most 10), for the top of the page.',
    resolve: (article, _args, ctx, info) => {
      const query = queryFromInfo({ context: ctx, info }) as { select?: Record<string, unknown> };
      // articleId groups the rows by blog, whatever the client selected.
      const shape = query.select ? { select: { ...query.select, articleId: true } } : query;
      return pinnedPosts(ctx, shape).load(article.id);
    },
  }),
);

const postInputFields =
  (required: boolean) => (t: PothosSchemaTypes.InputFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<any>, 'InputObject'>) => ({
    body: t.string({ required, description: 'Markdown, as for articles (see Article.body).' }),
    summary: t.string({ description: 'One line for key-event timelines.' }),
    keyEvent: t.boolean(),
    pinned: t.boolean(),
    author: t.globalID({ for: [Author], description: "Defaults to the key's author." }),
  });
const LivePostInput = builder.inputType('LivePostInput', { fields: (t) => postInputFields(true)(t as never) });
const UpdateLivePostInput = builder.inputType('UpdateLivePostInput', {
  description: 'Only the fields given change.',
  fields: (t) => postInputFields(false)(t as never),
});

const DeletedLivePost = builder.objectRef<{ id: number; articleId: number }>('DeletedLivePost').implement({
  fields: (t) => ({
    id: t.id({ description: "The deleted post's global id.", resolve: (p) => encodeGlobalID('LivePost', p.id) }),
    article: t.id({ description: "The blog's global id.", resolve: (p) => encodeGlobalID('Article', p.articleId) }),
  }),
});

async function changedPost(ctx: Context, query: object, change: Promise<{ id: number }>) {
  const { id } = await change;
  return ctx.prisma.livePost.findUniqueOrThrow({ ...nonEmpty(query), where: { id } });
}

builder.mutationFields((t) => ({
  addLivePost: t.prismaField({
    type: 'LivePost',
    errors: {},
    description: 'Post to a live blog (rights as for editing the blog: EDITOR, or a WRITER on their own draft).',
    args: { article: t.arg.globalID({ required: true, for: [Article] }), input: t.arg({ type: LivePostInput, required: true }) },
    resolve: (query, _root, args, ctx) =>
      changedPost(ctx, query, addLivePost(ctx, parseIntId(args.article.id), toDomainInput(args.input) as never)),
  }),
  updateLivePost: t.prismaField({
    type: 'LivePost',
    errors: {},
    description: 'Edit a post; `version` must be the one you read (else ConflictError).',
    args: {
      id: t.arg.globalID({ required: true, for: [LivePost] }),
      version: t.arg.int({ required: true }),
      input: t.arg({ type: UpdateLivePostInput, required: true }),
    },
    resolve: (query, _root, args, ctx) =>
      changedPost(ctx, query, updateLivePost(ctx, parseIntId(args.id.id), args.version, toDomainInput(args.input) as never)),
  }),
  deleteLivePost: t.field({
    type: DeletedLivePost,
    errors: {},
    description: 'Delete a post (with `version`, only if it is still that version).',
    args: { id: t.arg.globalID({ required: true, for: [LivePost] }), version: t.arg.int() },
    resolve: (_root, args, ctx) => deleteLivePost(ctx, parseIntId(args.id.id), args.version),
  }),
}));

const LiveBlogUpdate = builder.objectRef<Update>('LiveBlogUpdate').implement({
  interfaces: [LiveEventRef],
  description: 'A post of a live blog added (POST_ADDED), edited (POST_UPDATED) or deleted (POST_DELETED).',
  fields: (t) => ({
    postId: t.id({
      description: 'The post the event is about (also after it was deleted).',
      resolve: (e) => encodeGlobalID('LivePost', e.postId ?? 0),
    }),
    post: t.field({
      type: LivePost,
      nullable: true,
      description: 'The post as it is now; null once deleted.',
      resolve: (e, _args, ctx, info) => {
        if (e.type === 'POST_DELETED') return null;
        const query = queryFromInfo({ context: ctx, info });
        const where = { AND: [visiblePostWhere(ctx.viewer), { id: e.postId ?? 0 }] };
        return loadOnce(ctx, e.id, JSON.stringify(['post', where, query]), () => ctx.prisma.livePost.findFirst({ ...query, where }));
      },
    }),
  }),
});

builder.subscriptionFields((t) => ({
  liveBlogUpdated: t.field({
    type: LiveBlogUpdate,
    description:
      'Posts of one live blog as they are added, edited and deleted, while the blog is published (nothing before). Resume with `after: eventId`.',
    args: { slug: t.arg.string({ required: true }), after: t.arg.id({ description: 'The last eventId you received.' }) },
    subscribe: async (_root, args, ctx) => {
      const after = parseAfter(ctx, args.after == null ? null : String(args.after));
      // An unknown slug follows nothing; a blog not yet published gets nothing until it is.
      const blogId = (await ctx.prisma.article.findUnique({ where: { slug: args.slug }, select: { id: true } }))?.id ?? -1;
      return follow(ctx, after, (e) => e.articleId === blogId && e.type.startsWith('POST_') && e.article?.status === 'PUBLISHED');
    },
    resolve: (e, _args, ctx) => update(ctx, e),
  }),
}));

export const liveBlogCacheRules: CacheRules = {
  // A post changes its blog (the results holding it), the post itself, and empty post lists.
  purge(event) {
    if (!event.type.startsWith('POST_') || event.articleId == null) return [];
    return [
      { typename: 'Article', id: encodeGlobalID('Article', event.articleId) },
      ...(event.postId != null ? [{ typename: 'LivePost', id: encodeGlobalID('LivePost', event.postId) }] : []),
      { typename: 'LivePostEdge' },
    ];
  },
};
