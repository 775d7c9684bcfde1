// Events for every editorial object: collections, sections, tags, authors and editions write one
// outbox event in the transaction of their change (none when it fails), the gateway's caches purge
// by it (read-your-writes through the HTTP and response caches), and `collectionUpdated`,
// `sectionUpdated` and `editionUpdated` deliver it over WebSocket and SSE, resumable by event id.
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../src/newsroom/auth.js';
import { setCollectionItems } from '../src/newsroom/catalog.js';
import { type EventSubject, noFollower } from '../src/newsroom/events.js';
import { createLogger } from '../src/logger.js';
import { surrogateKeysToPurge } from '../src/schema/index.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import { createTestDatabase, globalId, keyHeader, MAIN_STORY, testConfig, type TestDatabase, wsClient } from './helpers.js';

let db: TestDatabase;
let gw: RunningGateway;
let editor: Record<string, string>;
let admin: Record<string, string>;
let writer: Record<string, string>;
const clients: Client[] = [];
const ids: Record<string, number> = {};

beforeAll(async () => {
  db = await createTestDatabase({ demo: true });
  // Outbox polling slowed to a minute: each mutation wakes this gateway's hub itself, so what the
  // tests see comes from that, and the statement counts hold only the requests' own.
  gw = await serveGateway({
    config: testConfig({ PORT: '0', HOST: '127.0.0.1', SCHEDULER_INTERVAL_MS: '0', RESPONSE_CACHE: 'true', OUTBOX_POLL_MS: '60000' }),
    db,
    logger: createLogger('silent'),
  });
  await gw.live.ready();
  editor = await keyHeader(db, 'EDITOR');
  admin = await keyHeader(db, 'ADMIN');
  writer = await keyHeader(db, 'WRITER', 'reuters');
  for (const slug of [
    MAIN_STORY,
    'peshawar-old-book-bazaar-binders',
    'unpublished-inside-hangzhou-ai-lab',
    'karachi-startups-bet-on-open-source-ai',
  ]) {
    ids[slug] = (await db.prisma.article.findUniqueOrThrow({ where: { slug } })).id;
  }
  ids.mustRead = (await db.prisma.collection.findUniqueOrThrow({ where: { slug: 'must-read' } })).id;
  ids.weekendReads = (await db.prisma.collection.findUniqueOrThrow({ where: { slug: 'weekend-reads' } })).id;
  ids.world = (await db.prisma.section.findUniqueOrThrow({ where: { slug: 'world' } })).id;
  ids.reuters = (await db.prisma.author.findUniqueOrThrow({ where: { slug: 'reuters' } })).id;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});
afterAll(async () => {
  await gw?.stop();
  await db?.dispose();
});

async function gql(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** Runs a mutation and returns its result (a success with `data`, or a typed error). */
async function mutate(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const body = await gql(query, variables, headers);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return Object.values(body.data)[0] as { __typename: string; data?: any; message?: string; issues?: { path: string[] }[] };
}

/** An anonymous GET through the HTTP cache and the response cache, with the SQL statements it caused. */
async function read(query: string, variables: Record<string, unknown> = {}) {
  const url = new URL(gw.url);
  url.searchParams.set('query', query);
  url.searchParams.set('variables', JSON.stringify(variables));
  const before = db.statements.length;
  const response = await fetch(url, { headers: { accept: 'application/graphql-response+json', 'graphql-preflight': '1' } });
  const body = (await response.json()) as { data: any };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return { data: body.data, keys: (response.headers.get('surrogate-key') ?? '').split(' '), statements: db.statements.length - before };
}

const lastEventId = async () => (await db.prisma.storyEvent.findFirst({ orderBy: { id: 'desc' }, select: { id: true } }))?.id ?? 0;
const eventsAfter = (id: number) => db.prisma.storyEvent.findMany({ where: { id: { gt: id } }, orderBy: { id: 'asc' } });
const rowId = (gid: string) => Number(Buffer.from(gid, 'base64').toString().split(':')[1]);
const subject = (event: Partial<EventSubject> & Pick<EventSubject, 'type'>): EventSubject => ({
  articleId: null,
  editionId: null,
  sectionId: null,
  collectionId: null,
  postId: null,
  tagId: null,
  authorId: null,
  ...event,
});

/** Runs a mutation expected to succeed and returns the one event it wrote (failing on none or more). */
async function changeWithEvent(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const before = await lastEventId();
  const result = await mutate(query, variables, headers);
  expect(result.__typename, JSON.stringify(result)).toMatch(/Success$/);
  const events = await eventsAfter(before);
  expect(events).toHaveLength(1);
  return { result, event: events[0]! };
}

/** Runs a mutation expected to fail with `typename` and checks that it wrote no event. */
async function refused(typename: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const before = await lastEventId();
  const result = await mutate(query, variables, headers);
  expect(result.__typename, JSON.stringify(result)).toBe(typename);
  expect(await eventsAfter(before)).toHaveLength(0);
  return result;
}

const CREATE_COLLECTION = `mutation($input: CreateCollectionInput!) { createCollection(input: $input) {
  __typename ... on MutationCreateCollectionSuccess { data { id slug } } ... on Error { message } } }`;
const UPDATE_COLLECTION = `mutation($id: ID!, $input: UpdateCollectionInput!) { updateCollection(id: $id, input: $input) {
  __typename ... on MutationUpdateCollectionSuccess { data { id name } } ... on Error { message } ... on ValidationError { issues { path } } } }`;
const SET_ITEMS = `mutation($id: ID!, $articles: [ID!]!) { setCollectionItems(id: $id, articles: $articles) {
  __typename ... on MutationSetCollectionItemsSuccess { data { articles { slug } } } ... on Error { message } ... on ValidationError { issues { path } } } }`;
const CREATE_SECTION = `mutation($input: CreateSectionInput!) { createSection(input: $input) {
  __typename ... on MutationCreateSectionSuccess { data { id position } } ... on Error { message } ... on ValidationError { issues { path } } } }`;
const UPDATE_SECTION = `mutation($id: ID!, $input: UpdateSectionInput!) { updateSection(id: $id, input: $input) {
  __typename ... on MutationUpdateSectionSuccess { data { id name position } } ... on Error { message } ... on ValidationError { issues { path } } } }`;
const DELETE_SECTION = `mutation($id: ID!) { deleteSection(id: $id) { __typename ... on MutationDeleteSectionSuccess { data } ... on Error { message } } }`;
const CREATE_TAG = `mutation($input: CreateTagInput!) { createTag(input: $input) {
  __typename ... on MutationCreateTagSuccess { data { id kind } } ... on Error { message } ... on ValidationError { issues { path } } } }`;
const UPDATE_TAG = `mutation($id: ID!, $input: UpdateTagInput!) { updateTag(id: $id, input: $input) {
  __typename ... on MutationUpdateTagSuccess { data { id name kind } } ... on Error { message } } }`;
const CREATE_AUTHOR = `mutation($input: CreateAuthorInput!) { createAuthor(input: $input) {
  __typename ... on MutationCreateAuthorSuccess { data { id kind } } ... on Error { message } } }`;
const UPDATE_AUTHOR = `mutation($id: ID!, $input: UpdateAuthorInput!) { updateAuthor(id: $id, input: $input) {
  __typename ... on MutationUpdateAuthorSuccess { data { id bio kind } } ... on Error { message } ... on ValidationError { issues { path } } } }`;
const CREATE_EDITION = `mutation($input: CreateEditionInput!) { createEdition(input: $input) {
  __typename ... on MutationCreateEditionSuccess { data { id slug } } ... on Error { message } } }`;
const SET_PLACEMENTS = `mutation($id: ID!, $placements: [PlacementInput!]!) { setEditionPlacements(id: $id, placements: $placements) {
  __typename ... on MutationSetEditionPlacementsSuccess { data { placements { article { slug } } } } ... on Error { message } } }`;

describe('each change writes exactly one event, naming the object', () => {
  it('collections', async () => {
    const created = await changeWithEvent(CREATE_COLLECTION, { input: { slug: 'events-col', name: 'Events' } }, editor);
    const id = rowId(created.result.data.id);
    expect(created.event).toMatchObject({ type: 'COLLECTION_CREATED', collectionId: id, articleId: null, sectionId: null });
    const gid = created.result.data.id;
    expect((await changeWithEvent(UPDATE_COLLECTION, { id: gid, input: { name: 'Events 2' } }, editor)).event).toMatchObject({
      type: 'COLLECTION_UPDATED',
      collectionId: id,
    });
    const items = await changeWithEvent(SET_ITEMS, { id: gid, articles: [globalId('Article', ids[MAIN_STORY]!)] }, editor);
    expect(items.event).toMatchObject({ type: 'COLLECTION_UPDATED', collectionId: id });
    expect(items.result.data.articles).toEqual([{ slug: MAIN_STORY }]);
  });

  it("concurrent replacements of a collection's items take turns: each succeeds, with its event", async () => {
    const before = await lastEventId();
    const articles = [MAIN_STORY, 'peshawar-old-book-bazaar-binders', 'karachi-startups-bet-on-open-source-ai'].map((slug) =>
      globalId('Article', ids[slug]!),
    );
    const orders = [articles, [...articles].reverse(), articles.slice(1), articles.slice(0, 2), [articles[2]!, articles[0]!]];
    const results = await Promise.all(
      orders.map((order) => mutate(SET_ITEMS, { id: globalId('Collection', ids.weekendReads!), articles: order }, editor)),
    );
    expect(results.map((r) => r.__typename)).toEqual(orders.map(() => 'MutationSetCollectionItemsSuccess'));
    const events = await eventsAfter(before);
    expect(events.map((e) => [e.type, e.collectionId])).toEqual(orders.map(() => ['COLLECTION_UPDATED', ids.weekendReads]));
    const final = await db.prisma.collectionItem.findMany({ where: { collectionId: ids.weekendReads }, orderBy: { position: 'asc' } });
    expect(orders.map((order) => order.map(rowId))).toContainEqual(final.map((item) => item.articleId));
  });

  it('sections (ADMIN); an update changes only the fields given', async () => {
    const created = await changeWithEvent(
      CREATE_SECTION,
      { input: { slug: 'events-sec', name: 'Events', parent: globalId('Section', ids.world!), position: 7 } },
      admin,
    );
    const gid = created.result.data.id;
    expect(created.event).toMatchObject({ type: 'SECTION_CREATED', sectionId: rowId(gid) });
    const updated = await changeWithEvent(UPDATE_SECTION, { id: gid, input: { name: 'Events desk' } }, admin);
    expect(updated.event).toMatchObject({ type: 'SECTION_UPDATED', sectionId: rowId(gid) });
    expect(updated.result.data).toMatchObject({ name: 'Events desk', position: 7 });
    expect((await changeWithEvent(DELETE_SECTION, { id: gid }, admin)).event).toMatchObject({
      type: 'SECTION_DELETED',
      sectionId: rowId(gid),
    });
  });

  it('tags and authors', async () => {
    const tag = await changeWithEvent(CREATE_TAG, { input: { slug: 'events-tag', name: 'Events', kind: 'PLACE' } }, editor);
    expect(tag.event).toMatchObject({ type: 'TAG_CREATED', tagId: rowId(tag.result.data.id) });
    const renamed = await changeWithEvent(UPDATE_TAG, { id: tag.result.data.id, input: { name: 'Events!' } }, editor);
    expect(renamed.event).toMatchObject({ type: 'TAG_UPDATED', tagId: rowId(tag.result.data.id) });
    expect(renamed.result.data).toMatchObject({ name: 'Events!', kind: 'PLACE' });

    const author = await changeWithEvent(CREATE_AUTHOR, { input: { slug: 'events-author', name: 'Ev Ents', kind: 'CONTRIBUTOR' } }, admin);
    expect(author.event).toMatchObject({ type: 'AUTHOR_CREATED', authorId: rowId(author.result.data.id) });
    const profile = await changeWithEvent(UPDATE_AUTHOR, { id: author.result.data.id, input: { bio: 'Writes about events.' } }, admin);
    expect(profile.event).toMatchObject({ type: 'AUTHOR_UPDATED', authorId: rowId(author.result.data.id) });
    expect(profile.result.data).toMatchObject({ bio: 'Writes about events.', kind: 'CONTRIBUTOR' });
  });

  it('editions', async () => {
    const created = await changeWithEvent(CREATE_EDITION, { input: { date: '2030-01-02', name: 'E-Paper | January 2, 2030' } }, editor);
    expect(created.event).toMatchObject({ type: 'EDITION_CREATED', editionId: rowId(created.result.data.id) });
    const placed = await changeWithEvent(
      SET_PLACEMENTS,
      { id: created.result.data.id, placements: [{ article: globalId('Article', ids[MAIN_STORY]!), page: 1, position: 1 }] },
      editor,
    );
    expect(placed.event).toMatchObject({ type: 'EDITION_UPDATED', editionId: rowId(created.result.data.id) });
  });
});

describe('bad input gets a typed error, changes nothing and writes no event', () => {
  it('for every kind of object', async () => {
    const mustRead = globalId('Collection', ids.mustRead!);
    const before = await db.prisma.collection.findUniqueOrThrow({ where: { id: ids.mustRead }, include: { items: true } });
    await refused('NotFoundError', UPDATE_COLLECTION, { id: globalId('Collection', 999_999), input: { name: 'x' } }, editor);
    const nothing = await refused('ValidationError', UPDATE_COLLECTION, { id: mustRead, input: {} }, editor);
    expect(nothing.message).toContain('nothing to change');
    const unknown = await refused('ValidationError', SET_ITEMS, { id: mustRead, articles: [globalId('Article', 999_999)] }, editor);
    expect(unknown.issues).toEqual([{ path: ['articles', '0'] }]);
    await refused(
      'ValidationError',
      SET_ITEMS,
      { id: mustRead, articles: [globalId('Article', ids[MAIN_STORY]!), globalId('Article', ids[MAIN_STORY]!)] },
      editor,
    );
    await refused('ConflictError', UPDATE_COLLECTION, { id: mustRead, input: { slug: 'weekend-reads' } }, editor);
    expect(await db.prisma.collection.findUniqueOrThrow({ where: { id: ids.mustRead }, include: { items: true } })).toEqual(before);

    const badParent = await refused(
      'ValidationError',
      CREATE_SECTION,
      { input: { slug: 'orphan', name: 'Orphan', parent: globalId('Section', 999_999) } },
      admin,
    );
    expect(badParent.issues).toEqual([{ path: ['parent'] }]);
    await refused(
      'ValidationError',
      UPDATE_SECTION,
      { id: globalId('Section', ids.world!), input: { parent: globalId('Section', ids.world!) } },
      admin,
    );
    await refused('ConflictError', DELETE_SECTION, { id: globalId('Section', ids.world!) }, admin);
    await refused('ForbiddenError', UPDATE_SECTION, { id: globalId('Section', ids.world!), input: { name: 'Mine' } }, editor);

    await refused('ValidationError', CREATE_TAG, { input: { slug: 'Not A Slug', name: 'x' } }, editor);
    await refused('NotFoundError', UPDATE_TAG, { id: globalId('Tag', 999_999), input: { name: 'x' } }, editor);
    await refused('ForbiddenError', CREATE_TAG, { input: { slug: 'by-writer', name: 'x' } }, writer);
    const avatar = await refused(
      'ValidationError',
      UPDATE_AUTHOR,
      { id: globalId('Author', ids.reuters!), input: { avatarUrl: 'javascript:alert(1)' } },
      admin,
    );
    expect(avatar.issues).toEqual([{ path: ['avatarUrl'] }]);
    await refused('ConflictError', CREATE_EDITION, { input: { date: '2025-03-01', name: 'Twice' } }, editor);
    expect(await db.prisma.section.count({ where: { slug: 'orphan' } })).toBe(0);
    expect(await db.prisma.tag.count({ where: { slug: { in: ['not-a-slug', 'by-writer'] } } })).toBe(0);
  });

  it('a change whose event cannot be written is not made, and an event is never written for a change that failed', async () => {
    const actor = {
      prisma: db.prisma,
      live: noFollower,
      viewer: { kind: 'key', keyId: 0, name: 'test', role: 'EDITOR', authorId: null } satisfies Viewer,
    };
    const items = () =>
      db.prisma.collectionItem.findMany({
        where: { collectionId: ids.mustRead },
        orderBy: { position: 'asc' },
        select: { articleId: true },
      });
    const before = await items();
    const lastEvent = await lastEventId();
    const reversed = [...before].reverse().map((item) => item.articleId);
    // Real failures inside the transaction, from the database itself: a trigger refuses the event
    // (after the items were replaced), then the items (after the old ones were deleted).
    await db.prisma.$executeRawUnsafe(
      `CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$`,
    );
    try {
      for (const table of ['StoryEvent', 'CollectionItem']) {
        await db.prisma.$executeRawUnsafe(
          `CREATE TRIGGER test_refuse BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION test_refuse()`,
        );
        try {
          await expect(setCollectionItems(actor, ids.mustRead!, reversed)).rejects.toThrow(/refused by test/);
        } finally {
          await db.prisma.$executeRawUnsafe(`DROP TRIGGER test_refuse ON "${table}"`);
        }
        expect(await items(), table).toEqual(before);
        expect(await lastEventId(), table).toBe(lastEvent);
      }
    } finally {
      await db.prisma.$executeRawUnsafe('DROP FUNCTION test_refuse()');
    }
  });
});

describe('caches purge by the events: the next read shows the change', () => {
  /** Reads twice (the second from a cache, no SQL), changes, reads again: the change shows. */
  async function readYourWrites(query: string, change: () => Promise<unknown>, variables: Record<string, unknown> = {}) {
    const first = await read(query, variables);
    const cached = await read(query, variables);
    expect(cached.statements).toBe(0);
    expect(cached.data).toEqual(first.data);
    await change();
    const after = await read(query, variables);
    expect(after.statements).toBeGreaterThan(0);
    return { before: first, after };
  }

  it('a collection: its new order, and the event names a surrogate key the cached answer carries', async () => {
    const query = `query($slug: String!) { collection(slug: $slug) { name articles { slug } } }`;
    const { before, after } = await readYourWrites(
      query,
      async () => {
        const current = await db.prisma.collectionItem.findMany({ where: { collectionId: ids.mustRead }, orderBy: { position: 'asc' } });
        const reversed = current.reverse().map((item) => globalId('Article', item.articleId));
        await changeWithEvent(SET_ITEMS, { id: globalId('Collection', ids.mustRead!), articles: reversed }, editor);
      },
      { slug: 'must-read' },
    );
    expect(after.data.collection.articles).toEqual([...before.data.collection.articles].reverse());
    const purged = surrogateKeysToPurge(subject({ type: 'COLLECTION_UPDATED', collectionId: ids.mustRead! }));
    expect(purged).toContain(`Collection:${ids.mustRead}`);
    expect(before.keys).toContain(`Collection:${ids.mustRead}`);
  });

  it('a tag that did not exist, then its new name', async () => {
    const query = `{ tag(slug: "purge-me") { name kind } }`;
    const created = await readYourWrites(query, () =>
      changeWithEvent(CREATE_TAG, { input: { slug: 'purge-me', name: 'Purge me' } }, editor),
    );
    expect(created.before.data.tag).toBeNull();
    expect(created.after.data.tag).toEqual({ name: 'Purge me', kind: 'TOPIC' });
    const id = globalId('Tag', (await db.prisma.tag.findUniqueOrThrow({ where: { slug: 'purge-me' } })).id);
    const renamed = await readYourWrites(query, () => changeWithEvent(UPDATE_TAG, { id, input: { name: 'Purged' } }, editor));
    expect(renamed.after.data.tag.name).toBe('Purged');
  });

  it("a section's new name on a cached article page, an author's new bio, a new edition", async () => {
    const page = `query($slug: String!) { article(slug: $slug) { headline section { name } } }`;
    const { sectionId } = await db.prisma.article.findUniqueOrThrow({ where: { slug: MAIN_STORY } });
    const section = await readYourWrites(
      page,
      () => changeWithEvent(UPDATE_SECTION, { id: globalId('Section', sectionId), input: { name: 'The World' } }, admin),
      { slug: MAIN_STORY },
    );
    expect(section.after.data.article.section.name).toBe('The World');

    const reuters = await db.prisma.author.findUniqueOrThrow({ where: { slug: 'reuters' } });
    const author = await readYourWrites(`{ author(slug: "reuters") { bio } }`, () =>
      changeWithEvent(UPDATE_AUTHOR, { id: globalId('Author', reuters.id), input: { bio: 'A wire agency.' } }, admin),
    );
    expect(author.after.data.author.bio).toBe('A wire agency.');

    const edition = await readYourWrites(`{ edition(date: "2031-02-03") { name } }`, () =>
      changeWithEvent(CREATE_EDITION, { input: { date: '2031-02-03', name: 'E-Paper | February 3, 2031' } }, editor),
    );
    expect(edition.before.data.edition).toBeNull();
    expect(edition.after.data.edition.name).toBe('E-Paper | February 3, 2031');
  });

  it('surrogateKeysToPurge: each object by its key and its type; renames of list filters purge article lists', () => {
    expect(surrogateKeysToPurge(subject({ type: 'COLLECTION_UPDATED', collectionId: 3 }))).toEqual(['Collection', 'Collection:3']);
    expect(surrogateKeysToPurge(subject({ type: 'EDITION_CREATED', editionId: 4 }))).toEqual(['Edition', 'EditionEdge']);
    for (const [type, field, typename] of [
      ['SECTION_UPDATED', 'sectionId', 'Section'],
      ['TAG_CREATED', 'tagId', 'Tag'],
      ['AUTHOR_UPDATED', 'authorId', 'Author'],
    ] as const) {
      expect(surrogateKeysToPurge(subject({ type, [field]: 5 }))).toEqual(
        expect.arrayContaining([typename, `${typename}:5`, 'Article', 'ArticleEdge', 'SearchEdge']),
      );
    }
    // Unchanged for stories: a correction purges the story only.
    expect(surrogateKeysToPurge(subject({ type: 'CORRECTED', articleId: 12, sectionId: 2 }))).toEqual(['Article:12']);
  });
});

/** Subscribes over graphql-ws and collects results. */
function collect(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const results: any[] = [];
  const iterator = client.iterate({ query, variables });
  const done = (async () => {
    for await (const result of iterator) results.push(result);
  })().catch(() => {});
  return {
    results,
    async waitFor(count: number) {
      await expect.poll(() => results.length, { timeout: 5000, interval: 20 }).toBeGreaterThanOrEqual(count);
      return results;
    },
    async stop() {
      await iterator.return?.();
      await done;
    },
  };
}

const subscribed = (count: number) => expect.poll(() => gw.live.subscriptions, { timeout: 5000, interval: 20 }).toBe(count);

const COLLECTION_UPDATED = `subscription($slug: String!, $after: ID) {
  collectionUpdated(slug: $slug, after: $after) { eventId type articleId collection { slug articles { slug status } } }
}`;

describe('subscriptions', () => {
  it('collectionUpdated: its changes and its stories, published articles only for anonymous readers, resumable by id', async () => {
    const hidden = 'unpublished-inside-hangzhou-ai-lab';
    const anonymous = collect(wsClient(clients, gw), COLLECTION_UPDATED, { slug: 'must-read' });
    await subscribed(1);
    const mustRead = globalId('Collection', ids.mustRead!);
    const items = [MAIN_STORY, 'peshawar-old-book-bazaar-binders', hidden].map((slug) => globalId('Article', ids[slug]!));
    await changeWithEvent(SET_ITEMS, { id: mustRead, articles: items }, editor);
    // Another collection's change is not this one's.
    await changeWithEvent(UPDATE_COLLECTION, { id: globalId('Collection', ids.weekendReads!), input: { name: 'Weekend' } }, editor);
    const [first] = await anonymous.waitFor(1);
    expect(first.data.collectionUpdated).toMatchObject({
      type: 'COLLECTION_UPDATED',
      articleId: null,
      collection: { slug: 'must-read', articles: [{ slug: MAIN_STORY }, { slug: 'peshawar-old-book-bazaar-binders' }] },
    });
    expect(first.data.collectionUpdated.collection.articles.every((a: { status: string }) => a.status === 'PUBLISHED')).toBe(true);
    await anonymous.stop();

    // Missed while away: a story in the collection pulled, and another story outside it.
    const pulled = globalId('Article', ids['peshawar-old-book-bazaar-binders']!);
    await changeWithEvent(`mutation($id: ID!) { unpublishArticle(id: $id) { __typename } }`, { id: pulled }, editor);
    const outside = globalId('Article', ids['karachi-startups-bet-on-open-source-ai']!);
    await changeWithEvent(
      `mutation($id: ID!) { addCorrection(id: $id, text: "A figure was wrong.") { __typename } }`,
      { id: outside },
      editor,
    );
    const resumed = collect(wsClient(clients, gw), COLLECTION_UPDATED, { slug: 'must-read', after: first.data.collectionUpdated.eventId });
    const [missed] = await resumed.waitFor(1);
    expect(missed.data.collectionUpdated).toMatchObject({
      type: 'UNPUBLISHED',
      articleId: pulled,
      collection: { articles: [{ slug: MAIN_STORY }] },
    });
    expect(Number(missed.data.collectionUpdated.eventId)).toBeGreaterThan(Number(first.data.collectionUpdated.eventId));
    // Then live: published again, the story is back.
    await changeWithEvent(`mutation($id: ID!) { publishArticle(id: $id) { __typename } }`, { id: pulled }, editor);
    const [, live] = await resumed.waitFor(2);
    expect(live.data.collectionUpdated).toMatchObject({
      type: 'PUBLISHED',
      collection: { articles: [{ slug: MAIN_STORY }, { slug: 'peshawar-old-book-bazaar-binders' }] },
    });
    // Renamed, it is still the one followed.
    await changeWithEvent(UPDATE_COLLECTION, { id: mustRead, input: { slug: 'must-read-now' } }, editor);
    const [, , renamed] = await resumed.waitFor(3);
    expect(renamed.data.collectionUpdated).toMatchObject({ type: 'COLLECTION_UPDATED', collection: { slug: 'must-read-now' } });
    await changeWithEvent(UPDATE_COLLECTION, { id: mustRead, input: { slug: 'must-read' } }, editor);
    await resumed.waitFor(4);
    expect(resumed.results).toHaveLength(4);
  });

  it('sectionUpdated and editionUpdated over SSE, resumed by Last-Event-ID; a bad key is refused', async () => {
    async function sse(query: string, headers: Record<string, string> = {}) {
      const controller = new AbortController();
      const response = await fetch(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify({ query }),
        signal: controller.signal,
      });
      const events: { id?: string; data: any }[] = [];
      if (response.ok) {
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        void (async () => {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = /^data: (.+)$/m.exec(block)?.[1];
              if (/^event: next$/m.test(block) && data) events.push({ id: /^id: (.*)$/m.exec(block)?.[1], data: JSON.parse(data) });
            }
          }
        })().catch(() => {});
      }
      return { response, events, close: () => controller.abort() };
    }
    const SECTIONS = `subscription { sectionUpdated { eventId type section { slug name } } }`;
    const refusedKey = await sse(SECTIONS, { authorization: 'Bearer nrk_not-a-key' });
    expect(refusedKey.response.status).toBe(401);

    const first = await sse(SECTIONS);
    await subscribed(1);
    const sport = await db.prisma.section.findUniqueOrThrow({ where: { slug: 'sport' } });
    await changeWithEvent(UPDATE_SECTION, { id: globalId('Section', sport.id), input: { name: 'Sports' } }, admin);
    await expect.poll(() => first.events.length, { timeout: 5000 }).toBe(1);
    expect(first.events[0]!.data.data.sectionUpdated).toMatchObject({
      type: 'SECTION_UPDATED',
      section: { slug: 'sport', name: 'Sports' },
    });
    expect(first.events[0]!.id).toBe(first.events[0]!.data.data.sectionUpdated.eventId);
    first.close();
    await subscribed(0);

    await changeWithEvent(UPDATE_SECTION, { id: globalId('Section', sport.id), input: { name: 'Sport' } }, admin);
    const again = await sse(SECTIONS, { 'last-event-id': first.events[0]!.id! });
    await expect.poll(() => again.events.length, { timeout: 5000 }).toBe(1);
    expect(again.events[0]!.data.data.sectionUpdated).toMatchObject({ type: 'SECTION_UPDATED', section: { name: 'Sport' } });
    again.close();

    const editions = await sse(`subscription { editionUpdated { eventId type edition { slug } } }`);
    await subscribed(1);
    await changeWithEvent(CREATE_EDITION, { input: { date: '2032-03-04', name: 'E-Paper | March 4, 2032' } }, editor);
    await expect.poll(() => editions.events.length, { timeout: 5000 }).toBe(1);
    expect(editions.events[0]!.data.data.editionUpdated).toMatchObject({ type: 'EDITION_CREATED', edition: { slug: 'daily-2032-03-04' } });
    editions.close();
  });
});
