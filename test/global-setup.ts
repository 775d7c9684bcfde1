// Once per test run (vitest's globalSetup): the production build that process tests start, and
// per database kind: migrate one template database, and one more holding the demo newsroom, so
// that each test file copies a template
// (a PGlite data-directory tarball, or PostgreSQL's CREATE DATABASE … TEMPLATE) instead of
// running initdb, the WASM schema engine and the demo seed itself. The PGlite templates are kept
// between runs, outside the clone (`npm ci` empties node_modules, CI runs on a fresh clone), under
// a hash of everything they are made of.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/client.js';
import { applyMigrations, readMigrationList, schemaPath } from '../src/db/migrations.js';
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
    /** The production build of this run (`npm run build`): what `npm start` runs, for the tests that start processes. */
    dist: string;
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
    const empty = await compactDump(pglite);
    await seedDemo(prisma);
    return { pristine, empty, demo: await compactDump(pglite) };
  } finally {
    await prisma.$disconnect();
    await pglite.close();
  }
}

/**
 * The data directory as a test database needs it: 12 MB instead of 42. A test file loads one
 * (and some child processes a copy on disk) about 60 times a run, and PGlite copies every byte of
 * it into fresh memory: this saves 0.2–0.3 s of CPU a load. Left out are the databases template0
 * and template1 (nothing on PGlite creates databases; the `pristine` template keeps them, as a
 * first start sees them) and the WAL before the last checkpoint: the WAL is switched to a new
 * segment, checkpointed, and that segment is cut after its last written page (PostgreSQL reads
 * the checkpoint from it, finds the end of the WAL there, and extends the file as it writes).
 * Recycled segments (16 MB of zeros each) go too.
 */
async function compactDump(pglite: PGlite): Promise<Blob> {
  await pglite.exec('CHECKPOINT');
  await pglite.query('SELECT pg_switch_wal()');
  await pglite.exec('CHECKPOINT');
  const { data, page } = (
    await pglite.query<{ data: string; page: number }>(
      "SELECT current_setting('data_directory') AS data, current_setting('wal_block_size')::int AS page",
    )
  ).rows[0]!;
  const { redo } = (await pglite.query<{ redo: string }>('SELECT redo_wal_file AS redo FROM pg_control_checkpoint()')).rows[0]!;
  const templates = await pglite.query<{ oid: number }>("SELECT oid FROM pg_database WHERE datname IN ('template0', 'template1')");
  const { FS } = pglite.Module;
  const remove = (file: string) => {
    if (FS.isDir(FS.stat(file).mode)) {
      for (const entry of FS.readdir(file)) if (entry !== '.' && entry !== '..') remove(`${file}/${entry}`);
      FS.rmdir(file);
    } else FS.unlink(file);
  };
  for (const { oid } of templates.rows) {
    if (FS.analyzePath(`${data}/base/${oid}`).exists) remove(`${data}/base/${oid}`); // gone at the second dump
  }
  for (const segment of FS.readdir(`${data}/pg_wal`).filter((entry: string) => /^[0-9A-F]{24}$/.test(entry) && entry !== redo)) {
    FS.unlink(`${data}/pg_wal/${segment}`);
  }
  const wal = `${data}/pg_wal/${redo}`;
  const bytes = FS.readFile(wal);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  FS.truncate(wal, Math.ceil(end / page) * page);
  return pglite.dumpDataDir('none');
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

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Shared by every clone and worktree of the machine (NEWSROOM_TEST_CACHE to move it). */
const cacheDir =
  process.env.NEWSROOM_TEST_CACHE ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'newsroom-gateway', 'test-templates');
/** Keys kept: clones on different commits each find theirs; older ones are removed. */
const KEEP_KEYS = 6;
const pgliteKinds = ['pristine', 'empty', 'demo'] as const;

/**
 * What the PGlite templates are made of: the schema, the migrations, the source files the seed
 * imports (esbuild's metafile lists them), the installed packages, this file (how they are made)
 * and the day (the demo is dated from it). A change to any of them builds the templates anew.
 */
async function templateKey(): Promise<string> {
  const { metafile } = await build({
    entryPoints: [path.join(root, 'prisma/seed.ts'), path.join(root, 'src/db/migrations.ts')],
    absWorkingDir: root,
    outdir: path.join(cacheDir, 'unused'),
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  const hash = createHash('sha256').update(new Date().toISOString().slice(0, 10));
  const migrations = (await readMigrationList()).migrationDirectories.map((m) => path.join('prisma/migrations', m.path, 'migration.sql'));
  const files = [
    ...Object.keys(metafile.inputs).sort(),
    ...migrations,
    path.relative(root, schemaPath),
    'package-lock.json',
    'test/global-setup.ts',
  ];
  for (const file of files) {
    hash.update(file).update(await readFile(path.join(root, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** The PGlite templates' files: from the cache, or built and put there (the least recently used keys beyond KEEP_KEYS are removed). */
async function pgliteTemplates(): Promise<Templates['pglite']> {
  const key = await templateKey();
  const dir = path.join(cacheDir, key);
  const files = Object.fromEntries(pgliteKinds.map((kind) => [kind, path.join(dir, `${kind}.tar`)])) as Templates['pglite'];
  if (existsSync(dir)) {
    const now = new Date();
    await utimes(dir, now, now); // recently used: kept by the pruning below
    return files;
  }
  const blobs = await buildPgliteTemplates();
  const building = path.join(cacheDir, `${key}.${randomUUID()}`);
  await mkdir(building, { recursive: true });
  for (const kind of pgliteKinds) await writeFile(path.join(building, `${kind}.tar`), Buffer.from(await blobs[kind].arrayBuffer()));
  // A run beside this one may have built the same key first: either copy will do.
  await rename(building, dir).catch(() => rm(building, { recursive: true, force: true }));
  const keys = await Promise.all(
    (await readdir(cacheDir))
      .filter((entry) => !entry.includes('.'))
      .map(async (entry) => ({ entry, used: (await stat(path.join(cacheDir, entry))).mtimeMs })),
  );
  for (const { entry } of keys.sort((a, b) => b.used - a.used).slice(KEEP_KEYS)) {
    await rm(path.join(cacheDir, entry), { recursive: true, force: true });
  }
  return files;
}

/**
 * `npm run build` into a directory of its own, once per run: the tests that start the gateway or
 * a script as a process run what `npm start` runs (`node dist/main.js`), not `tsx` over the
 * sources (0.6 s more CPU a start). The clone's node_modules and module type are linked beside it.
 */
async function buildDist(): Promise<{ dist: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'newsroom-test-dist-'));
  const dist = path.join(dir, 'dist');
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build.ts', dist], { cwd: root });
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  await symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return { dist, remove: () => rm(dir, { recursive: true, force: true }) };
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

  const [pglite, build] = await Promise.all([pgliteTemplates(), buildDist()]);
  const templates: Templates = { pglite };
  // The same rule as test/vitest.config.ts: TEST_DATABASE_URL adds the PostgreSQL pass.
  const serverUrl = process.env.TEST_DATABASE_URL;
  let dropPostgres = async () => {};
  if (serverUrl) {
    const { empty, demo, drop } = await buildPostgresTemplates(serverUrl);
    templates.postgres = { empty, demo };
    dropPostgres = drop;
  }
  project.vitest.provide('templates', templates);
  project.vitest.provide('dist', build.dist);
  return async () => {
    await dropPostgres();
    await build.remove();
  };
}
