// SQL statements per request, measured in-process: the same database opened with
// openDatabase(…, { onStatement }), the gateway built with createGateway (or the baseline yoga),
// each variable set sent through yoga.fetch once to warm up, then again while counting.
// PostGraphile runs out of process: a server of its own (unpinned, BENCH_STATEMENTS=1) records the
// statements its pool sends, read before and after each request over HTTP (its "alone" time
// includes the loopback HTTP round trip).
// The variables are also checked here: every response must come back without `errors`.
import type { Config } from '../../src/config.js';
import { log } from './common.js';
import { MODES, type ModeName } from './modes.js';
import { comparableAnswer, differences } from './postgraphile.js';
import { startServer, type RunningServer } from './server.js';
import { requestInit, requestsFor, type BenchRequest, type Shape } from './shapes.js';

/** Statements of the gateway's background work (the story-event outbox relay). */
const BACKGROUND = /FROM "public"."StoryEvent"/;

export type StatementCount = {
  shape: string;
  mode: ModeName;
  /** Statements of a repeated request (max over the variable sets). */
  statements: number;
  /** Range over the variable sets, when they differ. */
  statementsMin: number;
  /** Statements of the very first request of the shape (cold: caches, connections). */
  statementsCold: number;
  /** Wall time of one repeated request alone, in-process (no HTTP, no other load), ms, mean over the variable sets. */
  soloMs: number;
  /** The statements of the first variable set's repeated request. */
  sample: string[];
  responseBytes: number;
};

/** One request; `statements` and `ms` when the server reports its own (PostGraphile). */
type Fetcher = (request: BenchRequest) => Promise<{ status: number; text: string; statements?: string[]; ms?: number }>;

export async function countStatements(options: {
  database: Config['database'];
  dbEnv: Record<string, string>;
  extraEnv: Record<string, string>;
  modes: ModeName[];
  /** Builds the shapes; runs first, with a raw query function on the same database. */
  makeShapes: (query: <T>(sql: string, ...params: unknown[]) => Promise<T[]>) => Promise<Shape[]>;
}): Promise<{ shapes: Shape[]; counts: StatementCount[] }> {
  // Imported here so NODE_ENV=production is set before the schema modules load.
  const { loadConfig } = await import('../../src/config.js');
  const { openDatabase } = await import('../../src/db/client.js');
  const { createGateway } = await import('../../src/server/gateway.js');
  const { createLogger } = await import('../../src/logger.js');
  const { createBaselineYoga } = await import('../baseline/schema.js');

  let recording: string[] | null = null;
  // The gateway's background work (the story-event outbox relay polls "StoryEvent") is not part
  // of a request: its statements are not counted.
  const db = await openDatabase(options.database, { onStatement: (sql) => void (BACKGROUND.test(sql) || recording?.push(sql)) });
  const servers: RunningServer[] = [];
  try {
    const shapes = await options.makeShapes((sql, ...params) => db.prisma.$queryRawUnsafe(sql, ...params));
    const logger = createLogger('silent');
    const fetchers = new Map<ModeName, Fetcher>();
    for (const mode of options.modes) {
      const definition = MODES[mode];
      if (definition.server === 'postgraphile') {
        if (options.database.kind !== 'postgres') {
          log(`${mode}: skipped on ${options.database.kind} (PostGraphile needs a PostgreSQL server)`);
          continue;
        }
        const server = await startServer('postgraphile', {
          env: { ...options.dbEnv, ...definition.env, ...options.extraEnv, BENCH_STATEMENTS: '1' },
          pin: false,
        });
        servers.push(server);
        const statementsUrl = new URL('/bench/statements', server.url).href;
        const recorded = async () => (await (await fetch(statementsUrl)).json()) as { count: number; statements: { text: string }[] };
        fetchers.set(mode, async (request) => {
          const before = (await recorded()).count;
          const started = performance.now();
          const { path, init } = requestInit(request);
          const response = await fetch(new URL(path, server.url), init);
          const text = await response.text();
          const ms = performance.now() - started;
          const after = await recorded();
          const sent = after.count - before;
          return { status: response.status, text, ms, statements: sent > 0 ? after.statements.slice(-sent).map((s) => s.text) : [] };
        });
        continue;
      }
      let yoga: { fetch: (url: string, init: RequestInit) => Promise<Response> | Response };
      if (definition.server === 'gateway') {
        const config = loadConfig({
          ...options.dbEnv,
          NODE_ENV: 'production',
          LOG_LEVEL: 'silent',
          GRAPHIQL: 'false',
          RATE_LIMIT_PER_MINUTE: '0',
          OUTBOX_POLL_MS: '60000',
          ...definition.env,
          ...options.extraEnv,
        });
        const gateway = createGateway({ config, db, logger });
        // As src/server/start.ts does: the story-event hub runs (the section tree follows it).
        await gateway.live.ready();
        yoga = gateway.yoga;
      } else {
        yoga = createBaselineYoga(db.prisma);
      }
      fetchers.set(mode, async (request) => {
        const { path, init } = requestInit(request);
        const response = await yoga.fetch(`http://bench.local${path}`, init);
        return { status: response.status, text: await response.text() };
      });
    }

    const out: StatementCount[] = [];
    for (const shape of shapes) {
      // Every mode must answer the same data, or comparing them measures different work.
      const answers = new Map<ModeName, unknown>();
      for (const mode of options.modes) {
        const send = fetchers.get(mode);
        const requests = requestsFor(shape, MODES[mode]);
        if (!send) continue;
        if (!requests) {
          log(`${shape.name} / ${mode}: skipped, no document for it in bench/postgraphile`);
          continue;
        }
        const counts: number[] = [];
        const durations: number[] = [];
        let sample: string[] = [];
        let statementsCold = 0;
        let responseBytes = 0;
        for (const [i, request] of requests.entries()) {
          recording = [];
          const first = await send(request);
          if (i === 0) statementsCold = (first.statements ?? recording).length;
          check(shape, mode, i, first);
          recording = [];
          const started = performance.now();
          const again = await send(request);
          durations.push(again.ms ?? performance.now() - started);
          check(shape, mode, i, again);
          const statements = again.statements ?? recording;
          counts.push(statements.length);
          if (i === 0) {
            sample = statements;
            responseBytes = Buffer.byteLength(again.text);
            answers.set(mode, (JSON.parse(again.text) as { data: unknown }).data);
          }
          recording = null;
        }
        const statements = Math.max(...counts);
        const soloMs = durations.reduce((a, b) => a + b, 0) / durations.length;
        out.push({
          shape: shape.name,
          mode,
          statements,
          statementsMin: Math.min(...counts),
          statementsCold,
          soloMs: Math.round(soloMs * 10) / 10,
          sample,
          responseBytes,
        });
        const [referenceMode] = answers.keys();
        if (mode !== referenceMode) {
          // PostGraphile's ids, date-times and cursors are its own: compared in a shared form.
          const ownForm = MODES[mode].server === 'postgraphile' || MODES[referenceMode].server === 'postgraphile';
          const [reference, answer] = [answers.get(referenceMode), answers.get(mode)].map((a) => (ownForm ? comparableAnswer(a) : a));
          const differing = differences(reference, answer);
          if (differing.length) {
            log(
              `WARNING: ${shape.name} answers differently in ${mode} than in ${referenceMode}: the comparison is not like for like; ${differing.join('; ')}`,
            );
          } else if (ownForm) log(`${shape.name} / ${mode}: the same data as ${referenceMode} for ${JSON.stringify(shape.variables[0])}`);
        }
        log(
          `${shape.name} / ${mode}: ${statements} SQL statements per request${Math.min(...counts) !== statements ? ` (${Math.min(...counts)}–${statements} over ${counts.length} variable sets)` : ''}, ${soloMs.toFixed(1)} ms alone, ${(responseBytes / 1024).toFixed(1)} KiB response`,
        );
      }
    }
    return { shapes, counts: out };
  } finally {
    recording = null;
    for (const server of servers) await server.stop();
    await db.close();
  }
}

function check(shape: Shape, mode: ModeName, index: number, response: { status: number; text: string }) {
  let errors: unknown;
  let data: unknown;
  try {
    ({ errors, data } = JSON.parse(response.text) as { errors?: unknown; data?: unknown });
  } catch {
    errors = 'response is not JSON';
  }
  if (response.status !== 200 || errors || data == null) {
    throw new Error(
      `${shape.name} / ${mode} with variables ${JSON.stringify(shape.variables[index])} answered HTTP ${response.status}: ${response.text.slice(0, 1500)}`,
    );
  }
  assertContent(shape, mode, index, data as Record<string, any>);
}

/** The chosen variables must find real content, or the shape measures empty answers. */
function assertContent(shape: Shape, mode: ModeName, index: number, data: Record<string, any>) {
  const empty = (what: string) => {
    throw new Error(
      `${shape.name} / ${mode} with variables ${JSON.stringify(shape.variables[index])}: ${what} is empty; the bench data does not fit the shape`,
    );
  };
  switch (shape.name) {
    case 'article-page':
      if (!data.article) empty('article');
      if (!data.edition) empty('edition');
      if (!data.latest?.edges?.length) empty('latest');
      if (!data.mostPopular?.length) empty('mostPopular');
      break;
    case 'article-by-slug':
      if (!data.article) empty('article');
      break;
    case 'section-front':
      if (!data.section?.articles?.edges?.length) empty('section.articles');
      break;
    case 'edition-front':
      if (!data.edition?.placements?.length) empty('edition.placements');
      break;
    case 'search':
      if (!data.search?.edges?.length) empty('search');
      break;
  }
}
