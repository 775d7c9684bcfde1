import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { distCommand } from './helpers.js';

describe('configuration', () => {
  it('has a default for everything: embedded PGlite in ./data on port 4000', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.database).toEqual({ kind: 'pglite', dataDir: './data', sharedBuffers: '128MB' });
    expect(loadConfig({ PGLITE_SHARED_BUFFERS: '8MB' }).database).toEqual({ kind: 'pglite', dataDir: './data', sharedBuffers: '8MB' });
    expect(() => loadConfig({ PGLITE_SHARED_BUFFERS: '8 MB; fsync=off' })).toThrow(/PGLITE_SHARED_BUFFERS/);
    expect(config.seedDemo).toBe(true);
    expect(config.graphiql).toBe(true);
    // Story events purge cached results; the TTLs bound what no event covers (related stories,
    // list windows, read counts), and with Redis the outbox poll is only the net for a lost wake-up.
    expect(config.responseCache).toMatchObject({ ttlMs: 300_000, listTtlMs: 30_000, popularTtlMs: 10_000 });
    expect(config.outboxPollMs).toBe(500);
    expect(config.outboxPollWithRedisMs).toBe(5000);
  });

  it('uses the PostgreSQL server of DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://u@db:5432/news', DATABASE_POOL_SIZE: '20' });
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgresql://u@db:5432/news',
      poolSize: 20,
      preparedStatements: true,
      statementTimeoutMs: 5000,
      connectTimeoutMs: 3000,
      reservedPoolSize: 3,
      replicas: { urls: [], maxLagMs: 2000, checkMs: 500 },
    });
    const replicated = loadConfig({
      DATABASE_URL: 'postgresql://u@db:5432/news',
      DATABASE_REPLICA_URLS: 'postgresql://u@replica-1/news, postgresql://u@replica-2/news',
      DATABASE_REPLICA_MAX_LAG_MS: '500',
    });
    expect(replicated.database).toMatchObject({
      replicas: { urls: ['postgresql://u@replica-1/news', 'postgresql://u@replica-2/news'], maxLagMs: 500, checkMs: 500 },
    });
    expect(() => loadConfig({ DATABASE_URL: 'postgresql://u@db/news', DATABASE_REPLICA_URLS: 'mysql://replica/news' })).toThrow(
      /DATABASE_REPLICA_URLS/,
    );
    const pooled = loadConfig({ DATABASE_URL: 'postgresql://u@pgbouncer:6432/news', DATABASE_PREPARED_STATEMENTS: 'false' });
    expect(pooled.database).toMatchObject({ kind: 'postgres', preparedStatements: false });
  });

  it('names every wrong variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SEED_DEMO: 'maybe' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SEED_DEMO: 'maybe' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('PORT');
      expect(message).toContain('DATABASE_URL');
      expect(message).toContain('SEED_DEMO');
    }
  });

  it('stops the process at start with a message naming the variable', () => {
    const result = spawnSync(process.execPath, distCommand('main'), {
      env: { ...process.env, PORT: '99999', DATABASE_URL: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT');
  });
});
