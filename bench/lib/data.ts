// The benchmark database: a generated newsroom of N articles, on the local PostgreSQL
// (database newsroom_bench; other sizes get newsroom_bench_<N> so a --quick run never replaces
// the 100k one) or on PGlite in bench/.data/pglite-<N>. An existing database is reused when it
// holds exactly N articles and was seeded within the last 24 hours (the generator places reads,
// editions and "latest" relative to the seeding time; older data makes mostPopular(WEEK) and
// "today's" edition drift); otherwise it is re-seeded with scripts/db.ts seed --reset (~100 s on
// PostgreSQL for 100k), then VACUUM ANALYZE-d so plans are those of a live database.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../src/config.js';
import { benchDir, log, repoRoot, spawnOwned } from './common.js';
import type { DbKind } from './options.js';
import type { Picked } from './shapes.js';

export const PG_SERVER = 'postgresql://postgres@127.0.0.1:5432';
const STALE_AFTER_MS = 24 * 3_600_000;

export type BenchDatabase = {
  kind: DbKind;
  /** Environment that points a server process (or scripts/db.ts) at it. */
  env: Record<string, string>;
  /** The same as Config['database'], for in-process use. */
  config: Config['database'];
  label: string;
};

export function benchDatabase(kind: DbKind, articles: number): BenchDatabase {
  if (kind === 'postgres') {
    const name = articles === 100_000 ? 'newsroom_bench' : `newsroom_bench_${articles}`;
    const url = `${PG_SERVER}/${name}`;
    return { kind, env: { DATABASE_URL: url }, config: { kind: 'postgres', url, poolSize: 10 }, label: url };
  }
  const dataDir = path.join(benchDir, '.data', `pglite-${articles}`);
  return { kind, env: { DATA_DIR: dataDir }, config: { kind: 'pglite', dataDir }, label: path.relative(repoRoot, dataDir) };
}

async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function ensurePostgresDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await withPg(`${PG_SERVER}/postgres`, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      log(`creating database ${name}`);
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    }
  });
}

type State = { articles: number; newestRead: Date | null; vacuumed: boolean };

// `vacuumed`: the visibility map covers most of Article (a bulk load leaves it empty until a
// VACUUM; plans with index-only scans and hint-bit writes on first reads differ until then).
const STATE_SQL = `SELECT
  (SELECT count(*) FROM "Article")::int AS articles,
  (SELECT max(bucket) FROM "ArticleRead") AS "newestRead",
  (SELECT relallvisible >= relpages / 2 FROM pg_class WHERE oid = '"Article"'::regclass) AS vacuumed`;

/** VACUUM ANALYZE after a bulk load: what autovacuum does to a live database, done now. */
async function vacuum(db: BenchDatabase): Promise<void> {
  log(`VACUUM ANALYZE ${db.label}`);
  if (db.config.kind === 'postgres') {
    await withPg(db.config.url, (client) => client.query('VACUUM ANALYZE'));
    return;
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const lite = new PGlite(db.config.dataDir);
  try {
    await lite.exec('VACUUM ANALYZE');
  } finally {
    await lite.close();
  }
}

async function readState(db: BenchDatabase): Promise<State> {
  if (db.config.kind === 'postgres') {
    return withPg(db.config.url, async (client) => {
      const exists = await client.query(`SELECT to_regclass('"Article"') IS NOT NULL AS ok`);
      if (!exists.rows[0].ok) return { articles: 0, newestRead: null, vacuumed: false };
      const { rows } = await client.query(STATE_SQL);
      return { articles: rows[0].articles, newestRead: rows[0].newestRead, vacuumed: rows[0].vacuumed === true };
    });
  }
  mkdirSync(db.config.dataDir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const lite = new PGlite(db.config.dataDir);
  try {
    const exists = await lite.query<{ ok: boolean }>(`SELECT to_regclass('"Article"') IS NOT NULL AS ok`);
    if (!exists.rows[0]?.ok) return { articles: 0, newestRead: null, vacuumed: false };
    const { rows } = await lite.query<State>(STATE_SQL);
    return { articles: rows[0].articles, newestRead: rows[0].newestRead, vacuumed: rows[0].vacuumed === true };
  } finally {
    await lite.close();
  }
}

function runDbScript(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    // Only the bench database's variable: a DATABASE_URL in the caller's environment must not win.
    const base = { ...process.env };
    delete base.DATABASE_URL;
    delete base.DATA_DIR;
    const child = spawnOwned(process.execPath, ['--import', 'tsx', 'scripts/db.ts', ...args], {
      cwd: repoRoot,
      env: { ...base, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`scripts/db.ts ${args.join(' ')} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

/** Makes sure the database exists, is migrated and holds a fresh generated newsroom of `articles`. */
export async function prepareDatabase(
  db: BenchDatabase,
  options: { articles: number; reseed: boolean; reuseStale: boolean },
): Promise<{ seeded: boolean; seedSeconds?: number }> {
  if (db.config.kind === 'postgres') await ensurePostgresDatabase(db.config.url);
  const state = await readState(db);
  const ageMs = state.newestRead ? Date.now() - new Date(state.newestRead).getTime() : Number.POSITIVE_INFINITY;
  let reason: string | undefined;
  if (options.reseed) reason = '--reseed';
  else if (state.articles !== options.articles) reason = `it holds ${state.articles} articles, not ${options.articles}`;
  else if (ageMs > STALE_AFTER_MS && !options.reuseStale) {
    reason = `it was seeded ${(ageMs / 3_600_000).toFixed(0)} h ago (read counts and editions are relative to the seeding time; --reuse-stale keeps it)`;
  }
  if (!reason) {
    log(`reusing ${db.label}: ${state.articles} articles, seeded ${(ageMs / 3_600_000).toFixed(1)} h ago`);
    await runDbScript(['migrate'], db.env);
    // What the gateways would do within a minute: the bench counts statements in-process without them.
    await runDbScript(['popularity'], db.env);
    if (!state.vacuumed) await vacuum(db);
    return { seeded: false };
  }
  log(`seeding ${db.label} with ${options.articles} articles because ${reason}`);
  const started = Date.now();
  await runDbScript(['seed', '--articles', String(options.articles), '--reset'], db.env);
  const seedSeconds = (Date.now() - started) / 1000;
  const after = await readState(db);
  if (after.articles !== options.articles)
    throw new Error(`after seeding ${db.label} holds ${after.articles} articles, expected ${options.articles}`);
  await vacuum(db);
  return { seeded: true, seedSeconds };
}

const SEARCH_CANDIDATES = [
  { query: 'budget', section: 'pakistan' },
  { query: 'prices', section: 'business' },
  { query: 'talks', section: 'world' },
  { query: 'officials', section: 'sport' },
];

type RawQuery = <T>(sql: string, ...params: unknown[]) => Promise<T[]>;

/** Variables for the shapes, read once from the database (deterministic for the same data). */
export async function pickData(query: RawQuery): Promise<Picked> {
  // The 20 published stories spread over the newest 400: the hot set of a news site.
  const recent = await query<{ slug: string }>(
    `SELECT slug FROM "Article" WHERE status = 'PUBLISHED' ORDER BY "publishedAt" DESC, id DESC LIMIT 400`,
  );
  const step = Math.max(1, Math.floor(recent.length / 20));
  const slugs = recent
    .filter((_, i) => i % step === 0)
    .slice(0, 20)
    .map((r) => r.slug);
  const editions = await query<{ date: string }>(
    `SELECT to_char(date, 'YYYY-MM-DD') AS date FROM "Edition" WHERE kind = 'DAILY' ORDER BY date DESC LIMIT 7`,
  );
  const sections = await query<{ slug: string }>(`SELECT slug FROM "Section" WHERE "parentId" IS NULL ORDER BY position, id`);
  const searches: (Picked['searches'][number] & { hits: number })[] = [];
  for (const candidate of SEARCH_CANDIDATES) {
    const [row] = await query<{ hits: number }>(
      `SELECT count(*)::int AS hits FROM "Article" a, websearch_to_tsquery('english', $1) q
       WHERE a."searchVector" @@ q AND a.status = 'PUBLISHED'
         AND a."sectionId" IN (SELECT id FROM "Section" s WHERE s.slug = $2 OR s."parentId" = (SELECT id FROM "Section" WHERE slug = $2))`,
      candidate.query,
      candidate.section,
    );
    searches.push({ ...candidate, hits: row?.hits ?? 0 });
  }
  const useful = searches.filter((s) => s.hits >= 20);
  return {
    slugs,
    editionDates: editions.map((e) => e.date),
    sections: sections.map((s) => s.slug),
    searches: (useful.length ? useful : searches.sort((a, b) => b.hits - a.hits).slice(0, 1)).map(({ query: q, section }) => ({
      query: q,
      section,
    })),
  };
}
