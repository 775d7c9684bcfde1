// Test set-up on real databases: an in-memory PGlite, or a fresh database on the PostgreSQL
// server of TEST_DATABASE_URL (dropped afterwards). Every SQL statement Prisma sends is recorded.
// Each one is a copy of a template migrated (and seeded) once per run by test/global-setup.ts.
import { type ChildProcess, execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import { expect, inject } from 'vitest';
import WebSocket from 'ws';
import { loadConfig, type Config } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { createGateway, type Gateway } from '../src/server/gateway.js';
import { adminQuery, databaseUrlFor } from './global-setup.js';

export const onPostgres = process.env.TEST_DB === 'postgres';

export type TestDatabase = Database & { statements: string[]; dispose(): Promise<void> };

function templates() {
  const provided = inject('templates');
  const kind = onPostgres ? provided?.postgres : provided?.pglite;
  if (!kind) throw new Error('No template database: run the tests with `npm test` (vitest --config test/vitest.config.ts).');
  return kind;
}

/**
 * A tarball PGlite loads without a copy: PGlite reads a `loadDataDir` Blob with `arrayBuffer()`,
 * and Node's Blob copies it in chunks into fresh memory, 0.3–0.7 s of CPU per 40 MB on this VM
 * (the page faults). PGlite only reads the bytes (it copies each file into its own file system),
 * so every database of a worker can start from the same buffer.
 */
class TarballBlob extends Blob {
  readonly #bytes: Buffer;
  constructor(bytes: Buffer) {
    super([], { type: 'application/x-tar' });
    this.#bytes = bytes;
  }
  override async arrayBuffer(): Promise<ArrayBuffer> {
    const { buffer, byteOffset, byteLength } = this.#bytes;
    return byteOffset === 0 && byteLength === buffer.byteLength
      ? (buffer as ArrayBuffer)
      : (buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer);
  }
}

const tarballs = new Map<string, Promise<Blob>>();
/** A PGlite template's tarball, read once per worker. */
function tarball(file: string): Promise<Blob> {
  let blob = tarballs.get(file);
  if (!blob) tarballs.set(file, (blob = readFile(file).then((bytes) => new TarballBlob(bytes))));
  return blob;
}

/** The test run's PGlite shared buffers (test/vitest.config.ts sets them for every worker and child process). */
const sharedBuffers = process.env.PGLITE_SHARED_BUFFERS;

/** A migrated database for one test file: empty, or holding the demo newsroom with `demo`. */
export async function createTestDatabase(options: { demo?: boolean } = {}): Promise<TestDatabase> {
  const statements: string[] = [];
  const onStatement = (sql: string) => statements.push(sql);
  const template = templates();
  const source = options.demo ? template.demo : template.empty;
  if (!onPostgres) {
    const db = await openDatabase(
      { kind: 'pglite', dataDir: 'memory://', sharedBuffers },
      { onStatement, loadDataDir: await tarball(source) },
    );
    return Object.assign(db, { statements, dispose: () => db.close() });
  }
  const serverUrl = process.env.TEST_DATABASE_URL!;
  const name = `newsroom_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name} TEMPLATE ${source}`);
  const db = await openDatabase({ kind: 'postgres', url: databaseUrlFor(serverUrl, name), poolSize: 5 }, { onStatement });
  return Object.assign(db, {
    statements,
    async dispose() {
      await db.close();
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  });
}

/**
 * A new PGlite data directory holding a cluster just after initdb, before migrations: for tests
 * of a first start (migrations, the demo, the first key) without paying initdb's 6 s of CPU each.
 */
export function pristineDataDir(parent = tmpdir()): Promise<string> {
  return templateDataDir('pristine', parent);
}

/**
 * A new PGlite data directory holding the migrated, empty database: for process tests about
 * something else than a first start (the data directory's lock, shutdown), without the schema
 * engine's 3 s of CPU in the child.
 */
export function migratedDataDir(parent = tmpdir()): Promise<string> {
  return templateDataDir('empty', parent);
}

async function templateDataDir(kind: 'pristine' | 'empty', parent: string): Promise<string> {
  const dir = await mkdtemp(path.join(parent, 'newsroom-data-'));
  // A plain tar of the data directory, its members relative to it (PGlite's dumpDataDir).
  await promisify(execFile)('tar', ['-xf', inject('templates').pglite[kind], '-C', dir]);
  return dir;
}

/**
 * `node` arguments that run a command of the production build (test/global-setup.ts): `main` is
 * `node dist/main.js` (`npm start`), a script is its compiled file, e.g. `scripts/apikey.ts`.
 * `--liftoff-only`, as in the test workers (test/vitest.config.ts): V8 does not optimise PGlite's
 * WebAssembly in these short-lived processes, so opening an embedded database costs 1.5 s of CPU
 * instead of 4.7 s. test/build.test.ts starts one exactly as production does, without it.
 */
export function distCommand(entry: 'main' | `scripts/${string}.ts`): string[] {
  const dist = inject('dist');
  return ['--liftoff-only', entry === 'main' ? path.join(dist, 'main.js') : path.join(dist, entry.replace(/\.ts$/, '.js'))];
}

/** The URL of a test database on the PostgreSQL server: a second pool on it is another gateway. */
export async function databaseUrl(test: TestDatabase): Promise<string> {
  const [{ name }] = await test.prisma.$queryRaw<{ name: string }[]>`SELECT current_database() AS name`;
  return databaseUrlFor(process.env.TEST_DATABASE_URL!, name);
}

/** Redis keys of this worker: nothing collides with another run on the same Redis. */
const redisKeyPrefix = `newsroom-test-${randomUUID().slice(0, 8)}:`;
/**
 * …and of this test file: files run one after another in a worker, each on a database of its own
 * whose ids start at 1 again (key 1 of one file must not use up key 1's budget in the next).
 */
const fileKeyPrefix = () => `${redisKeyPrefix}${path.basename(expect.getState().testPath ?? '')}:`;

/**
 * A gateway's configuration for tests. The webhook sender polls the database every second in a
 * started gateway: off here (its tests run their own), so statement counts see only the request.
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: 'memory://',
    REDIS_KEY_PREFIX: fileKeyPrefix(),
    WEBHOOK_INTERVAL_MS: '0',
    ...(sharedBuffers ? { PGLITE_SHARED_BUFFERS: sharedBuffers } : {}),
    ...overrides,
  });
}

export type GraphQLResponse<T = any> = { data?: T; errors?: { message: string; extensions?: Record<string, unknown>; path?: unknown[] }[] };

export type TestGateway = Gateway & {
  db: TestDatabase;
  /** POSTs one operation in-process and returns the parsed body. */
  query<T = any>(document: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** Runs an operation and returns how many SQL statements it caused. */
  countStatements(
    document: string,
    variables?: Record<string, unknown>,
  ): Promise<{ count: number; response: GraphQLResponse; sql: string[] }>;
};

export function createTestGateway(db: TestDatabase, config = testConfig()): TestGateway {
  const gateway = createGateway({ config, db, logger: createLogger('silent') });
  const query: TestGateway['query'] = async (document, variables, headers = {}) => {
    const response = await gateway.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify({ query: document, variables }),
    });
    return response.json();
  };
  return {
    ...gateway,
    db,
    query,
    async countStatements(document, variables) {
      const before = db.statements.length;
      const response = await query(document, variables);
      const sql = db.statements.slice(before);
      return { count: sql.length, response, sql };
    },
  };
}

/** A gateway over a fresh database holding the demo newsroom (`overrides`: its configuration's). */
export async function createDemoGateway(overrides: Record<string, string> = {}): Promise<TestGateway> {
  return createTestGateway(await createTestDatabase({ demo: true }), testConfig(overrides));
}

export const MAIN_STORY = 'china-tells-ai-leaders-to-avoid-us-travel';

/** A fresh API key with `role` (a WRITER writes as the author with `authorSlug`); returns its auth header. */
export async function keyHeader(db: Database, role: 'WRITER' | 'EDITOR' | 'ADMIN', authorSlug?: string) {
  const { createApiKey } = await import('../src/newsroom/auth.js');
  const author = authorSlug ? await db.prisma.author.findUniqueOrThrow({ where: { slug: authorSlug } }) : null;
  const { key } = await createApiKey(db.prisma, { name: `${role.toLowerCase()} key`, role, authorId: author?.id ?? null });
  return { authorization: `Bearer ${key}` };
}

export const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');

/** A graphql-ws client of a gateway on a real port that never retries; added to `clients`, which the test file disposes. */
export function wsClient(clients: Client[], gateway: { url: string }, connectionParams?: Record<string, unknown>): Client {
  const client = createClient({
    url: gateway.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
  });
  clients.push(client);
  return client;
}

/** Waits until a gateway process at `base` answers /readyz with 200; fails with its output when it exits first or takes over 150 s. */
export async function waitUntilReady(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + 150_000;
  while (
    !(await fetch(`${base}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    ))
  ) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`the gateway did not start:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
