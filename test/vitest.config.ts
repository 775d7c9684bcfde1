// Every test runs on embedded PGlite; with TEST_DATABASE_URL set, the files that depend on the
// database kind run a second time against that PostgreSQL server (each file in a fresh database of
// its own). test/global-setup.ts migrates and seeds one template per database kind and run; each
// file starts from a copy of it.
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const postgresUrl = process.env.TEST_DATABASE_URL;

// V8's compiled code of every module Node itself loads (node_modules in the workers, the production
// build in the processes tests start), kept between runs: set before vitest starts its workers, so
// they and every process they start inherit it. It saves a run 15–24 s of CPU and 6–14 s of wall
// time on a 2-core machine (measured A/B, alternated). Node checks each entry against the source.
process.env.NODE_COMPILE_CACHE ??= path.join(
  process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'),
  'newsroom-gateway',
  'v8-compile-cache',
);

/**
 * Files that run on the PGlite pass only: what they test does not depend on the database kind
 * (schema, configuration, builds, input fuzzing, the browser), is the embedded database itself, or
 * starts PostgreSQL servers of its own (replicas).
 */
const PGLITE_ONLY = [
  'test/browser.test.ts',
  'test/build.test.ts',
  'test/codegen.test.ts',
  'test/config.test.ts',
  'test/embedded-lock.test.ts',
  'test/replicas.test.ts',
  'test/fuzz.test.ts',
  'test/rooms.test.ts',
  'test/renditions.test.ts',
  'test/schema.test.ts',
  'test/server.test.ts',
];
/**
 * Files about PostgreSQL itself: with a server they run on its pass only; without one their
 * PostgreSQL tests are reported as skipped (and the pure unit tests among them run on PGlite's pass).
 */
const POSTGRES_ONLY = ['test/database-deadlines.test.ts', 'test/prepared-statements.test.ts'];

/**
 * The files that take longest (wall seconds on a quiet 2-core machine, in that order): started
 * first, so that the two workers end together instead of one finishing a 30 s file alone. Vitest
 * does this by itself from the durations of the previous run, but a fresh clone (CI) has none and
 * would start the biggest files first, which are not the slowest (those wait on browsers and
 * child processes).
 */
const SLOWEST_FIRST = [
  'live', // 16 s
  'browser', // 14
  'build', // 11
  'faults', // 11
  'webhooks', // 11
  'fuzz', // 10
  'http-cache', // 10
  'server', // 9
  'embedded-lock', // 8
  'front-door', // 8
  'seed', // 8
  'replicas', // 7
  'migrations', // 7
  'catalog', // 6
  'cdn-purge', // 6
  'resources', // 5
].map((name) => `test/${name}.test.ts`);

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const index = SLOWEST_FIRST.indexOf(path.relative(root, spec.moduleId));
      return index === -1 ? SLOWEST_FIRST.length : index;
    };
    // Projects still run one after the other, in vitest's order; within one, the list first, the
    // rest as vitest sorts them (the sort is stable).
    const sorted = await super.sort(files);
    const projects = sorted.map((spec) => spec.project.name);
    const project = (spec: TestSpecification) => projects.indexOf(spec.project.name);
    return sorted.toSorted((a, b) => project(a) - project(b) || rank(a) - rank(b));
  }
}

export default defineConfig({
  // graphql 17 resolves, for Node, `import` and `require` alike to index.mjs; Vite would pick the
  // `development` build for the tests' own imports, and two copies meet ("another module or realm").
  resolve: { alias: { graphql: path.join(root, 'node_modules/graphql/index.mjs') } },
  test: {
    root,
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // PGlite zeroes its shared buffers at every start: 128MB (the default) cost each test database
    // and each embedded gateway a child starts 0.3–1 s of CPU. Workers and child processes inherit it.
    env: { PGLITE_SHARED_BUFFERS: '8MB' },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // expect.poll gives up after 1 s by default: on a busy machine a WebSocket or a child process
    // takes longer than that to come up. A poll still returns as soon as it holds.
    expect: { poll: { timeout: 10_000 } },
    // PGlite, the schema engine and the child processes some files start are CPU-heavy: on a 2-core
    // machine a third worker only made the start-up tests (server, migrations) time out when busy.
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirst },
    // PGlite's WebAssembly (9 MB) stays on V8's baseline compiler: optimising its hot functions cost
    // each worker (and each child, see distCommand in test/helpers.ts) about 3 s of CPU at its first
    // database, more than the faster code saves over a test run (suite CPU 199 -> 179 s).
    execArgv: ['--liftoff-only'],
    // A worker runs file after file in one module graph (per project): the source graph (schema,
    // Prisma, yoga) is imported once per worker instead of once per file, about 2 s of CPU a file.
    // Files share process-wide state this way (the metrics registry): tests compare their metrics
    // before and after, and close what they open.
    isolate: false,
    projects: [
      { extends: true as const, test: { name: 'pglite', env: { TEST_DB: 'pglite' }, exclude: postgresUrl ? POSTGRES_ONLY : [] } },
      ...(postgresUrl ? [{ extends: true as const, test: { name: 'postgres', env: { TEST_DB: 'postgres' }, exclude: PGLITE_ONLY } }] : []),
    ],
  },
});
