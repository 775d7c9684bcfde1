// Once per test run and database kind (vitest's globalSetup, per project): migrate one template
// database, and one more holding the demo newsroom, so that each test file copies a template
// (a PGlite data-directory tarball, or PostgreSQL's CREATE DATABASE … TEMPLATE) instead of
// running initdb, the WASM schema engine and the demo seed itself.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrations.js';
import { PrismaClient } from '../src/generated/prisma/client.js';

/** Where test files find their templates: tarball files (PGlite) and database names (PostgreSQL). */
export type Templates = {
  /** `pristine`: a cluster just after initdb, before migrations (for tests of a first start). */
  pglite: { pristine: string; empty: string; demo: string };
  postgres?: { empty: string; demo: string };
};

declare module 'vitest' {
  export interface ProvidedContext {
    templates: Templates;
  }
}

/** Runs one statement on the PostgreSQL server as its own short connection. */
export async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function databaseUrlFor(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A PGlite dumped just after initdb, once migrated, and once holding the demo newsroom
 * (uncompressed: loads fastest). initdb alone costs PGlite about 6 s of CPU; loading a dump, 2 s.
 */
export async function buildPgliteTemplates(): Promise<{ pristine: Blob; empty: Blob; demo: Blob }> {
  const { seedDemo } = await import('../prisma/seed.js');
  const pglite = new PGlite('memory://');
  const adapter = new PrismaPGlite(pglite) as unknown as SqlMigrationAwareDriverAdapterFactory;
  const prisma = new PrismaClient({ adapter });
  try {
    await pglite.exec('CHECKPOINT');
    const pristine = await pglite.dumpDataDir('none');
    await applyMigrations(adapter);
    await pglite.exec('CHECKPOINT');
    const empty = await pglite.dumpDataDir('none');
    await seedDemo(prisma);
    await pglite.exec('CHECKPOINT');
    return { pristine, empty, demo: await pglite.dumpDataDir('none') };
  } finally {
    await prisma.$disconnect();
    await pglite.close();
  }
}

/** Two template databases on the server; returns their names and a function that drops them. */
export async function buildPostgresTemplates(serverUrl: string): Promise<{ empty: string; demo: string; drop(): Promise<void> }> {
  const { seedDemo } = await import('../prisma/seed.js');
  const run = randomUUID().replaceAll('-', '').slice(0, 12);
  const empty = `newsroom_template_${run}`;
  const demo = `newsroom_template_${run}_demo`;
  const drop = async () => {
    for (const name of [empty, demo]) await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  try {
    await adminQuery(serverUrl, `CREATE DATABASE ${empty}`);
    const migrated = await openDatabase({ kind: 'postgres', url: databaseUrlFor(serverUrl, empty), poolSize: 2 });
    try {
      await applyMigrations(migrated.adapterFactory);
    } finally {
      await migrated.close();
    }
    // A copy may only be taken while nobody is connected to its template: both pools are closed.
    await adminQuery(serverUrl, `CREATE DATABASE ${demo} TEMPLATE ${empty}`);
    const seeded = await openDatabase({ kind: 'postgres', url: databaseUrlFor(serverUrl, demo), poolSize: 2 });
    try {
      await seedDemo(seeded.prisma);
    } finally {
      await seeded.close();
    }
  } catch (error) {
    await drop();
    throw error;
  }
  return { empty, demo, drop };
}

const done = Symbol.for('newsroom.test.templates');

/**
 * Vitest calls this for every project (and the root) in one process, each time from a fresh module
 * graph: the first call builds the templates of every database kind and provides them to all, the
 * others do nothing. (The schema engine's WASM glue is one module per process and must not be
 * instantiated twice.)
 */
export default async function setup(project: TestProject) {
  const state = globalThis as { [done]?: boolean };
  if (state[done]) return;
  state[done] = true;

  const dir = await mkdtemp(path.join(tmpdir(), 'newsroom-templates-'));
  let dropPostgres = async () => {};
  try {
    const blobs = await buildPgliteTemplates();
    const templates: Templates = {
      pglite: { pristine: path.join(dir, 'pristine.tar'), empty: path.join(dir, 'empty.tar'), demo: path.join(dir, 'demo.tar') },
    };
    for (const kind of ['pristine', 'empty', 'demo'] as const) {
      await writeFile(templates.pglite[kind], Buffer.from(await blobs[kind].arrayBuffer()));
    }
    // The same rule as test/vitest.config.ts: TEST_DATABASE_URL adds the PostgreSQL pass.
    const serverUrl = process.env.TEST_DATABASE_URL;
    if (serverUrl) {
      const { empty, demo, drop } = await buildPostgresTemplates(serverUrl);
      templates.postgres = { empty, demo };
      dropPostgres = drop;
    }
    project.vitest.provide('templates', templates);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return async () => {
    await dropPostgres();
    await rm(dir, { recursive: true, force: true });
  };
}
