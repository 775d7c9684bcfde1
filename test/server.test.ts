// `npm start` for real: a server on port 0 over an on-disk PGlite directory. It starts as a
// cluster just after initdb (test/helpers.ts: pristineDataDir), as the other first-start tests
// do: initdb is PGlite's business and costs it 6 s of CPU; migrations and the demo are ours.
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrationList } from '../src/db/migrations.js';
import { createLogger } from '../src/logger.js';
import { startGateway, startupFailure } from '../src/server/start.js';
import { distCommand, onPostgres, pristineDataDir, testConfig } from './helpers.js';

// The embedded default is what this file exercises; the PostgreSQL run covers the same API elsewhere.
describe.skipIf(onPostgres)('the gateway on the embedded default', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await pristineDataDir();
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  const config = () => testConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });

  it('migrates, loads the demo on first start, serves GraphQL and GraphiQL over HTTP', async () => {
    const gateway = await startGateway(config(), createLogger('silent'));
    try {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ edition(date: "2025-03-01") { name } articles(first: 3) { totalCount } }' }),
      });
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body.data.edition.name).toContain('March 01, 2025');
      expect(body.data.articles.totalCount).toBeGreaterThan(20);

      const page = await fetch(gateway.url, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/graphiql/i);
    } finally {
      await gateway.stop();
    }
  });

  it('on the next start keeps the data: no migration re-applied, no second demo', async () => {
    const gateway = await startGateway(config(), createLogger('silent'));
    try {
      const migrations = await gateway.db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM _prisma_migrations`;
      expect(Number(migrations[0]!.n)).toBe((await readMigrationList()).migrationDirectories.length);
      // The first start printed a first ADMIN key; a database that has one gets no other.
      expect(await gateway.db.prisma.apiKey.findMany({ select: { role: true } })).toEqual([{ role: 'ADMIN' }]);
      const editions = await gateway.db.prisma.edition.count({ where: { slug: 'daily-2025-03-01' } });
      expect(editions).toBe(1);
      const articles = await gateway.db.prisma.article.count();
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ articles(first: 1) { totalCount } }' }),
      });
      expect((await response.json()).data.articles.totalCount).toBeLessThan(articles);
    } finally {
      await gateway.stop();
    }
  });

  it('a port already in use ends the start with one clear line, and leaves the data directory free', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const busy = testConfig({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir });
    try {
      const error = await startGateway(busy, createLogger('silent')).then(
        () => expect.fail('started on a port in use'),
        (e: unknown) => e,
      );
      expect(startupFailure(error, busy)).toBe(
        `Cannot listen on 127.0.0.1:${port}: the port is already in use (another gateway?): stop it, or set PORT to a free port.`,
      );
    } finally {
      taken.close();
    }
    // The failed start closed the embedded database: the next one opens it.
    const gateway = await startGateway(config(), createLogger('silent'));
    await gateway.stop();
  });

  it('an unreachable database ends `npm start` with one line on stderr (no stack, no password) and exit code 1', () => {
    const result = spawnSync(process.execPath, distCommand('main'), {
      env: { ...process.env, DATABASE_URL: 'postgresql://newsroom:s3cret@127.0.0.1:1/newsroom', DATABASE_CONNECT_TIMEOUT_MS: '1000' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'Cannot reach the database at 127.0.0.1:1/newsroom: is PostgreSQL running there? Check DATABASE_URL (or unset it for the embedded database).',
    ]);
    expect(startupFailure(new Error('boom'), testConfig({ DATABASE_URL: 'postgresql://x@127.0.0.1:1/x' }))).toBeUndefined();
  });

  it('without GraphiQL a browser gets no IDE', async () => {
    const gateway = await startGateway(
      testConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, GRAPHIQL: 'false' }),
      createLogger('silent'),
    );
    try {
      const page = await fetch(gateway.url, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toMatch(/graphiql/i);
    } finally {
      await gateway.stop();
    }
  });
});
