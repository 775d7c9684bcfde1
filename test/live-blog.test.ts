// Live blogs: posts as a connection (newest first, key events, pinned), the editors' mutations
// with typed results, a constant number of statements, and `liveBlogUpdated` over a real
// WebSocket: added, updated and deleted posts, resume by event id, nothing before publication.
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import { createDemoGateway, globalId, keyHeader, testConfig, wsClient, type TestGateway } from './helpers.js';

const BLOG = 'live-budget-session-national-assembly';
let gw: TestGateway;
let editor: Record<string, string>;
let blogId: string;
let section: string;
const clients: Client[] = [];
const running: RunningGateway[] = [];

beforeAll(async () => {
  gw = await createDemoGateway();
  editor = await keyHeader(gw.db, 'EDITOR');
  const blog = await gw.db.prisma.article.findUniqueOrThrow({ where: { slug: BLOG } });
  blogId = globalId('Article', blog.id);
  section = globalId('Section', blog.sectionId);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
  await gw?.db.dispose();
});

const POST = `id summary keyEvent pinned postedAt version author { name } body { text blocks { __typename } }`;

async function add(article: string, input: Record<string, unknown>, headers = editor) {
  const response = await gw.query(
    `mutation($article: ID!, $input: LivePostInput!) { addLivePost(article: $article, input: $input) {
      __typename ... on MutationAddLivePostSuccess { data { ${POST} } } ... on ValidationError { issues { path message } } ... on Error { code }
    } }`,
    { article, input },
    headers,
  );
  expect(response.errors).toBeUndefined();
  return response.data.addLivePost;
}

describe('reading a live blog', () => {
  it('posts come newest first with key events, pinned posts and authors; the demo blog is seeded', async () => {
    const page = await gw.query(
      `query($slug: String!) { article(slug: $slug) {
      kind
      posts(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${POST} } } }
      pinnedPosts { summary }
    } }`,
      { slug: BLOG },
    );
    const timeline = await gw.query(
      `query($slug: String!) { article(slug: $slug) { keyEvents: posts(keyEventsOnly: true) { totalCount edges { node { summary } } } } }`,
      { slug: BLOG },
    );
    expect(page.errors).toBeUndefined();
    const blog = page.data.article;
    expect(blog.kind).toBe('LIVE');
    expect(blog.posts.totalCount).toBe(5);
    const times = blog.posts.edges.map((e: any) => Date.parse(e.node.postedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(blog.posts.edges[0].node.summary).toBe('Minister promises a review');
    expect(blog.posts.edges[0].node.body.blocks.map((b: any) => b.__typename)).toEqual(['ParagraphBlock', 'ListBlock']);
    expect(blog.posts.pageInfo.hasNextPage).toBe(true);
    const next = await gw.query(
      `query($slug: String!, $after: String) { article(slug: $slug) { posts(first: 3, after: $after) { edges { node { summary body { blocks { __typename } } } } } } }`,
      {
        slug: BLOG,
        after: blog.posts.pageInfo.endCursor,
      },
    );
    expect(blog.posts.edges[2].node.body.blocks.map((b: any) => b.__typename)).toEqual(['PullQuoteBlock']);
    // The fourth and fifth newest: the post with a library image, then the first post.
    expect(next.data.article.posts.edges.map((e: any) => e.node.body.blocks.map((b: any) => b.__typename))).toEqual([
      ['ParagraphBlock', 'ImageBlock'],
      ['ParagraphBlock'],
    ]);
    expect(timeline.data.article.keyEvents.edges.map((e: any) => e.node.summary)).toEqual([
      'Minister promises a review',
      'Opposition walks out',
      'Session opens',
    ]);
    expect(blog.pinnedPosts).toEqual([{ summary: 'Opposition walks out' }]);
    const tooMany = await gw.query(`query($slug: String!) { article(slug: $slug) { posts(first: 101) { totalCount } } }`, { slug: BLOG });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('PAGE_SIZE_TOO_LARGE');
  });

  it('a live blog page costs the same statements for 1 post as for 5, images included', async () => {
    const document = `query($slug: String!, $n: Int!) { article(slug: $slug) { headline body { html }
      posts(first: $n) { edges { node { summary author { name } body { html blocks { ... on ImageBlock { media { url srcset } } } } } } }
      pinnedPosts { summary } } }`;
    const one = await gw.countStatements(document, { slug: BLOG, n: 1 });
    const five = await gw.countStatements(document, { slug: BLOG, n: 5 });
    expect(five.response.errors).toBeUndefined();
    expect(five.response.data.article.posts.edges.some((e: any) => e.node.body.html.includes('<figure class="image">'))).toBe(true);
    expect(five.count).toBe(one.count);
    // The blog with its posts, their authors and images in one statement; the pinned posts in one more.
    expect(five.count).toBe(2);
  });
});

describe('editing a live blog', () => {
  it('editors add, edit and delete posts with typed results; bad input changes nothing', async () => {
    const added = await add(blogId, { body: 'A **new** post.', summary: 'New', keyEvent: true });
    expect(added.__typename).toBe('MutationAddLivePostSuccess');
    expect(added.data).toMatchObject({ summary: 'New', keyEvent: true, pinned: false, version: 1, body: { text: 'A new post.' } });
    const count = await gw.db.prisma.livePost.count();

    const bad = await add(blogId, { body: 'Intro.\n\n::embed{url="https://evil.example/x"}' });
    expect(bad).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['body', '1'] }] });
    const notLive = await gw.db.prisma.article.findUniqueOrThrow({ where: { slug: 'china-tells-ai-leaders-to-avoid-us-travel' } });
    expect(await add(globalId('Article', notLive.id), { body: 'x' })).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ path: ['article'] }],
    });
    expect(await add(globalId('Article', 999_999), { body: 'x' })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await add(blogId, { body: 'x' }, {})).toMatchObject({ __typename: 'ForbiddenError' });
    const writer = await keyHeader(gw.db, 'WRITER', 'ayesha-malik');
    // A writer changes only their own drafts: a published blog is the editors'.
    expect(await add(blogId, { body: 'x' }, writer)).toMatchObject({ __typename: 'ForbiddenError' });
    expect(await gw.db.prisma.livePost.count()).toBe(count);

    const edit = (version: number) =>
      gw.query(
        `mutation($id: ID!, $version: Int!) { updateLivePost(id: $id, version: $version, input: { pinned: true, body: "Edited." }) {
          __typename ... on MutationUpdateLivePostSuccess { data { pinned version updatedAt body { text } } } ... on ConflictError { currentVersion } } }`,
        { id: added.data.id, version },
        editor,
      );
    const edited = await edit(1);
    expect(edited.data.updateLivePost).toMatchObject({ data: { pinned: true, version: 2, body: { text: 'Edited.' } } });
    expect((await edit(1)).data.updateLivePost).toEqual({ __typename: 'ConflictError', currentVersion: 2 });

    const deleted = await gw.query(
      `mutation($id: ID!) { deleteLivePost(id: $id) { __typename ... on MutationDeleteLivePostSuccess { data { id article } } } }`,
      { id: added.data.id },
      editor,
    );
    expect(deleted.data.deleteLivePost.data).toEqual({ id: added.data.id, article: blogId });
    expect(await gw.db.prisma.livePost.count()).toBe(count - 1);
    const events = await gw.db.prisma.storyEvent.findMany({
      where: { postId: Number(Buffer.from(added.data.id, 'base64').toString().split(':')[1]) },
    });
    expect(events.map((e) => e.type)).toEqual(['POST_ADDED', 'POST_UPDATED', 'POST_DELETED']);
  });
});

describe('liveBlogUpdated', () => {
  async function serve() {
    const gateway = await serveGateway({
      config: testConfig({ PORT: '0', HOST: '127.0.0.1', SCHEDULER_INTERVAL_MS: '0', OUTBOX_POLL_MS: '200' }),
      db: gw.db,
      logger: createLogger('silent'),
    });
    running.push(gateway);
    return gateway;
  }
  function collect(client: Client, variables: Record<string, unknown>) {
    const results: any[] = [];
    const iterator = client.iterate({
      query: `subscription($slug: String!, $after: ID) { liveBlogUpdated(slug: $slug, after: $after) { eventId type postId post { summary body { text } } } }`,
      variables,
    });
    void (async () => {
      for await (const result of iterator) results.push(result);
    })();
    return {
      results,
      waitFor: async (count: number) => {
        await expect.poll(() => results.length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(count);
        return results;
      },
    };
  }

  it('pushes added, updated and deleted posts, and a resume gets what was missed, in order', async () => {
    const gateway = await serve();
    const live = collect(wsClient(clients, gateway), { slug: BLOG });
    await expect.poll(() => gateway.live.subscriptions, { timeout: 5000, interval: 20 }).toBe(1);
    // The writes go through another gateway (in-process): this one finds them in the outbox.
    const added = await add(blogId, { body: 'Breaking: the vote is called.', summary: 'Vote called' });
    await live.waitFor(1);
    await gw.query(
      `mutation($id: ID!) { updateLivePost(id: $id, version: 1, input: { summary: "Vote called at last" }) { __typename } }`,
      { id: added.data.id },
      editor,
    );
    await live.waitFor(2);
    await gw.query(`mutation($id: ID!) { deleteLivePost(id: $id) { __typename } }`, { id: added.data.id }, editor);
    const [first, second, third] = (await live.waitFor(3)).map((r) => r.data.liveBlogUpdated);
    expect([first.type, second.type, third.type]).toEqual(['POST_ADDED', 'POST_UPDATED', 'POST_DELETED']);
    expect(first).toMatchObject({
      postId: added.data.id,
      post: { summary: 'Vote called', body: { text: 'Breaking: the vote is called.' } },
    });
    expect(second.post).toMatchObject({ summary: 'Vote called at last' });
    expect(third).toMatchObject({ postId: added.data.id, post: null });

    const resumed = collect(wsClient(clients, gateway), { slug: BLOG, after: first.eventId });
    const missed = (await resumed.waitFor(2)).map((r) => r.data.liveBlogUpdated);
    expect(missed.map((e) => e.eventId)).toEqual([second.eventId, third.eventId]);
  });

  it('gives nothing of a blog before it is published, on any path; then its posts arrive', async () => {
    const gateway = await serve();
    const created = await gw.query(
      `mutation($input: CreateDraftInput!) { createDraft(input: $input) { ... on MutationCreateDraftSuccess { data { id slug version } } } }`,
      {
        input: {
          headline: 'Live: a blog in preparation',
          section,
          kind: 'LIVE',
          body: 'Soon.',
          byline: [{ author: globalId('Author', 1) }],
        },
      },
      editor,
    );
    const draft = created.data.createDraft.data;
    const live = collect(wsClient(clients, gateway), { slug: draft.slug });
    await expect.poll(() => gateway.live.subscriptions, { timeout: 5000, interval: 20 }).toBe(1);
    const secret = await add(draft.id, { body: 'Embargoed post.', summary: 'Secret' });
    expect(secret.__typename).toBe('MutationAddLivePostSuccess');
    const anonymous = await gw.query(
      `query($slug: String!, $post: ID!) { article(slug: $slug) { posts { totalCount } } node(id: $post) { id } }`,
      { slug: draft.slug, post: secret.data.id },
    );
    expect(anonymous).toEqual({ data: { article: null, node: null } });
    const preview = await gw.query(
      `query($slug: String!) { article(slug: $slug, preview: true) { posts { totalCount } } }`,
      { slug: draft.slug },
      editor,
    );
    expect(preview.data.article.posts.totalCount).toBe(1);
    // `posts` twice with other arguments makes Pothos load the blog again: still in preview.
    const twice = `query($slug: String!, $preview: Boolean) { article(slug: $slug, preview: $preview) {
      posts { totalCount } keyEvents: posts(keyEventsOnly: true) { totalCount } } }`;
    expect(await gw.query(twice, { slug: draft.slug, preview: true }, editor)).toEqual({
      data: { article: { posts: { totalCount: 1 }, keyEvents: { totalCount: 0 } } },
    });
    expect(await gw.query(twice, { slug: draft.slug, preview: true })).toEqual({ data: { article: null } });
    // The serving gateway has seen the secret post's event while the blog was a draft.
    const secretEvent = (await gw.db.prisma.storyEvent.findFirstOrThrow({ orderBy: { id: 'desc' } })).id;
    await expect.poll(() => gateway.live.position, { timeout: 5000, interval: 20 }).toBeGreaterThanOrEqual(secretEvent);

    await gw.query(`mutation($id: ID!) { publishArticle(id: $id) { __typename } }`, { id: draft.id }, editor);
    await add(draft.id, { body: 'Now we are live.', summary: 'Live' });
    const results = await live.waitFor(1);
    // The post added before publication is not pushed (it was an event of an unpublished blog
    // when it happened); the first result is the post after it.
    expect(results.map((r) => r.data.liveBlogUpdated.post?.summary)).toEqual(['Live']);
    const published = await gw.query(`query($slug: String!) { article(slug: $slug) { posts { totalCount } } }`, { slug: draft.slug });
    expect(published.data.article.posts.totalCount).toBe(2);
  });
});
