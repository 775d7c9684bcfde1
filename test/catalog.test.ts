// Sections and authors (ADMIN), tags, editions and collections (EDITOR) through the API.
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import { authenticate } from '../src/newsroom/auth.js';
import { createDemoGateway, distCommand, globalId, keyHeader, onPostgres, pristineDataDir, type TestGateway } from './helpers.js';

let gw: TestGateway;
let admin: Record<string, string>;
let editor: Record<string, string>;

beforeAll(async () => {
  gw = await createDemoGateway();
  admin = await keyHeader(gw.db, 'ADMIN');
  editor = await keyHeader(gw.db, 'EDITOR');
});
afterAll(() => gw?.db.dispose());

const RESULT = `__typename ... on Error { message code } ... on ValidationError { issues { path message } }`;

async function run(document: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const response = await gw.query(document, variables, headers);
  expect(response.errors).toBeUndefined();
  return Object.values(response.data!)[0] as any;
}

const idOf = async (model: 'section' | 'article' | 'edition' | 'collection', slug: string, type: string) =>
  globalId(type, ((await (gw.db.prisma[model] as any).findUniqueOrThrow({ where: { slug } })) as { id: number }).id);

describe('sections', () => {
  const create = `mutation($input: CreateSectionInput!) { createSection(input: $input) { ${RESULT} ... on MutationCreateSectionSuccess { data { id slug parent { slug } } } } }`;

  it('an admin adds a subsection; an editor may not', async () => {
    const world = await idOf('section', 'world', 'Section');
    expect((await run(create, { input: { slug: 'africa', name: 'Africa', parent: world } }, editor)).__typename).toBe('ForbiddenError');
    const created = await run(create, { input: { slug: 'africa', name: 'Africa', parent: world, position: 9 } }, admin);
    expect(created.data).toMatchObject({ slug: 'africa', parent: { slug: 'world' } });
    expect((await run(create, { input: { slug: 'africa', name: 'Again' } }, admin)).__typename).toBe('ConflictError');
    const tree = await gw.query(`{ section(slug: "world") { children { slug } } }`);
    expect(tree.data?.section.children.map((c: any) => c.slug)).toContain('africa');
  });

  it('a section cannot move below itself; a section with articles cannot be deleted', async () => {
    const world = await idOf('section', 'world', 'Section');
    const asia = await idOf('section', 'asia', 'Section');
    const loop = await run(
      `mutation($id: ID!, $input: UpdateSectionInput!) { updateSection(id: $id, input: $input) { ${RESULT} } }`,
      { id: world, input: { parent: asia } },
      admin,
    );
    expect(loop).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['parent'] }] });
    const del = `mutation($id: ID!) { deleteSection(id: $id) { ${RESULT} ... on MutationDeleteSectionSuccess { data } } }`;
    expect((await run(del, { id: asia }, admin)).__typename).toBe('ConflictError');
    const empty = (await run(create, { input: { slug: 'oceania', name: 'Oceania' } }, admin)).data;
    expect((await run(del, { id: empty.id }, admin)).data).toBe(empty.id);
    expect((await gw.query(`{ section(slug: "oceania") { slug } }`)).data?.section).toBeNull();
  });
});

describe('the section tree a gateway keeps', () => {
  const update = `mutation($id: ID!, $input: UpdateSectionInput!) { updateSection(id: $id, input: $input) { ${RESULT} } }`;
  const inSection = `query($section: String!) { articles(filter: { section: $section }, first: 50) { edges { node { slug } } } }`;
  const slugsIn = async (section: string): Promise<string[]> => {
    const response = await gw.query(inSection, { section });
    expect(response.errors).toBeUndefined();
    return response.data.articles.edges.map((e: { node: { slug: string } }) => e.node.slug);
  };

  it('is read once while the gateway follows story events, and a section change is on the next read', async () => {
    await gw.live.ready(); // the server starts the hub at start-up; the tree follows it from then on
    const before = gw.sectionTree.reads;
    await slugsIn('world');
    await slugsIn('asia');
    const reads = gw.sectionTree.reads;
    expect(reads).toBe(before + 1); // the first read is kept
    const { count } = await gw.countStatements(inSection, { section: 'world' });
    expect(gw.sectionTree.reads).toBe(reads);
    expect(count).toBe(1); // the list alone: the subtree comes from the tree in memory

    // Asia moves from World to Business: its stories leave World's lists and join Business's at once.
    const asiaStories = await slugsIn('asia');
    expect(asiaStories.length).toBeGreaterThan(0);
    const asia = await idOf('section', 'asia', 'Section');
    const moved = await run(update, { id: asia, input: { parent: await idOf('section', 'business', 'Section') } }, admin);
    expect(moved.__typename).toBe('MutationUpdateSectionSuccess');
    try {
      expect(await slugsIn('world')).not.toEqual(expect.arrayContaining([asiaStories[0]]));
      expect(await slugsIn('business')).toEqual(expect.arrayContaining(asiaStories.slice(0, 1)));
      expect(gw.sectionTree.reads).toBe(reads + 1);
    } finally {
      await run(update, { id: asia, input: { parent: await idOf('section', 'world', 'Section') } }, admin);
    }
    expect(await slugsIn('world')).toEqual(expect.arrayContaining(asiaStories.slice(0, 1)));
  });
});

describe('authors and tags', () => {
  it('an admin adds an author; an editor adds a tag; bad input names the field', async () => {
    const author = await run(
      `mutation { createAuthor(input: { slug: "ap", name: "Associated Press Desk", kind: AGENCY }) { ${RESULT} ... on MutationCreateAuthorSuccess { data { slug kind } } } }`,
      {},
      admin,
    );
    expect(author.__typename).toBe('ConflictError'); // the demo already has AP
    const fresh = await run(
      `mutation { createAuthor(input: { slug: "kyodo", name: "Kyodo", kind: AGENCY }) { ${RESULT} ... on MutationCreateAuthorSuccess { data { slug kind } } } }`,
      {},
      admin,
    );
    expect(fresh.data).toEqual({ slug: 'kyodo', kind: 'AGENCY' });
    const tag = await run(
      `mutation { createTag(input: { slug: "monsoon", name: "Monsoon", kind: TOPIC }) { ${RESULT} ... on MutationCreateTagSuccess { data { slug } } } }`,
      {},
      editor,
    );
    expect(tag.data.slug).toBe('monsoon');
    const bad = await run(`mutation { createTag(input: { slug: "Bad Slug", name: "" }) { ${RESULT} } }`, {}, editor);
    expect(bad.issues.map((i: any) => i.path[0]).sort()).toEqual(['name', 'slug']);
  });
});

describe('editions and collections', () => {
  it('placements are replaced as a whole, validated, and announced as a story event', async () => {
    const edition = (
      await run(
        `mutation { createEdition(input: { date: "2025-03-02", name: "E-Paper | March 02, 2025" }) { ${RESULT} ... on MutationCreateEditionSuccess { data { id slug kind } } } }`,
        {},
        editor,
      )
    ).data;
    expect(edition).toMatchObject({ slug: 'daily-2025-03-02', kind: 'DAILY' });
    const a = await idOf('article', 'china-tells-ai-leaders-to-avoid-us-travel', 'Article');
    const b = await idOf('article', 'haqqania-bombing', 'Article');
    const set = `mutation($id: ID!, $p: [PlacementInput!]!) { setEditionPlacements(id: $id, placements: $p) { ${RESULT} ... on MutationSetEditionPlacementsSuccess { data { placements { page position article { slug } } } } } }`;
    const events = () => gw.db.prisma.storyEvent.count({ where: { type: 'EDITION_UPDATED' } });
    const before = await events();
    const clash = await run(
      set,
      {
        id: edition.id,
        p: [
          { article: a, page: 1, position: 1 },
          { article: b, page: 1, position: 1 },
        ],
      },
      editor,
    );
    expect(clash.__typename).toBe('ValidationError');
    expect(await events()).toBe(before);
    const ok = await run(
      set,
      {
        id: edition.id,
        p: [
          { article: b, page: 2, position: 1 },
          { article: a, page: 1, position: 1 },
        ],
      },
      editor,
    );
    expect(ok.data.placements).toEqual([
      { page: 1, position: 1, article: { slug: 'china-tells-ai-leaders-to-avoid-us-travel' } },
      { page: 2, position: 1, article: { slug: 'haqqania-bombing' } },
    ]);
    expect(await events()).toBe(before + 1);
    expect((await run(set, { id: edition.id, p: [] }, await keyHeader(gw.db, 'WRITER', 'reuters'))).__typename).toBe('ForbiddenError');
  });

  it('a collection takes exactly the given articles in order', async () => {
    const created = (
      await run(
        `mutation { createCollection(input: { slug: "elections", name: "Elections" }) { ${RESULT} ... on MutationCreateCollectionSuccess { data { id } } } }`,
        {},
        editor,
      )
    ).data;
    const ids = await Promise.all(['haqqania-bombing', 'exceptional-assembly', 'no-remorse'].map((s) => idOf('article', s, 'Article')));
    const set = `mutation($id: ID!, $a: [ID!]!) { setCollectionItems(id: $id, articles: $a) { ${RESULT} ... on MutationSetCollectionItemsSuccess { data { articles { slug } } } } }`;
    const result = await run(set, { id: created.id, a: ids }, editor);
    expect(result.data.articles.map((x: any) => x.slug)).toEqual(['haqqania-bombing', 'exceptional-assembly', 'no-remorse']);
    expect((await run(set, { id: created.id, a: [ids[0], ids[0]] }, editor)).__typename).toBe('ValidationError');
    expect((await run(set, { id: created.id, a: [globalId('Article', 999999)] }, editor)).__typename).toBe('ValidationError');
    expect((await gw.query(`{ collection(slug: "elections") { articles { slug } } }`)).data?.collection.articles).toHaveLength(3);
  });
});

describe.skipIf(onPostgres)('the apikey script', () => {
  it('creates the first admin key on a fresh database, shown once, stored hashed', async () => {
    const dataDir = await pristineDataDir();
    try {
      const result = spawnSync(
        process.execPath,
        [...distCommand('scripts/apikey.ts'), 'create', '--role', 'ADMIN', '--name', 'First admin'],
        {
          env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
      expect(result.status, result.stderr).toBe(0);
      const key = /(nrk_\S+)/.exec(result.stdout)?.[1];
      expect(key).toBeTruthy();
      const db = await openDatabase({ kind: 'pglite', dataDir, sharedBuffers: process.env.PGLITE_SHARED_BUFFERS });
      try {
        const viewer = await authenticate(db.prisma, `Bearer ${key}`);
        expect(viewer).toMatchObject({ kind: 'key', role: 'ADMIN', name: 'First admin' });
        const stored = await db.prisma.apiKey.findFirstOrThrow();
        expect(JSON.stringify(stored)).not.toContain(key!);
      } finally {
        await db.close();
      }
      const bad = spawnSync(process.execPath, [...distCommand('scripts/apikey.ts'), 'create', '--role', 'KING', '--name', 'x'], {
        env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/--role/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    // Two subprocesses, each allowed 120 s: on a busy machine one takes over 30 s.
  }, 300_000);
});
