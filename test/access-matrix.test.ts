// Who sees what, as a matrix: for each role × each path to an article, drafts, scheduled and
// unpublished articles are visible exactly to those allowed. The rule: only preview paths
// (`article(…, preview: true)`, `desk`) show them, to editors and admins all of them, to a
// writer those with their own name in the byline; every other path shows published articles only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoGateway, globalId, keyHeader, type TestGateway } from './helpers.js';

type Hidden = {
  id: number;
  slug: string;
  headline: string;
  section: string;
  authors: number[];
  authorSlugs: string[];
  tags: string[];
  editions: string[];
  collections: string[];
  /** Its live blog posts (a hidden live blog's posts are as hidden as the blog). */
  posts: number[];
};

let gw: TestGateway;
let hidden: Hidden[];
let writerAuthorId: number;
const roles: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  gw = await createDemoGateway();
  const rows = await gw.db.prisma.article.findMany({
    where: { status: { not: 'PUBLISHED' } },
    include: {
      section: true,
      bylines: { include: { author: true } },
      tags: { include: { tag: true } },
      placements: { include: { edition: true } },
      collectionItems: { include: { collection: true } },
      posts: { select: { id: true } },
    },
    orderBy: { id: 'asc' },
  });
  hidden = rows.map((a) => ({
    id: a.id,
    slug: a.slug,
    headline: a.headline,
    section: a.section.slug,
    authors: a.bylines.map((b) => b.authorId),
    authorSlugs: a.bylines.map((b) => b.author.slug),
    tags: a.tags.map((t) => t.tag.slug),
    editions: a.placements.map((p) => p.edition.slug),
    collections: a.collectionItems.map((c) => c.collection.slug),
    posts: a.posts.map((p) => p.id),
  }));
  expect(
    hidden.some((h) => h.posts.length > 0),
    'some hidden article is a live blog with posts',
  ).toBe(true);
  // The writer owns the first hidden article (their author is in its byline) but not all of them.
  const owner = rows[0]!.bylines[0]!.author;
  writerAuthorId = owner.id;
  expect(
    hidden.some((h) => !h.authors.includes(writerAuthorId)),
    "some hidden article is not the writer's",
  ).toBe(true);
  roles.anonymous = {};
  roles.writer = await keyHeader(gw.db, 'WRITER', owner.slug);
  roles.editor = await keyHeader(gw.db, 'EDITOR');
  roles.admin = await keyHeader(gw.db, 'ADMIN');
});
afterAll(() => gw?.db.dispose());

const allowedInPreview = (role: string, h: Hidden) =>
  role === 'editor' || role === 'admin' || (role === 'writer' && h.authors.includes(writerAuthorId));

const slugs = (list: { slug: string }[] | undefined | null) => (list ?? []).map((a) => a.slug);
const edges = (c: { edges: { node: { slug: string } }[] } | undefined | null) => (c?.edges ?? []).map((e) => e.node.slug);

/** Every path, for one hidden article, as the slugs of hidden articles it shows. */
async function paths(role: string, h: Hidden): Promise<Record<string, string[]>> {
  const headers = roles[role]!;
  const gid = globalId('Article', h.id);
  const response = await gw.query(
    `query($id: ID!, $slug: String!, $section: String!, $author: String!, $tag: String!, $edition: String!, $collection: String!, $q: String!, $postIds: [ID!]!) {
      postNodes: nodes(ids: $postIds) { ... on LivePost { id } }
      previewPosts: article(slug: $slug, preview: true) { posts(first: 100) { totalCount edges { node { id } } } pinnedPosts { id } }
      node(id: $id) { ... on Article { slug } }
      nodes(ids: [$id]) { ... on Article { slug } }
      bySlug: article(slug: $slug) { slug }
      byId: article(id: $id) { slug }
      previewSlug: article(slug: $slug, preview: true) { slug }
      previewId: article(id: $id, preview: true) { slug }
      articles(first: 100) { totalCount edges { node { slug related(first: 20) { slug } } } }
      section(slug: $section) { articles(first: 100) { totalCount edges { node { slug } } } }
      author(slug: $author) { articles(first: 100) { totalCount edges { node { slug } } } }
      tag(slug: $tag) { articles(first: 100) { totalCount edges { node { slug } } } }
      edition(slug: $edition) { placements { article { slug } } }
      byEdition: articles(first: 100, filter: { edition: $edition }) { totalCount edges { node { slug } } }
      collection(slug: $collection) { articles { slug } }
      mostPopular(window: MONTH, first: 100) { slug }
      mostRead: articles(first: 100, orderBy: MOST_READ, window: MONTH) { totalCount edges { node { slug } } }
      search(query: $q, first: 100) { totalCount edges { node { article { slug } } } }
    }`,
    {
      id: gid,
      slug: h.slug,
      section: h.section,
      author: h.authorSlugs[0],
      tag: h.tags[0],
      edition: h.editions[0] ?? 'none',
      collection: h.collections[0] ?? 'none',
      q: h.headline,
      postIds: h.posts.map((id) => globalId('LivePost', id)),
    },
    headers,
  );
  expect(response.errors, `${role} ${h.slug}`).toBeUndefined();
  const d = response.data;
  // A count that disagrees with its list would leak through numbers alone.
  for (const list of [d.articles, d.section.articles, d.author.articles, d.tag.articles, d.byEdition, d.mostRead, d.search]) {
    expect(list.totalCount, `${role}: a count includes something its list does not`).toBe(list.edges.length);
  }
  const desk = await gw.query(`{ desk(first: 100) { totalCount edges { node { slug } } } }`, {}, headers);
  return {
    node: d.node ? [d.node.slug] : [],
    nodes: slugs(d.nodes.filter(Boolean)),
    bySlug: d.bySlug ? [d.bySlug.slug] : [],
    byId: d.byId ? [d.byId.slug] : [],
    previewSlug: d.previewSlug ? [d.previewSlug.slug] : [],
    previewId: d.previewId ? [d.previewId.slug] : [],
    articles: edges(d.articles),
    related: d.articles.edges.flatMap((e: any) => slugs(e.node.related)),
    section: edges(d.section.articles),
    author: edges(d.author.articles),
    tag: edges(d.tag.articles),
    edition: (d.edition?.placements ?? []).map((p: any) => p.article.slug),
    byEdition: edges(d.byEdition),
    collection: slugs(d.collection?.articles),
    mostPopular: slugs(d.mostPopular),
    mostRead: edges(d.mostRead),
    search: d.search.edges.map((e: any) => e.node.article.slug),
    desk: role === 'anonymous' ? [] : edges(desk.data?.desk),
    // Posts show under the slug of their blog when any of them is visible on the path.
    postNode: d.postNodes.some(Boolean) ? [h.slug] : [],
    previewPosts: d.previewPosts?.posts.edges.length ? [h.slug] : [],
  };
}

const previewPaths = new Set(['previewSlug', 'previewId', 'desk', 'previewPosts']);
/** Paths that can show an article only through its live blog posts. */
const postPaths = new Set(['postNode', 'previewPosts']);

describe('access matrix: roles × paths', () => {
  for (const role of ['anonymous', 'writer', 'editor', 'admin']) {
    it(`${role}`, async () => {
      const seen: Record<string, Record<string, boolean>> = {};
      const expected: Record<string, Record<string, boolean>> = {};
      for (const h of hidden) {
        const result = await paths(role, h);
        for (const [path, list] of Object.entries(result)) {
          (seen[path] ??= {})[h.slug] = list.includes(h.slug);
          (expected[path] ??= {})[h.slug] =
            previewPaths.has(path) && allowedInPreview(role, h) && (!postPaths.has(path) || h.posts.length > 0);
        }
      }
      expect(seen).toEqual(expected);
    });
  }

  it('the desk refuses anonymous readers without saying what is on it', async () => {
    const response = await gw.query(`{ desk(first: 5) { totalCount edges { node { slug } } } }`);
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(response.data).toBeNull();
  });
});

// Secrets: API keys (name, role, prefix, last use, author) are for ADMIN keys only, on every path.
// Every Node type is either public content or admin-only; a new one must be put in one list.
const PUBLIC_NODE_TYPES = ['Article', 'Author', 'Collection', 'Edition', 'LivePost', 'Section', 'Tag'];
const ADMIN_ONLY_NODE_TYPES = ['ApiKey', 'WebhookDelivery', 'WebhookEndpoint'];

describe('access matrix: admin-only types × roles', () => {
  it('every Node type is either public or admin-only', async () => {
    const { schema } = await import('../src/schema/index.js');
    const nodeTypes = schema
      .getImplementations(schema.getType('Node') as never)
      .objects.map((type) => type.name)
      .sort();
    expect(nodeTypes).toEqual([...PUBLIC_NODE_TYPES, ...ADMIN_ONLY_NODE_TYPES].sort());
  });

  for (const role of ['anonymous', 'writer', 'editor', 'admin']) {
    it(`${role}: API keys through node, nodes, apiKeys and the key mutations`, async () => {
      const headers = roles[role]!;
      const isAdmin = role === 'admin';
      const keys = await gw.db.prisma.apiKey.findMany({ orderBy: { id: 'asc' } });
      expect(keys.length).toBe(3); // the writer's, the editor's and the admin's
      const ids = keys.map((k) => globalId('ApiKey', k.id));
      const fields = '... on ApiKey { name role prefix lastUsedAt createdAt revokedAt author { slug } }';
      for (const id of ids) {
        const one = await gw.query(`query($id: ID!) { node(id: $id) { __typename ${fields} } }`, { id }, headers);
        expect(one.errors, `${role} node ${id}`).toBeUndefined();
        expect(one.data.node === null, `${role} node ${id}`).toBe(!isAdmin);
      }
      const many = await gw.query(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename ${fields} } }`, { ids }, headers);
      expect(many.errors).toBeUndefined();
      expect(many.data.nodes.filter(Boolean).length).toBe(isAdmin ? ids.length : 0);
      if (isAdmin) expect(many.data.nodes.map((k: { name: string }) => k.name)).toEqual(keys.map((k) => k.name));

      // A key's id reads exactly like an id that does not exist: no way to count keys.
      const unknown = await gw.query(`query($id: ID!) { node(id: $id) { id } }`, { id: globalId('ApiKey', 999_999) }, headers);
      expect(unknown).toEqual({ data: { node: null } });

      const list = await gw.query(`{ apiKeys { ${fields.replace('... on ApiKey ', '').slice(1, -1)} } }`, {}, headers);
      if (isAdmin) expect(list.data.apiKeys).toHaveLength(keys.length);
      else {
        expect(list.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        expect(list.data).toBeNull();
      }

      const create = await gw.query(
        `mutation { createApiKey(input: { name: "matrix ${role}", role: ADMIN }) {
          __typename ... on MutationCreateApiKeySuccess { data { key apiKey { prefix } } } } }`,
        {},
        headers,
      );
      const revoke = await gw.query(
        `mutation($id: ID!) { revokeApiKey(id: $id) { __typename ... on MutationRevokeApiKeySuccess { data { name } } } }`,
        { id: globalId('ApiKey', keys[0]!.id) },
        headers,
      );
      if (isAdmin) {
        expect(create.data.createApiKey.__typename).toBe('MutationCreateApiKeySuccess');
        expect(revoke.data.revokeApiKey.__typename).toBe('MutationRevokeApiKeySuccess');
        // Leave the set of keys as it was for the other roles' runs.
        await gw.db.prisma.apiKey.deleteMany({ where: { name: `matrix ${role}` } });
        await gw.db.prisma.apiKey.update({ where: { id: keys[0]!.id }, data: { revokedAt: keys[0]!.revokedAt } });
      } else {
        expect(create.data.createApiKey.__typename).toBe('ForbiddenError');
        expect(revoke.data.revokeApiKey.__typename).toBe('ForbiddenError');
        expect(await gw.db.prisma.apiKey.count({ where: { name: `matrix ${role}` } })).toBe(0);
        expect((await gw.db.prisma.apiKey.findUniqueOrThrow({ where: { id: keys[0]!.id } })).revokedAt).toEqual(keys[0]!.revokedAt);
      }
    });
  }
});

// Webhook endpoints (their URL, filters and secret) and deliveries (payloads, errors): ADMIN only,
// through node, nodes, the lists and every mutation; the secret only in create's and rotate's answer.
describe('access matrix: webhooks × roles', () => {
  let endpointId: string;
  let deliveryId: string;
  beforeAll(async () => {
    const created = await gw.query(
      `mutation { createWebhookEndpoint(input: { url: "https://hooks.example/matrix", eventTypes: [PUBLISHED] }) {
        ... on MutationCreateWebhookEndpointSuccess { data { secret endpoint { id secretPrefix } } } } }`,
      {},
      roles.admin,
    );
    const { secret, endpoint } = created.data.createWebhookEndpoint.data;
    expect(secret).toMatch(/^whsec_/);
    expect(secret.startsWith(endpoint.secretPrefix.slice(0, -1))).toBe(true);
    expect(endpoint.secretPrefix.length).toBeLessThan(secret.length);
    endpointId = endpoint.id;
    const stored = await gw.db.prisma.webhookEndpoint.findFirstOrThrow();
    const delivery = await gw.db.prisma.webhookDelivery.create({
      data: { endpointId: stored.id, eventId: 1, eventType: 'PUBLISHED', body: '{}', status: 'FAILED', giveUpAt: new Date() },
    });
    deliveryId = globalId('WebhookDelivery', delivery.id);
  });

  for (const role of ['anonymous', 'writer', 'editor', 'admin']) {
    it(`${role}: endpoints and deliveries through node, nodes, lists and mutations`, async () => {
      const headers = roles[role]!;
      const isAdmin = role === 'admin';
      const read = await gw.query(
        `query($e: ID!, $d: ID!) {
          e: node(id: $e) { ... on WebhookEndpoint { url secretPrefix deliveries(first: 5) { totalCount } } }
          d: node(id: $d) { ... on WebhookDelivery { payload status endpoint { url } } }
          many: nodes(ids: [$e, $d]) { __typename }
        }`,
        { e: endpointId, d: deliveryId },
        headers,
      );
      expect(read.errors).toBeUndefined();
      expect(read.data.e === null, `${role} endpoint`).toBe(!isAdmin);
      expect(read.data.d === null, `${role} delivery`).toBe(!isAdmin);
      expect(read.data.many.filter(Boolean).length).toBe(isAdmin ? 2 : 0);

      for (const list of ['{ webhookEndpoints { url } }', '{ webhookDeliveries(first: 5) { totalCount edges { node { payload } } } }']) {
        const response = await gw.query(list, {}, headers);
        if (isAdmin) expect(response.errors, list).toBeUndefined();
        else {
          expect(response.errors?.[0]?.extensions?.code, list).toBe('FORBIDDEN');
          expect(response.data).toBeNull();
        }
      }

      const mutations = await gw.query(
        `mutation($e: ID!, $d: ID!) {
          create: createWebhookEndpoint(input: { url: "https://hooks.example/${role}", eventTypes: [UPDATED] }) { __typename }
          update: updateWebhookEndpoint(id: $e, input: { description: "${role}" }) { __typename }
          rotate: rotateWebhookSecret(id: $e) { __typename ... on MutationRotateWebhookSecretSuccess { data { secret } } }
          replay: replayWebhookDelivery(id: $d) { __typename }
        }`,
        { e: endpointId, d: deliveryId },
        headers,
      );
      expect(mutations.errors).toBeUndefined();
      const typenames = Object.values(mutations.data).map((r: any) => r.__typename);
      if (isAdmin) {
        expect(
          typenames.every((t) => t.endsWith('Success')),
          typenames.join(),
        ).toBe(true);
        expect(mutations.data.rotate.data.secret).toMatch(/^whsec_/);
      } else {
        expect(typenames).toEqual(['ForbiddenError', 'ForbiddenError', 'ForbiddenError', 'ForbiddenError']);
        expect(await gw.db.prisma.webhookEndpoint.count()).toBe(1);
        expect((await gw.db.prisma.webhookEndpoint.findFirstOrThrow()).description).toBe('');
      }
      const removed = await gw.query(
        `mutation($e: ID!) { deleteWebhookEndpoint(id: $e) { __typename } }`,
        { e: isAdmin ? globalId('WebhookEndpoint', 999_999) : endpointId },
        headers,
      );
      expect(removed.data.deleteWebhookEndpoint.__typename).toBe(isAdmin ? 'NotFoundError' : 'ForbiddenError');
      if (isAdmin) {
        // Leave one endpoint and one FAILED delivery, as the other roles found them.
        await gw.db.prisma.webhookEndpoint.deleteMany({ where: { url: 'https://hooks.example/admin' } });
        await gw.db.prisma.webhookEndpoint.updateMany({ data: { description: '' } });
        await gw.db.prisma.webhookDelivery.updateMany({ data: { status: 'FAILED' } });
      }
    });
  }
});

// Editorial objects: every role × every mutation that changes one. Refused roles get a
// ForbiddenError; allowed ones get past the role check to a typed input error (the inputs are
// wrong on purpose, so nothing changes). Either way nothing is written, not even an event.
const EDITORIAL_MUTATIONS: [role: 'EDITOR' | 'ADMIN', allowed: string, call: string][] = [
  ['EDITOR', 'ValidationError', 'createCollection(input: { slug: "Not A Slug", name: "x" })'],
  ['EDITOR', 'NotFoundError', `updateCollection(id: "${globalId('Collection', 999_999)}", input: { name: "x" })`],
  ['EDITOR', 'NotFoundError', `setCollectionItems(id: "${globalId('Collection', 999_999)}", articles: [])`],
  ['EDITOR', 'ValidationError', 'createTag(input: { slug: "Not A Slug", name: "x" })'],
  ['EDITOR', 'NotFoundError', `updateTag(id: "${globalId('Tag', 999_999)}", input: { name: "x" })`],
  ['EDITOR', 'ValidationError', 'createEdition(input: { date: "2030-01-01", name: "" })'],
  ['EDITOR', 'NotFoundError', `setEditionPlacements(id: "${globalId('Edition', 999_999)}", placements: [])`],
  ['ADMIN', 'ValidationError', 'createSection(input: { slug: "Not A Slug", name: "x" })'],
  ['ADMIN', 'NotFoundError', `updateSection(id: "${globalId('Section', 999_999)}", input: { name: "x" })`],
  ['ADMIN', 'NotFoundError', `deleteSection(id: "${globalId('Section', 999_999)}")`],
  ['ADMIN', 'ValidationError', 'createAuthor(input: { slug: "Not A Slug", name: "x" })'],
  ['ADMIN', 'NotFoundError', `updateAuthor(id: "${globalId('Author', 999_999)}", input: { name: "x" })`],
];
const rank: Record<string, number> = { anonymous: 0, writer: 1, editor: 2, admin: 3, EDITOR: 2, ADMIN: 3 };

describe('access matrix: editorial mutations × roles', () => {
  for (const role of ['anonymous', 'writer', 'editor', 'admin']) {
    it(`${role}`, async () => {
      const events = await gw.db.prisma.storyEvent.count();
      const seen: Record<string, string> = {};
      const expected: Record<string, string> = {};
      for (const [needs, allowed, call] of EDITORIAL_MUTATIONS) {
        const response = await gw.query(`mutation { m: ${call} { __typename } }`, {}, roles[role]!);
        seen[call] = response.data?.m?.__typename ?? JSON.stringify(response.errors);
        expected[call] = rank[role]! >= rank[needs]! ? allowed : 'ForbiddenError';
      }
      expect(seen).toEqual(expected);
      expect(await gw.db.prisma.storyEvent.count()).toBe(events);
    });
  }
});

// The live paths: a collection holding hidden articles, replayed to each role by `collectionUpdated`
// over SSE; a subscription is no preview path, so no role sees a hidden article through it.
describe('access matrix: collectionUpdated × roles', () => {
  let after: string;
  let collection: string;
  beforeAll(async () => {
    const holding = hidden.find((h) => h.collections.length)!;
    collection = holding.collections[0]!;
    const row = await gw.db.prisma.collection.findUniqueOrThrow({
      where: { slug: collection },
      include: { items: { orderBy: { position: 'asc' } } },
    });
    after = String((await gw.db.prisma.storyEvent.findFirst({ orderBy: { id: 'desc' } }))?.id ?? 0);
    // The same items again: an event to replay, nothing changed.
    const set = await gw.query(
      `mutation($id: ID!, $articles: [ID!]!) { setCollectionItems(id: $id, articles: $articles) { __typename } }`,
      { id: globalId('Collection', row.id), articles: row.items.map((item) => globalId('Article', item.articleId)) },
      roles.admin,
    );
    expect(set.data.setCollectionItems.__typename).toBe('MutationSetCollectionItemsSuccess');
  });

  for (const role of ['anonymous', 'writer', 'editor', 'admin']) {
    it(`${role}`, async () => {
      const controller = new AbortController();
      const response = await gw.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...roles[role] },
        body: JSON.stringify({
          query: `subscription($slug: String!, $after: ID) { collectionUpdated(slug: $slug, after: $after) { type collection { articles { slug } } } }`,
          variables: { slug: collection, after },
        }),
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      let text = '';
      while (!/^data: .*\n\n/m.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      const event = JSON.parse(/^data: (.*)\n\n/m.exec(text)![1]!);
      const shown = event.data.collectionUpdated.collection.articles.map((a: { slug: string }) => a.slug);
      expect(shown.length).toBeGreaterThan(0);
      expect(shown.filter((slug: string) => hidden.some((h) => h.slug === slug))).toEqual([]);
    });
  }
});
