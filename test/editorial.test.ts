// The editorial workflow through the API: keys and roles, drafts, edits with optimistic locking,
// revisions, publishing, scheduling, corrections and the story-event outbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoGateway, globalId, keyHeader, MAIN_STORY, type TestGateway } from './helpers.js';

let gw: TestGateway;
let admin: Record<string, string>;
let editor: Record<string, string>;
let writer: Record<string, string>;
let otherWriter: Record<string, string>;
let worldId: string;
let asiaId: string;
let writerAuthorId: string;
let reutersId: string;
let chinaTagId: string;

beforeAll(async () => {
  gw = await createDemoGateway();
  const authors = await gw.db.prisma.author.findMany({ where: { kind: 'STAFF' }, orderBy: { id: 'asc' }, take: 2 });
  admin = await keyHeader(gw.db, 'ADMIN');
  editor = await keyHeader(gw.db, 'EDITOR');
  writer = await keyHeader(gw.db, 'WRITER', authors[0]!.slug);
  otherWriter = await keyHeader(gw.db, 'WRITER', authors[1]!.slug);
  writerAuthorId = globalId('Author', authors[0]!.id);
  const ids = await gw.db.prisma.section.findMany({ where: { slug: { in: ['world', 'asia'] } } });
  worldId = globalId('Section', ids.find((s) => s.slug === 'world')!.id);
  asiaId = globalId('Section', ids.find((s) => s.slug === 'asia')!.id);
  reutersId = globalId('Author', (await gw.db.prisma.author.findUniqueOrThrow({ where: { slug: 'reuters' } })).id);
  chinaTagId = globalId('Tag', (await gw.db.prisma.tag.findUniqueOrThrow({ where: { slug: 'china' } })).id);
});
afterAll(() => gw?.db.dispose());

const RESULT = `
  __typename
  ... on Error { message code }
  ... on ValidationError { issues { path message } }
  ... on ConflictError { currentVersion }`;

const CREATE = `mutation($input: CreateDraftInput!) {
  createDraft(input: $input) { ${RESULT} ... on MutationCreateDraftSuccess { data { id slug status version headline byline { author { slug } role } tags { slug } section { slug } } } }
}`;
const UPDATE = `mutation($id: ID!, $version: Int!, $input: UpdateArticleInput!) {
  updateArticle(id: $id, version: $version, input: $input) { ${RESULT} ... on MutationUpdateArticleSuccess { data { id version headline updatedAt status } } }
}`;
const action = (name: string, args = '$id: ID!, $version: Int', call = 'id: $id, version: $version') => `mutation(${args}) {
  ${name}(${call}) { ${RESULT} ... on Mutation${name[0]!.toUpperCase()}${name.slice(1)}Success { data { id status version publishedAt updatedAt scheduledAt corrections { text } } } }
}`;

async function run(document: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await gw.query(document, variables, headers);
  expect(response.errors).toBeUndefined();
  return Object.values(response.data!)[0] as any;
}

const counts = async () => ({
  articles: await gw.db.prisma.article.count(),
  bylines: await gw.db.prisma.articleAuthor.count(),
  tags: await gw.db.prisma.articleTag.count(),
  media: await gw.db.prisma.media.count(),
  revisions: await gw.db.prisma.revision.count(),
  events: await gw.db.prisma.storyEvent.count(),
});

describe('API keys', () => {
  it('anonymous without a header; a bad, unknown or revoked key is a 401', async () => {
    expect((await gw.query('{ viewer { role } }')).data).toEqual({ viewer: null });
    expect((await gw.query('{ viewer { name role } }', {}, editor)).data?.viewer.role).toBe('EDITOR');
    const created = await run(
      `mutation { createApiKey(input: { name: "temp", role: EDITOR }) { ${RESULT} ... on MutationCreateApiKeySuccess { data { key apiKey { id prefix } } } } }`,
      {},
      admin,
    );
    const key = created.data.key as string;
    expect(key.startsWith(created.data.apiKey.prefix)).toBe(true);
    const stored = await gw.db.prisma.apiKey.findFirstOrThrow({ where: { prefix: created.data.apiKey.prefix } });
    expect(stored.secretHash).not.toContain(key.slice(4));
    expect((await gw.query('{ viewer { role } }', {}, { authorization: `Bearer ${key}` })).data?.viewer.role).toBe('EDITOR');
    await run(`mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, { id: created.data.apiKey.id }, admin);
    for (const authorization of [`Bearer ${key}`, 'Bearer nrk_not-a-key', 'Basic abc']) {
      const response = await gw.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: '{ viewer { role } }' }),
      });
      expect(response.status, authorization).toBe(401);
      const body = await response.json();
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(body.data ?? null).toBeNull();
    }
  });

  it('records when a key was last used', async () => {
    const header = await keyHeader(gw.db, 'EDITOR');
    const prefix = header.authorization.slice(7, 19);
    await gw.query('{ viewer { role } }', {}, header);
    await expect.poll(async () => (await gw.db.prisma.apiKey.findFirstOrThrow({ where: { prefix } })).lastUsedAt).not.toBeNull();
  });

  it('only an admin lists, creates and revokes keys; a WRITER key needs an author', async () => {
    const forbidden = await run(`mutation { createApiKey(input: { name: "x", role: ADMIN }) { ${RESULT} } }`, {}, editor);
    expect(forbidden).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    const invalid = await run(`mutation { createApiKey(input: { name: "x", role: WRITER }) { ${RESULT} } }`, {}, admin);
    expect(invalid.__typename).toBe('ValidationError');
    expect(invalid.issues[0].path).toEqual(['author']);
    const listed = await gw.query('{ apiKeys { name role prefix lastUsedAt revokedAt } }', {}, editor);
    expect(listed.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gw.query('{ apiKeys { role } }', {}, admin)).data?.apiKeys.length).toBeGreaterThan(3);
  });
});

describe('drafts', () => {
  it('a writer creates a draft with themself in the byline; readers cannot see it', async () => {
    const before = await counts();
    const result = await run(CREATE, { input: { headline: 'Port strike enters third day', section: worldId, tags: [chinaTagId] } }, writer);
    expect(result.__typename).toBe('MutationCreateDraftSuccess');
    expect(result.data).toMatchObject({
      slug: 'port-strike-enters-third-day',
      status: 'DRAFT',
      version: 1,
      section: { slug: 'world' },
      tags: [{ slug: 'china' }],
    });
    expect(result.data.byline).toHaveLength(1);
    expect((await gw.query(`{ article(slug: "port-strike-enters-third-day") { id } }`)).data?.article).toBeNull();
    expect(await counts()).toMatchObject({ articles: before.articles + 1, events: before.events });
    const again = await run(CREATE, { input: { headline: 'Port strike enters third day', section: worldId } }, writer);
    expect(again.data.slug).toBe('port-strike-enters-third-day-2');
  });

  it('invalid content is a ValidationError naming each field, and writes nothing', async () => {
    const before = await counts();
    const result = await run(
      CREATE,
      {
        input: {
          headline: '  ',
          slug: 'Not A Slug',
          section: asiaId,
          byline: [{ author: writerAuthorId }, { author: globalId('Author', 999999) }],
          tags: [chinaTagId, globalId('Tag', 999999)],
          heroMedia: { url: 'javascript:alert(1)' },
        },
      },
      editor,
    );
    expect(result.__typename).toBe('ValidationError');
    expect(result.issues.map((i: any) => i.path.join('.'))).toEqual(expect.arrayContaining(['headline', 'slug', 'heroMedia.url']));
    const refs = await run(
      CREATE,
      { input: { headline: 'Fine', section: asiaId, byline: [{ author: globalId('Author', 999999) }], tags: [globalId('Tag', 999999)] } },
      editor,
    );
    expect(refs.__typename).toBe('ValidationError');
    expect(refs.issues.map((i: any) => i.path.join('.'))).toEqual(['byline.0.author', 'tags.0']);
    expect(await counts()).toEqual(before);
  });

  it('a taken slug is a conflict; anonymous and wrong-role callers are forbidden', async () => {
    const taken = await run(CREATE, { input: { headline: 'Anything', slug: MAIN_STORY, section: asiaId } }, editor);
    expect(taken).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    expect((await run(CREATE, { input: { headline: 'x', section: asiaId } })).__typename).toBe('ForbiddenError');
    const notOwn = await run(
      CREATE,
      { input: { headline: 'x', section: asiaId, byline: [{ author: reutersId, role: 'AGENCY' }] } },
      writer,
    );
    expect(notOwn.__typename).toBe('ValidationError');
  });
});

describe('editing', () => {
  it('a stale version is a conflict with the current version; every change keeps a revision', async () => {
    const draft = (await run(CREATE, { input: { headline: 'Budget talks', section: worldId } }, editor)).data;
    const first = await run(UPDATE, { id: draft.id, version: 1, input: { headline: 'Budget talks resume' } }, editor);
    expect(first.data).toMatchObject({ version: 2, headline: 'Budget talks resume', updatedAt: null });
    const stale = await run(UPDATE, { id: draft.id, version: 1, input: { headline: 'Overwrite' } }, editor);
    expect(stale).toMatchObject({ __typename: 'ConflictError', currentVersion: 2 });
    const { article } = (
      await gw.query(
        `query($id: ID!) { article(id: $id, preview: true) { headline revisions { version headline replacedBy } } }`,
        { id: draft.id },
        editor,
      )
    ).data!;
    expect(article.headline).toBe('Budget talks resume');
    expect(article.revisions).toEqual([{ version: 1, headline: 'Budget talks', replacedBy: 'editor key' }]);
    const anonymous = await gw.query(`{ article(slug: "${MAIN_STORY}") { revisions { version } } }`);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('two concurrent edits from the same version: one wins, the other gets a conflict', async () => {
    const draft = (await run(CREATE, { input: { headline: 'Race', section: worldId } }, editor)).data;
    const results = await Promise.all(
      ['Race: version A', 'Race: version B'].map((headline) => run(UPDATE, { id: draft.id, version: 1, input: { headline } }, editor)),
    );
    expect(results.map((r) => r.__typename).sort()).toEqual(['ConflictError', 'MutationUpdateArticleSuccess']);
    const winner = results.find((r) => r.data)!.data.headline;
    const row = await gw.db.prisma.article.findUniqueOrThrow({ where: { slug: 'race' } });
    expect(row).toMatchObject({ headline: winner, version: 2 });
    expect(await gw.db.prisma.revision.count({ where: { articleId: row.id } })).toBe(1);
  });

  it('writers edit only their own drafts and cannot publish', async () => {
    const mine = (await run(CREATE, { input: { headline: 'Writer story', section: worldId } }, writer)).data;
    expect((await run(UPDATE, { id: mine.id, version: 1, input: { summary: 'A dek.' } }, writer)).__typename).toBe(
      'MutationUpdateArticleSuccess',
    );
    expect((await run(UPDATE, { id: mine.id, version: 2, input: { summary: 'Mine now.' } }, otherWriter)).__typename).toBe(
      'ForbiddenError',
    );
    expect((await run(action('publishArticle'), { id: mine.id }, writer)).__typename).toBe('ForbiddenError');
    const published = await run(action('publishArticle'), { id: mine.id }, editor);
    expect(published.data.status).toBe('PUBLISHED');
    expect((await run(UPDATE, { id: mine.id, version: published.data.version, input: { summary: 'x' } }, writer)).__typename).toBe(
      'ForbiddenError',
    );
  });
});

describe('publishing', () => {
  it('publish, edit, correct and unpublish: each writes its story event in the same transaction', async () => {
    const bare = (await run(CREATE, { input: { headline: 'No byline yet', section: asiaId } }, editor)).data;
    const refused = await run(action('publishArticle'), { id: bare.id }, editor);
    expect(refused).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['byline'] }] });

    const draft = (
      await run(
        CREATE,
        { input: { headline: 'Floods close motorway', section: asiaId, byline: [{ author: reutersId, role: 'AGENCY' }] } },
        editor,
      )
    ).data;
    const eventsOf = async () =>
      (
        await gw.db.prisma.storyEvent.findMany({
          where: { articleId: Number(Buffer.from(draft.id, 'base64').toString().split(':')[1]) },
          orderBy: { id: 'asc' },
        })
      ).map((e) => e.type);

    const published = (await run(action('publishArticle'), { id: draft.id, version: 1 }, editor)).data;
    expect(published).toMatchObject({ status: 'PUBLISHED', updatedAt: null });
    expect(published.publishedAt).toBeTruthy();
    expect((await gw.query(`{ article(slug: "floods-close-motorway") { headline } }`)).data?.article.headline).toBe(
      'Floods close motorway',
    );
    expect((await run(action('publishArticle'), { id: draft.id }, editor)).__typename).toBe('ConflictError');

    const edited = (await run(UPDATE, { id: draft.id, version: published.version, input: { summary: 'Heavy rain.' } }, editor)).data;
    expect(edited.updatedAt).toBeTruthy();

    const corrected = await run(
      action('addCorrection', '$id: ID!, $text: String!', 'id: $id, text: $text'),
      { id: draft.id, text: 'An earlier version misnamed the motorway.' },
      editor,
    );
    expect(corrected.data.corrections).toEqual([{ text: 'An earlier version misnamed the motorway.' }]);
    expect(Date.parse(corrected.data.updatedAt)).toBeGreaterThanOrEqual(Date.parse(edited.updatedAt));

    const unpublished = (await run(action('unpublishArticle'), { id: draft.id }, editor)).data;
    expect(unpublished.status).toBe('UNPUBLISHED');
    expect((await gw.query(`{ article(slug: "floods-close-motorway") { headline } }`)).data?.article).toBeNull();
    expect(await eventsOf()).toEqual(['PUBLISHED', 'UPDATED', 'CORRECTED', 'UNPUBLISHED']);
    expect(
      (await run(action('addCorrection', '$id: ID!, $text: String!', 'id: $id, text: $text'), { id: draft.id, text: 'x' }, editor))
        .__typename,
    ).toBe('ConflictError');
  });

  it('scheduling: only in the future; unscheduling returns to draft', async () => {
    const draft = (
      await run(CREATE, { input: { headline: 'Election results at nine', section: worldId, byline: [{ author: reutersId }] } }, editor)
    ).data;
    const schedule = action('scheduleArticle', '$id: ID!, $at: DateTime!', 'id: $id, at: $at');
    const past = await run(schedule, { id: draft.id, at: '2020-01-01T00:00:00Z' }, editor);
    expect(past.__typename).toBe('ValidationError');
    expect(past.issues[0].path).toEqual(['at']);
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = (await run(schedule, { id: draft.id, at }, editor)).data;
    expect(scheduled).toMatchObject({ status: 'SCHEDULED', scheduledAt: at });
    expect((await gw.query(`{ article(slug: "election-results-at-nine") { id } }`)).data?.article).toBeNull();
    const back = (await run(action('unscheduleArticle'), { id: draft.id }, editor)).data;
    expect(back).toMatchObject({ status: 'DRAFT', scheduledAt: null });
  });

  it('an unknown article is a NotFoundError; a malformed id a typed input error', async () => {
    expect((await run(action('publishArticle'), { id: globalId('Article', 999999) }, editor)).__typename).toBe('NotFoundError');
    const bad = await gw.query(action('publishArticle'), { id: 'garbage' }, editor);
    expect(bad.errors?.[0]?.extensions?.code).toBe('INVALID_ID');
  });
});

describe('reads', () => {
  it('recordRead counts published articles only, one statement each', async () => {
    const main = await gw.db.prisma.article.findUniqueOrThrow({ where: { slug: MAIN_STORY } });
    const draft = await gw.db.prisma.article.findFirstOrThrow({ where: { status: 'DRAFT' } });
    const sum = async () =>
      (await gw.db.prisma.articleRead.aggregate({ where: { articleId: main.id }, _sum: { count: true } }))._sum.count ?? 0;
    const before = await sum();
    const { count, response } = await gw.countStatements(`mutation($id: ID!) { recordRead(id: $id) }`, {
      id: globalId('Article', main.id),
    });
    expect(response.data).toEqual({ recordRead: true });
    expect(count).toBe(1);
    expect(await sum()).toBe(before + 1);
    expect((await gw.query(`mutation($id: ID!) { recordRead(id: $id) }`, { id: globalId('Article', draft.id) })).data).toEqual({
      recordRead: false,
    });
  });
});
