// `npm run bench:explain`: the hot SQL of the bench shapes, EXPLAIN (ANALYZE, BUFFERS)-ed on the
// 100k-article PostgreSQL database.
//
// Each shape runs in-process through createGateway on a PrismaClient of our own (the generated
// client with @prisma/adapter-pg, logging query events, which carry the SQL and its parameters).
// The statements of a warm request are captured and each is EXPLAIN-ed with its parameters on a
// plain pg connection. For every statement the report says which indexes the plan uses and
// whether it scans a large table sequentially.
//
// Options: --articles N (default 100000), --shapes a,b, --json (print the plans as JSON too).
// Writes bench/results/<date>-explain.md (summary table, every statement with its parameters and
// its plan) and bench/results/<date>-explain.json (the findings, without the plans).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { benchDir, installCleanupHandlers, log, repoRoot } from './lib/common.js';
import { benchDatabase, pickData, prepareDatabase } from './lib/data.js';
import { loadShape, SHAPE_NAMES, type ShapeName } from './lib/shapes.js';

installCleanupHandlers();
process.env.NODE_ENV = 'production';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    articles: { type: 'string', default: '100000' },
    shapes: { type: 'string' },
    'reuse-stale': { type: 'boolean', default: false },
  },
});
const articles = Number(values.articles);
const shapeNames = (values.shapes?.split(',') ?? [...SHAPE_NAMES]) as ShapeName[];
for (const name of shapeNames) if (!SHAPE_NAMES.includes(name)) throw new Error(`unknown shape ${name}`);

/** Statements of the gateway's background work (the story-event outbox relay), not of requests. */
const BACKGROUND = /FROM "public"."StoryEvent"/;

/** Tables that grow with the archive: a sequential scan of one of these is a finding. */
const LARGE_TABLES = ['Article', 'ArticleTag', 'ArticleAuthor', 'ArticleRead', 'PopularArticle', 'EditionPlacement', 'Media', 'Correction'];

type PlanNode = {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Alias?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
};
type Explained = { Plan: PlanNode; 'Planning Time': number; 'Execution Time': number };

type Finding = {
  shape: string;
  index: number;
  what: string;
  sql: string;
  params: unknown[];
  executionMs: number;
  planningMs: number;
  sharedHit: number;
  sharedRead: number;
  indexes: string[];
  seqScans: { table: string; rows: number; loops: number; removedByFilter: number; large: boolean; tableRows: number }[];
  nodeTypes: string[];
  plan: Explained;
  planText: string;
};

function walk(node: PlanNode, visit: (n: PlanNode) => void) {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

/** Positions where `word` occurs outside any parentheses. */
function topLevelIndexes(sql: string, word: string): number[] {
  const out: number[] = [];
  let depth = 0;
  for (let i = 0; i < sql.length; i += 1) {
    const ch = sql[i];
    if (ch === '(') depth += 1;
    else if (ch === ')') depth -= 1;
    else if (depth === 0 && sql.startsWith(word, i)) out.push(i);
  }
  return out;
}

/** A short human name for a statement: its root table, root filter columns, order and joined relations. */
function describe(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  if (/ts_rank_cd/.test(s)) return 'search: ranked hits with ts_headline';
  if (/websearch_to_tsquery/.test(s) && /count\(\*\)/i.test(s)) return 'search: totalCount';
  if (/^SELECT COUNT\(\*\)/i.test(s)) return `count: ${/FROM \(SELECT .*? FROM "public"."(\w+)"/.exec(s)?.[1] ?? '?'} totalCount`;
  const from = /FROM "public"."(\w+)"/.exec(s.slice(topLevelIndexes(s, ' FROM ')[0] ?? 0))?.[1] ?? '?';
  const whereAt = topLevelIndexes(s, ' WHERE ').at(-1);
  const where =
    whereAt === undefined
      ? ''
      : s.slice(
          whereAt,
          topLevelIndexes(s, ' ORDER BY ').find((i) => i > whereAt) ?? topLevelIndexes(s, ' LIMIT ').find((i) => i > whereAt) ?? s.length,
        );
  const orderAt = topLevelIndexes(s, ' ORDER BY ').at(-1);
  const order = orderAt === undefined ? undefined : /"t0"."(\w+)"/.exec(s.slice(orderAt))?.[1];
  const keys = [...new Set([...where.matchAll(/"t0"."(\w+)"/g)].map((m) => m[1]))];
  const joins = [...new Set([...s.matchAll(/\) AS "[A-Za-z]+_(\w+)" ON true/g)].map((m) => m[1]))];
  return `${from}${keys.length ? ` by ${keys.join(', ')}` : ''}${order ? ` order by ${order}` : ''}${joins.length ? ` + joined ${joins.join(', ')}` : ''}`;
}

async function main() {
  const database = benchDatabase('postgres', articles);
  await prepareDatabase(database, { articles, reseed: false, reuseStale: values['reuse-stale'] ?? false });
  const url = database.env.DATABASE_URL;

  const { PrismaClient } = await import('../src/generated/prisma/client.js');
  const { loadConfig } = await import('../src/config.js');
  const { createGateway } = await import('../src/server/gateway.js');
  const { createLogger } = await import('../src/logger.js');

  // Our own client: same generated client and adapter as src/db/client.ts, plus query events with params.
  const adapterFactory = new PrismaPg({ connectionString: url, max: 10 });
  const prisma = new PrismaClient({ adapter: adapterFactory, log: [{ emit: 'event', level: 'query' }] });
  let captured: { query: string; params: string }[] | null = null;
  prisma.$on('query' as never, (event: { query: string; params: string }) => captured?.push({ query: event.query, params: event.params }));
  const db = {
    prisma,
    readers: prisma,
    pools: [],
    kind: 'postgres' as const,
    adapterFactory: adapterFactory as unknown as SqlMigrationAwareDriverAdapterFactory,
    close: () => prisma.$disconnect(),
  };
  // Uncached (every request goes to the database), no rate limit, and the outbox relay polling
  // rarely so its statements do not mix with the shape's (they are dropped below anyway).
  const config = loadConfig({
    DATABASE_URL: url,
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    GRAPHIQL: 'false',
    RESPONSE_CACHE: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
    OUTBOX_POLL_MS: '60000',
  });
  const { yoga, live } = createGateway({ config, db, logger: createLogger('silent') });
  // As src/server/start.ts does: the story-event hub runs (the section tree follows it, so a warm
  // section front does not read the Section table).
  await live.ready();

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const tableRows = new Map<string, number>(
    (
      await client.query<{ relname: string; n: string }>(
        `SELECT relname, reltuples::bigint AS n FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`,
      )
    ).rows.map((r) => [r.relname, Number(r.n)]),
  );

  const findings: Finding[] = [];
  try {
    const picked = await pickData((sql, ...params) => prisma.$queryRawUnsafe(sql, ...params));
    for (const name of shapeNames) {
      const shape = loadShape(name, picked);
      const send = async () => {
        const response = await yoga.fetch('http://bench.local/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: shape.bodies[0],
        });
        const text = await response.text();
        if (response.status !== 200 || text.includes('"errors":[')) throw new Error(`${name}: ${text.slice(0, 1000)}`);
      };
      await send(); // warm
      captured = [];
      await send();
      const statements = (captured as { query: string; params: string }[]).filter((st) => !BACKGROUND.test(st.query));
      captured = null;
      log(`${name}: ${statements.length} statements`);
      for (const [i, statement] of statements.entries()) {
        if (!/^\s*(SELECT|WITH)\b/i.test(statement.query)) continue; // read-only statements only
        const params = JSON.parse(statement.params) as unknown[];
        const json = await client.query<{ 'QUERY PLAN': Explained[] }>(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.query}`,
          params,
        );
        const text = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.query}`, params);
        const plan = json.rows[0]['QUERY PLAN'][0];
        const indexes = new Set<string>();
        const nodeTypes = new Set<string>();
        const seqScans: Finding['seqScans'] = [];
        walk(plan.Plan, (node) => {
          nodeTypes.add(node['Node Type']);
          if (node['Index Name']) indexes.add(`${node['Index Name']} (${node['Node Type']})`);
          if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) {
            seqScans.push({
              table: node['Relation Name'],
              rows: node['Actual Rows'] ?? 0,
              loops: node['Actual Loops'] ?? 1,
              removedByFilter: node['Rows Removed by Filter'] ?? 0,
              large: LARGE_TABLES.includes(node['Relation Name']),
              tableRows: tableRows.get(node['Relation Name']) ?? Number.NaN,
            });
          }
        });
        findings.push({
          shape: name,
          index: i + 1,
          what: describe(statement.query),
          sql: statement.query,
          params,
          executionMs: plan['Execution Time'],
          planningMs: plan['Planning Time'],
          sharedHit: plan.Plan['Shared Hit Blocks'] ?? 0,
          sharedRead: plan.Plan['Shared Read Blocks'] ?? 0,
          indexes: [...indexes],
          seqScans,
          nodeTypes: [...nodeTypes],
          plan,
          planText: text.rows.map((r) => r['QUERY PLAN']).join('\n'),
        });
      }
    }
  } finally {
    await client.end();
    await prisma.$disconnect();
  }

  // Report.
  const lines: string[] = [];
  lines.push(
    `EXPLAIN (ANALYZE, BUFFERS) of the bench shapes' SQL on ${database.label} (${articles.toLocaleString('en-US')} articles), ${new Date().toISOString()}`,
  );
  lines.push('');
  lines.push('| shape | # | statement | exec ms | indexes used | seq scans |');
  lines.push('|---|--:|---|--:|---|---|');
  for (const f of findings) {
    const seq = f.seqScans.length
      ? f.seqScans
          .map(
            (s) =>
              `${s.large ? '**' : ''}${s.table}${s.large ? '**' : ''} (${s.tableRows.toLocaleString('en-US')} rows in table${s.loops > 1 ? `, ${s.loops} loops` : ''})`,
          )
          .join(', ')
      : 'none';
    lines.push(`| ${f.shape} | ${f.index} | ${f.what} | ${f.executionMs.toFixed(2)} | ${f.indexes.join(', ') || '–'} | ${seq} |`);
  }
  const bad = findings.filter((f) => f.seqScans.some((s) => s.large));
  lines.push('');
  lines.push(
    bad.length
      ? `Sequential scans on large tables: ${bad
          .map(
            (f) =>
              `${f.shape} #${f.index} (${f.what}: ${f.seqScans
                .filter((s) => s.large)
                .map((s) => s.table)
                .join(', ')})`,
          )
          .join('; ')}`
      : `No sequential scan on a large table (${LARGE_TABLES.join(', ')}) in any statement.`,
  );
  const report = lines.join('\n');
  console.log(`\n${report}`);

  const day = new Date().toISOString().slice(0, 10);
  const dir = path.join(benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${day}-explain.json`),
    `${JSON.stringify({ database: database.label, articles, findings: findings.map(({ plan, planText, ...rest }) => ({ ...rest, planningMs: plan['Planning Time'] })) }, null, 2)}\n`,
  );
  const planTexts = findings.map(
    (f) =>
      `### ${f.shape} #${f.index}: ${f.what}\n\n\`\`\`sql\n${f.sql.trim()}\n-- params: ${JSON.stringify(f.params)}\n\`\`\`\n\n\`\`\`\n${f.planText}\n\`\`\``,
  );
  writeFileSync(path.join(dir, `${day}-explain.md`), `${report}\n\n## Plans\n\n${planTexts.join('\n\n')}\n`);
  log(`wrote ${path.relative(repoRoot, path.join(dir, `${day}-explain.md`))} and .json`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
