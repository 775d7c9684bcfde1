// SQL statements per request, measured in-process: the same database opened with
// openDatabase(…, { onStatement }), the gateway built with createGateway (or the baseline yoga),
// each variable set sent through yoga.fetch once to warm up, then again while counting.
// The variables are also checked here: every response must come back without `errors`.
import type { Config } from '../../src/config.js';
import { log } from './common.js';
import { MODES, type ModeName } from './modes.js';
import type { Shape } from './shapes.js';

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

type Fetcher = (body: string) => Promise<{ status: number; text: string }>;

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
  try {
    const shapes = await options.makeShapes((sql, ...params) => db.prisma.$queryRawUnsafe(sql, ...params));
    const logger = createLogger('silent');
    const fetchers = new Map<ModeName, Fetcher>();
    for (const mode of options.modes) {
      const definition = MODES[mode];
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
        yoga = createGateway({ config, db, logger }).yoga;
      } else {
        yoga = createBaselineYoga(db.prisma);
      }
      fetchers.set(mode, async (body) => {
        const response = await yoga.fetch('http://bench.local/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
          body,
        });
        return { status: response.status, text: await response.text() };
      });
    }

    const out: StatementCount[] = [];
    for (const shape of shapes) {
      // Every mode must answer the same data, or comparing them measures different work.
      const answers = new Map<ModeName, string>();
      for (const mode of options.modes) {
        const send = fetchers.get(mode)!;
        const counts: number[] = [];
        const durations: number[] = [];
        let sample: string[] = [];
        let statementsCold = 0;
        let responseBytes = 0;
        for (const [i, body] of shape.bodies.entries()) {
          recording = [];
          const first = await send(body);
          if (i === 0) statementsCold = recording.length;
          check(shape, mode, i, first);
          recording = [];
          const started = performance.now();
          const again = await send(body);
          durations.push(performance.now() - started);
          check(shape, mode, i, again);
          counts.push(recording.length);
          if (i === 0) {
            sample = recording;
            responseBytes = Buffer.byteLength(again.text);
            answers.set(mode, JSON.stringify((JSON.parse(again.text) as { data: unknown }).data));
          }
          recording = null;
        }
        const statements = Math.max(...counts);
        const soloMs = durations.reduce((a, b) => a + b, 0) / durations.length;
        out.push({ shape: shape.name, mode, statements, statementsMin: Math.min(...counts), statementsCold, soloMs: Math.round(soloMs * 10) / 10, sample, responseBytes });
        const reference = answers.get(options.modes[0]);
        if (mode !== options.modes[0] && reference !== answers.get(mode)) {
          log(`WARNING: ${shape.name} answers differently in ${mode} than in ${options.modes[0]}: the comparison is not like for like`);
        }
        log(`${shape.name} / ${mode}: ${statements} SQL statements per request${Math.min(...counts) !== statements ? ` (${Math.min(...counts)}–${statements} over ${counts.length} variable sets)` : ''}, ${soloMs.toFixed(1)} ms alone, ${(responseBytes / 1024).toFixed(1)} KiB response`);
      }
    }
    return { shapes, counts: out };
  } finally {
    recording = null;
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
    throw new Error(`${shape.name} / ${mode} with variables ${JSON.stringify(shape.variables[index])}: ${what} is empty; the bench data does not fit the shape`);
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
