// A PostgreSQL database holding the demo newsroom and an editor key, for the live and soak
// benches (they measure the live path and stability, not archive size).
import pg from 'pg';
import { openDatabase } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrations.js';
import { createApiKey } from '../../src/newsroom/auth.js';
import { seedDemo } from '../../prisma/seed.js';

const SERVER = 'postgresql://postgres@127.0.0.1:5432';
const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');

export type DemoDatabase = { url: string; key: string; sectionId: string; authorId: string; articleIds: string[]; drop(): Promise<void> };

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database `name` with the demo newsroom; `drop()` removes it. */
export async function demoDatabase(name: string): Promise<DemoDatabase> {
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = `${SERVER}/${name}`;
  // No statement deadline: on a busy machine the seed's one transaction may outlast the default 5 s.
  const db = await openDatabase({ kind: 'postgres', url, poolSize: 4, statementTimeoutMs: 0 });
  try {
    await applyMigrations(db.adapterFactory);
    await seedDemo(db.prisma);
    const { key } = await createApiKey(db.prisma, { name: `bench ${name}`, role: 'EDITOR' });
    const section = await db.prisma.section.findUniqueOrThrow({ where: { slug: 'asia' } });
    const author = await db.prisma.author.findUniqueOrThrow({ where: { slug: 'reuters' } });
    const articles = await db.prisma.article.findMany({ where: { status: 'PUBLISHED' }, select: { id: true } });
    return {
      url,
      key,
      sectionId: gid('Section', section.id),
      authorId: gid('Author', author.id),
      articleIds: articles.map((a) => gid('Article', a.id)),
      drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  } finally {
    await db.close();
  }
}

/** An editor's GraphQL call; returns the first field of `data`, throws on errors. */
export async function editorCall(url: string, key: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: { message: string }[] };
  if (!response.ok || body.errors || !body.data) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  return Object.values(body.data)[0];
}

/** Creates and publishes a story; returns its slug once the publish mutation answered. */
export async function publishStory(url: string, demo: DemoDatabase, headline: string, onPublishing?: (slug: string) => void) {
  const created = await editorCall(
    url,
    demo.key,
    `mutation($input: CreateDraftInput!) { createDraft(input: $input) { ... on MutationCreateDraftSuccess { data { id slug } } ... on Error { message } } }`,
    { input: { headline, section: demo.sectionId, byline: [{ author: demo.authorId, role: 'AGENCY' }] } },
  );
  if (!created.data) throw new Error(`createDraft: ${created.message}`);
  onPublishing?.(created.data.slug);
  const published = await editorCall(
    url,
    demo.key,
    `mutation($id: ID!) { publishArticle(id: $id) { __typename ... on Error { message } } }`,
    { id: created.data.id },
  );
  if (published.__typename !== 'MutationPublishArticleSuccess') throw new Error(`publishArticle: ${published.message}`);
  return { id: created.data.id as string, slug: created.data.slug as string };
}
