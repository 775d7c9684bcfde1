// Every test runs on embedded PGlite; with TEST_DATABASE_URL set, all of them run a second time
// against that PostgreSQL server (each file in a fresh database of its own).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const postgresUrl = process.env.TEST_DATABASE_URL;

export default defineConfig({
  // graphql 17 resolves, for Node, `import` and `require` alike to index.mjs; Vite would pick the
  // `development` build for the tests' own imports, and two copies meet ("another module or realm").
  resolve: { alias: { graphql: path.join(root, 'node_modules/graphql/index.mjs') } },
  test: {
    root,
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // PGlite and the WASM schema engine are CPU-heavy; two workers suit a 2-core machine.
    maxWorkers: 2,
    projects: [
      { extends: true as const, test: { name: 'pglite', env: { TEST_DB: 'pglite' } } },
      ...(postgresUrl ? [{ extends: true as const, test: { name: 'postgres', env: { TEST_DB: 'postgres' } } }] : []),
    ],
  },
});
