// `npm run bench:storm`: the publish storm of the speed issue. 50 connections read 2,000
// different article pages (Zipf-distributed), the section fronts and the front page of the
// 100k-article newsroom while an editor publishes a story every 2 s and corrects one every 10 s.
// Three set-ups: the editor on a second gateway (as in production), no publishes, and the editor
// on the gateway under test; each side by side with PostGraphile (uncached, so its set-up with
// publishes has the editor on a gateway beside it). Every run gets a fresh copy of the bench
// database (CREATE DATABASE … TEMPLATE newsroom_bench), so the stories it publishes never change
// the data other runs read. Loopback only; bounded in time; everything it starts is stopped.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { mulberry32 } from '../prisma/generator.js';
import { openDatabase } from '../src/db/client.js';
import { createApiKey } from '../src/newsroom/auth.js';
import { operationDocument } from '../src/schema/operations.js';
import {
  benchDir,
  gcPausesBetween,
  hasCommand,
  installCleanupHandlers,
  log,
  machineBusyPercent,
  readCpuSeconds,
  readGcCounters,
  sleep,
} from './lib/common.js';
import { benchDatabase, PG_SERVER, prepareDatabase } from './lib/data.js';
import { ensurePostgraphileInstalled, postgraphileDocument } from './lib/postgraphile.js';
import { startServer, type RunningServer } from './lib/server.js';
import type { ShapeName } from './lib/shapes.js';

const SETUPS = ['second', 'none', 'same'] as const;
type Setup = (typeof SETUPS)[number];
const SETUP_TITLE: Record<Setup, string> = {
  second: 'editor on a second gateway',
  none: 'no publishes',
  same: 'editor on the gateway under test',
};
type Server = 'gateway' | 'postgraphile';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    pages: { type: 'string', default: '2000' },
    setups: { type: 'string', default: SETUPS.join(',') },
    servers: { type: 'string', default: 'gateway,postgraphile' },
    'publish-every': { type: 'string', default: '2000' },
    'correct-every': { type: 'string', default: '5' },
    env: { type: 'string', multiple: true, default: [] },
    label: { type: 'string' },
    'no-prime': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'sql-log': { type: 'boolean', default: false },
  },
});
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const connections = Number(values.connections);
const pageCount = Number(values.pages);
const setups = values.setups.split(',') as Setup[];
const servers = values.servers.split(',') as Server[];
const publishEveryMs = Number(values['publish-every']);
const correctEvery = Number(values['correct-every']);
const extraEnv = Object.fromEntries(values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const pin = !values['no-pin'] && hasCommand('taskset');
const STORM_DB = 'newsroom_storm';
/**
 * Every anonymous read sends these, priming included: the HTTP cache keys by Accept, so a prime
 * with fetch's default (`*\/*`) would fill entries the storm's reads never ask for.
 */
const READ_HEADERS = { accept: 'application/graphql-response+json, application/json', 'content-type': 'application/json' };
const stormUrl = `${PG_SERVER}/${STORM_DB}`;
const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');

// ── The database ────────────────────────────────────────────────────────────────────────────────

async function admin<T>(fn: (client: pg.Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const client = new pg.Client({ connectionString: `${PG_SERVER}/${database}` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh copy of newsroom_bench (retries while something else is connected to the template). */
async function copyDatabase(): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${STORM_DB} WITH (FORCE)`));
  for (let attempt = 1; ; attempt += 1) {
    try {
      await admin((c) => c.query(`CREATE DATABASE ${STORM_DB} TEMPLATE newsroom_bench`));
      return;
    } catch (error) {
      if (attempt >= 60 || !/being accessed by other users/.test((error as Error).message)) throw error;
      await sleep(1000);
    }
  }
}

type World = {
  key: string;
  sectionId: string;
  authorId: string;
  slugs: string[];
  sections: string[];
  editionDate: string;
};

async function prepareWorld(): Promise<World> {
  const rows = await admin(async (c) => {
    const slugs = await c.query<{ slug: string }>(
      `SELECT slug FROM "Article" WHERE status = 'PUBLISHED' ORDER BY "publishedAt" DESC, id DESC LIMIT $1`,
      [pageCount],
    );
    const sections = await c.query<{ slug: string }>(`SELECT slug FROM "Section" WHERE "parentId" IS NULL ORDER BY position, id`);
    const edition = await c.query<{ date: string }>(
      `SELECT to_char(date, 'YYYY-MM-DD') AS date FROM "Edition" WHERE kind = 'DAILY' ORDER BY date DESC LIMIT 1`,
    );
    const section = await c.query<{ id: number }>(`SELECT id FROM "Section" WHERE "parentId" IS NOT NULL ORDER BY id LIMIT 1`);
    const author = await c.query<{ id: number }>(`SELECT id FROM "Author" ORDER BY id LIMIT 1`);
    return { slugs, sections, edition, section, author };
  }, STORM_DB);
  const db = await openDatabase({ kind: 'postgres', url: stormUrl, poolSize: 2 });
  try {
    const { key } = await createApiKey(db.prisma, { name: 'storm editor', role: 'EDITOR' });
    return {
      key,
      sectionId: gid('Section', rows.section.rows[0]!.id),
      authorId: gid('Author', rows.author.rows[0]!.id),
      slugs: rows.slugs.rows.map((r) => r.slug),
      sections: rows.sections.rows.map((r) => r.slug),
      editionDate: rows.edition.rows[0]!.date,
    };
  } finally {
    await db.close();
  }
}

/** The database's transactions so far (each statement outside a transaction is one) and its backends. */
async function databaseCounters(): Promise<{ xacts: number; backends: number[] }> {
  return admin(async (c) => {
    const stat = await c.query<{ xacts: string }>(
      `SELECT (xact_commit + xact_rollback)::text AS xacts FROM pg_stat_database WHERE datname = $1`,
      [STORM_DB],
    );
    const backends = await c.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [STORM_DB]);
    return { xacts: Number(stat.rows[0]?.xacts ?? 0), backends: backends.rows.map((r) => r.pid) };
  });
}

// ── Where the transactions come from (--sql-log) ────────────────────────────────────────────────

/**
 * PostgreSQL's own log (log_statement = all on the storm database only, set by --sql-log). The
 * log line prefix is Debian's `%m [%p] %q%u@%d `: the backend's pid, then the database.
 */
const PG_LOG = '/var/log/postgresql/postgresql-15-main.log';
const logSize = () => {
  try {
    return statSync(PG_LOG).size;
  } catch {
    return 0;
  }
};

function readLogFrom(offset: number): string {
  const size = logSize();
  if (size <= offset) return '';
  const fd = openSync(PG_LOG, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A statement's shape: literals, numbers and parameter lists folded, so one query is one shape. */
function statementShape(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\d+(?:\s*,\s*\$\d+)*/g, '$n')
    .replace(/\b\d+\b/g, 'N')
    .replace(/"public"\./g, '')
    .trim()
    .slice(0, 4000);
}

/**
 * The storm database's transactions during the run, from PostgreSQL's log: each statement outside
 * BEGIN…COMMIT is one, a BEGIN…COMMIT block is one (named by its first statement), per process
 * (application_name, which the bench sets per server with PGAPPNAME) and shape.
 */
function transactionsBySource(text: string, appOf: Map<number, string>) {
  const statements: { pid: number; sql: string }[] = [];
  const head = new RegExp(`^\\S+ \\S+ \\S+ \\[(\\d+)\\] \\S+@${STORM_DB} LOG:  (?:statement|execute [^:]*): (.*)$`);
  let current: { pid: number; sql: string } | null = null;
  for (const line of text.split('\n')) {
    const match = head.exec(line);
    if (match) {
      current = { pid: Number(match[1]), sql: match[2]! };
      statements.push(current);
    } else if (current && line.startsWith('\t')) {
      current.sql += ` ${line.trim()}`;
    } else {
      current = null;
    }
  }
  const open = new Map<number, string | null>();
  const counts = new Map<string, number>();
  const count = (pid: number, shape: string) => {
    const key = `${appOf.get(pid) ?? `pid ${pid}`} | ${shape}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  for (const { pid, sql } of statements) {
    const shape = statementShape(sql);
    if (/^(BEGIN|START TRANSACTION)/i.test(shape)) {
      open.set(pid, null);
    } else if (/^(COMMIT|ROLLBACK|END)/i.test(shape)) {
      if (open.has(pid)) count(pid, `TX: ${open.get(pid) ?? '(empty)'}`);
      open.delete(pid);
    } else if (open.has(pid)) {
      if (open.get(pid) === null) open.set(pid, shape);
    } else {
      count(pid, shape);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([source, transactions]) => ({ source, transactions }));
}

// ── The read mix ────────────────────────────────────────────────────────────────────────────────

/** Zipf (s = 1) over n ranks: rank k has weight 1/k. */
function zipf(n: number, next: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k += 1) cdf[k] = sum += 1 / (k + 1);
  return () => {
    const x = next() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Shares of the read mix: article pages, section fronts, the front page. */
const MIX = { page: 0.85, section: 0.1, front: 0.05 };

type Documents = { page: string; section: string; front: string };

function documentsFor(server: Server): Documents {
  if (server === 'gateway') {
    return { page: operationDocument('ArticlePage'), section: operationDocument('SectionFront'), front: operationDocument('FrontPage') };
  }
  const own = (name: string) => {
    const doc = postgraphileDocument(name as ShapeName);
    if (!doc) throw new Error(`bench/postgraphile/${name}.graphql is missing`);
    return doc.document;
  };
  return { page: own('article-page'), section: own('section-front'), front: own('front-page') };
}

function bodies(docs: Documents, world: World) {
  const body = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
  return {
    page: (slug: string) => body(docs.page, { slug, editionDate: world.editionDate }),
    section: (slug: string) => body(docs.section, { slug, first: 20 }),
    front: body(docs.front, {}),
  };
}

// ── The editor ──────────────────────────────────────────────────────────────────────────────────

type Timed = { ms: number; ok: boolean };

async function editorCall(url: string, key: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: { message: string }[] };
  if (!response.ok || body.errors || !body.data) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  return Object.values(body.data)[0];
}

/** Reads `body` anonymously from the server under test until `holds` the answer; ms until then (-1: never, within 10 s). */
async function visibleAfter(url: string, body: string, holds: (text: string) => boolean): Promise<{ first: boolean; lagMs: number }> {
  const started = performance.now();
  for (let attempt = 0; performance.now() - started < 10_000; attempt += 1) {
    const response = await fetch(url, { method: 'POST', headers: READ_HEADERS, body });
    const text = await response.text();
    if (holds(text)) return { first: attempt === 0, lagMs: performance.now() - started };
    await sleep(50);
  }
  return { first: false, lagMs: -1 };
}

type EditorResult = {
  drafts: Timed[];
  publishes: Timed[];
  corrections: Timed[];
  visible: { first: boolean; lagMs: number }[];
  errors: string[];
};

function runEditor(options: {
  editorUrl: string;
  readUrl: string;
  world: World;
  reads: ReturnType<typeof bodies>;
  stopAt: number;
}): Promise<EditorResult> {
  const { editorUrl, readUrl, world, reads, stopAt } = options;
  const result: EditorResult = { drafts: [], publishes: [], corrections: [], visible: [], errors: [] };
  const timed = async <T>(list: Timed[], fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const value = await fn();
      list.push({ ms: performance.now() - started, ok: true });
      return value;
    } catch (error) {
      list.push({ ms: performance.now() - started, ok: false });
      throw error;
    }
  };
  return (async () => {
    const started = Date.now();
    for (let n = 1; ; n += 1) {
      const due = started + (n - 1) * publishEveryMs;
      if (due >= stopAt) break;
      if (due > Date.now()) await sleep(due - Date.now());
      try {
        const headline = `Storm story ${n} ${Date.now()}`;
        const created = await timed(result.drafts, () =>
          editorCall(
            editorUrl,
            world.key,
            `mutation($input: CreateDraftInput!) { createDraft(input: $input) { ... on MutationCreateDraftSuccess { data { id slug } } ... on Error { message } } }`,
            { input: { headline, section: world.sectionId, byline: [{ author: world.authorId, role: 'AGENCY' }] } },
          ),
        );
        if (!created.data) throw new Error(`createDraft: ${created.message}`);
        const published = await timed(result.publishes, () =>
          editorCall(editorUrl, world.key, `mutation($id: ID!) { publishArticle(id: $id) { __typename ... on Error { message } } }`, {
            id: created.data.id,
          }),
        );
        if (published.__typename !== 'MutationPublishArticleSuccess') throw new Error(`publishArticle: ${published.message}`);
        // The new story heads Latest on the front page at the next read.
        const slug = created.data.slug as string;
        result.visible.push(await visibleAfter(readUrl, reads.front, (text) => text.includes(`"${slug}"`)));
        if (n % correctEvery === 0) {
          // A correction to one of the most read pages (Zipf's head).
          const target = world.slugs[(n / correctEvery) % 20]!;
          const text = `Storm correction ${n} ${Date.now()}`;
          const { id } = await editorCall(editorUrl, world.key, `query($slug: String!) { article(slug: $slug) { id } }`, {
            slug: target,
          });
          await timed(result.corrections, () =>
            editorCall(editorUrl, world.key, `mutation($id: ID!, $text: String!) { addCorrection(id: $id, text: $text) { __typename } }`, {
              id,
              text,
            }),
          );
          result.visible.push(await visibleAfter(readUrl, reads.page(target), (body) => body.includes(text)));
        }
      } catch (error) {
        result.errors.push((error as Error).message.slice(0, 300));
      }
    }
    return result;
  })();
}

// ── One run ─────────────────────────────────────────────────────────────────────────────────────

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
};

async function cacheCounts(url: string): Promise<Record<string, number>> {
  try {
    const text = await (await fetch(url.replace('/graphql', '/metrics'))).text();
    const counts: Record<string, number> = {};
    for (const match of text.matchAll(/^newsroom_http_cache_requests_total\{result="(\w+)"\} (\d+)/gm))
      counts[match[1]!] = Number(match[2]);
    // What the cache holds (gauges, read at the end: how big the working set is).
    for (const match of text.matchAll(/^newsroom_http_cache_(entries|bytes) (\d+)/gm)) counts[`held_${match[1]}`] = Number(match[2]);
    return counts;
  } catch {
    return {};
  }
}

function backendCpu(pids: number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, readCpuSeconds(pid) ?? 0]));
}

async function runOne(setup: Setup, server: Server) {
  log(`── ${server}, ${SETUP_TITLE[setup]}: copying the database`);
  await copyDatabase();
  if (values['sql-log']) await admin((c) => c.query(`ALTER DATABASE ${STORM_DB} SET log_statement = 'all'`));
  const world = await prepareWorld();
  const env = { DATABASE_URL: stormUrl, REDIS_URL: 'redis://127.0.0.1:6379', ...extraEnv };
  const started: RunningServer[] = [];
  try {
    const busy = await machineBusyPercent(1000);
    const underTest = await startServer(server, {
      env: { ...env, PGAPPNAME: 'under test' },
      pin,
      ...(values.profile ? { cpuProfileDir: path.join(benchDir, '.profile', `${server}-${setup}`) } : {}),
    });
    started.push(underTest);
    const editorServer =
      setup === 'second' || (setup === 'same' && server === 'postgraphile')
        ? await startServer('gateway', { env: { ...env, PGAPPNAME: 'editor gateway' }, pin: false })
        : null;
    if (editorServer) started.push(editorServer);
    const editorUrl = setup === 'none' ? null : setup === 'same' ? underTest.url : editorServer!.url;

    const reads = bodies(documentsFor(server), world);
    const next = mulberry32(14); // seeded: every run reads the same sequence
    const rank = zipf(world.slugs.length, next);
    const pick = () => {
      const x = next();
      if (x < MIX.page) return reads.page(world.slugs[rank()]!);
      if (x < MIX.page + MIX.section) return reads.section(world.sections[Math.floor(next() * world.sections.length)]!);
      return reads.front;
    };
    // Every kind of read once: no errors.
    for (const body of [reads.page(world.slugs[0]!), reads.section(world.sections[0]!), reads.front]) {
      const text = await (await fetch(underTest.url, { method: 'POST', headers: READ_HEADERS, body })).text();
      if (!text.startsWith('{"data"') || text.includes('"errors"')) throw new Error(`${server}: ${text.slice(0, 500)}`);
    }
    let graphqlErrors = 0;
    let firstError: string | undefined;
    const load = (seconds: number) =>
      autocannon({
        url: new URL(underTest.url).origin,
        connections,
        duration: seconds,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/graphql',
            headers: READ_HEADERS,
            setupRequest: (request: Record<string, unknown>) => ({ ...request, body: pick() }),
            onResponse: (status: number, body: string) => {
              if (status >= 200 && status < 300 && !body.includes('"errors":[')) return;
              graphqlErrors += 1;
              firstError ??= `HTTP ${status}: ${body.slice(0, 500)}`;
            },
          } as never,
        ],
      });
    if (server === 'gateway' && !values['no-prime']) {
      // Steady state: every page read once (a live site's cache holds its working set), 50 at a time.
      const all = [...world.slugs.map(reads.page), ...world.sections.map(reads.section), reads.front];
      const primed = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (next < all.length) {
            const body = all[next++]!;
            await (await fetch(underTest.url, { method: 'POST', headers: READ_HEADERS, body })).arrayBuffer();
          }
        }),
      );
      log(`primed ${all.length} reads in ${((Date.now() - primed) / 1000).toFixed(1)} s`);
    }
    log(`warm-up ${warmupS} s`);
    await load(warmupS);
    await underTest.waitIdle(30_000);
    graphqlErrors = 0;
    firstError = undefined;

    const cacheBefore = server === 'gateway' ? await cacheCounts(underTest.url) : {};
    const gcBefore = await readGcCounters(underTest.url);
    const dbBefore = await databaseCounters();
    const pgBefore = backendCpu(dbBefore.backends);
    const cpuBefore = underTest.cpuSeconds() ?? 0;
    const logBefore = values['sql-log'] ? logSize() : 0;
    // Which process each backend serves (pools open and close connections during the run).
    const appOf = new Map<number, string>();
    const noteApps = async () => {
      const apps = await admin((c) =>
        c.query<{ pid: number; app: string }>(`SELECT pid, application_name AS app FROM pg_stat_activity WHERE datname = $1`, [STORM_DB]),
      );
      for (const r of apps.rows) appOf.set(r.pid, r.app || 'other');
    };
    const appTimer = values['sql-log'] ? setInterval(() => void noteApps().catch(() => {}), 2000) : undefined;
    const t0 = Date.now();
    log(`storm ${durationS} s${editorUrl ? `, editor on ${setup === 'same' ? 'the gateway under test' : 'a second gateway'}` : ''}`);
    const editor = editorUrl
      ? runEditor({ editorUrl, readUrl: underTest.url, world, reads, stopAt: t0 + durationS * 1000 - 1000 })
      : Promise.resolve(null);
    const result = await load(durationS);
    const cpu = (underTest.cpuSeconds() ?? 0) - cpuBefore;
    const dbAfter = await databaseCounters();
    let pgCpu = 0;
    for (const pid of dbAfter.backends) pgCpu += (readCpuSeconds(pid) ?? 0) - (pgBefore.get(pid) ?? 0);
    const cacheAfter = server === 'gateway' ? await cacheCounts(underTest.url) : {};
    const gcAfter = await readGcCounters(underTest.url);
    const edits = await editor;
    let sqlLog: { source: string; transactions: number; perSecond: number }[] | null = null;
    if (values['sql-log']) {
      clearInterval(appTimer);
      await noteApps();
      sqlLog = transactionsBySource(readLogFrom(logBefore), appOf).map((s) => ({
        ...s,
        perSecond: Math.round((s.transactions * 100) / result.duration) / 100,
      }));
      const logged = sqlLog.reduce((sum, s) => sum + s.transactions, 0);
      log(`SQL log: ${logged} transactions logged (pg_stat_database: ${dbAfter.xacts - dbBefore.xacts}); the top sources:`);
      for (const s of sqlLog.slice(0, 30)) {
        const id = createHash('sha1').update(s.source).digest('hex').slice(0, 6);
        log(`  ${String(s.transactions).padStart(6)}  ${s.perSecond}/s  [${id}] ${s.source.slice(0, 150)}`);
      }
    }
    const served = Object.fromEntries(
      Object.entries(cacheAfter)
        .filter(([k]) => !k.startsWith('held_'))
        .map(([k, v]) => [k, v - (cacheBefore[k] ?? 0)]),
    );
    const fromCache = (served.hit ?? 0) + (served.stale ?? 0) + (served.coalesced ?? 0);
    const requests = result.requests.total;
    const xacts = dbAfter.xacts - dbBefore.xacts;
    const okMs = (list: Timed[]) => list.filter((t) => t.ok).map((t) => t.ms);
    const row = {
      setup,
      server,
      rps: Math.round(result.requests.total / result.duration),
      requests,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      errors: result.non2xx + result.errors + result.timeouts + graphqlErrors,
      firstError,
      serverCpuMsPerReq: requests ? Math.round((cpu * 1e5) / requests) / 100 : null,
      pgCpuMsPerReq: requests ? Math.round((pgCpu * 1e5) / requests) / 100 : null,
      sqlPer100Reads: requests ? Math.round((xacts * 1e4) / requests) / 100 : null,
      fromCachePercent: server === 'gateway' && requests ? Math.round((100 * fromCache) / requests) : null,
      cache: served,
      gcPauses: gcPausesBetween(gcBefore, gcAfter),
      cacheHeld: server === 'gateway' ? { entries: cacheAfter.held_entries, mb: Math.round((cacheAfter.held_bytes ?? 0) / 2 ** 20) } : null,
      editor: edits && {
        published: edits.publishes.filter((t) => t.ok).length,
        publishes: edits.publishes.length,
        publishP50: percentile(okMs(edits.publishes), 50),
        publishP99: percentile(okMs(edits.publishes), 99),
        publishMax: percentile(okMs(edits.publishes), 100),
        draftP99: percentile(okMs(edits.drafts), 99),
        corrections: edits.corrections.filter((t) => t.ok).length,
        correctionP99: percentile(okMs(edits.corrections), 99),
        visibleOnNextRead: edits.visible.filter((v) => v.first).length,
        changes: edits.visible.length,
        visibleLagP99: percentile(
          edits.visible.filter((v) => v.lagMs >= 0).map((v) => v.lagMs),
          99,
        ),
        neverVisible: edits.visible.filter((v) => v.lagMs < 0).length,
        errors: edits.errors.length,
        firstError: edits.errors[0],
      },
      machineBusyBefore: busy,
      peakRssMb: underTest.peakRssMb(),
      ...(sqlLog && { sqlLog }),
    };
    log(JSON.stringify(row));
    return row;
  } finally {
    for (const s of started.reverse()) await s.stop();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${STORM_DB} WITH (FORCE)`));
  }
}

async function main() {
  installCleanupHandlers();
  const bench = benchDatabase('postgres', 100_000);
  await prepareDatabase(bench, { articles: 100_000, reseed: false, reuseStale: true });
  if (servers.includes('postgraphile')) ensurePostgraphileInstalled();
  const rows = [];
  for (const setup of setups) {
    for (const server of servers) {
      if (server === 'postgraphile' && setup === 'same') continue; // PostGraphile has no publish: its editor is always beside it
      rows.push(await runOne(setup, server));
    }
  }
  const date = new Date().toISOString();
  const file = path.join(benchDir, 'results', `${date.slice(0, 10)}-storm${values.label ? `-${values.label}` : ''}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ date, node: process.version, durationS, warmupS, connections, pages: pageCount, mix: MIX, publishEveryMs, correctEvery, env: extraEnv, rows }, null, 2)}\n`,
  );
  log(`results: ${path.relative(process.cwd(), file)}`);
  console.log(
    '| set-up | server | req/s | p50 ms | p99 ms | errors | from cache | SQL/100 reads | server CPU ms/req | PG CPU ms/req | publish p50/p99 ms | published | visible on next read |',
  );
  console.log('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    const e = r.editor;
    console.log(
      `| ${SETUP_TITLE[r.setup]} | ${r.server} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.fromCachePercent ?? '–'}% | ${r.sqlPer100Reads} | ${r.serverCpuMsPerReq} | ${r.pgCpuMsPerReq} | ${e ? `${e.publishP50}/${e.publishP99}` : '–'} | ${e ? `${e.published}/${e.publishes}` : '–'} | ${e ? `${e.visibleOnNextRead}/${e.changes}` : '–'} |`,
    );
  }
  if (rows.some((r) => r.errors > 0)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
