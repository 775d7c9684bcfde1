// On PostgreSQL, statements the gateway repeats are prepared once per connection (PostgreSQL then
// skips parsing them), one-off statements are not, and the switch turns it off for poolers.
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import { createTestDatabase, databaseUrl, onPostgres } from './helpers.js';

async function preparedAfterRepeats(preparedStatements: boolean) {
  const test = await createTestDatabase();
  // One connection, so the session asked below is the one that ran the statements.
  const db = await openDatabase({ kind: 'postgres', url: await databaseUrl(test), poolSize: 1, preparedStatements });
  try {
    for (let i = 0; i < 4; i++) await db.prisma.article.findMany({ where: { slug: `repeated-${i}` }, select: { id: true } });
    await db.prisma.article.findFirst({ where: { headline: 'asked once' }, select: { id: true } });
    return await db.prisma.$queryRaw<{ statement: string }[]>`SELECT statement FROM pg_prepared_statements`;
  } finally {
    await db.close();
    await test.dispose();
  }
}

describe.runIf(onPostgres)('prepared statements', () => {
  it('prepares a repeated statement once per connection, never a one-off', async () => {
    const prepared = await preparedAfterRepeats(true);
    expect(prepared.some((p) => p.statement.includes('"slug" = $1'))).toBe(true);
    expect(prepared.some((p) => p.statement.includes('"headline"'))).toBe(false);
  });

  it('prepares nothing with DATABASE_PREPARED_STATEMENTS=false', async () => {
    expect(await preparedAfterRepeats(false)).toEqual([]);
  });

  it('runs without JIT compilation on every pool, unless the URL asks for it', async () => {
    const test = await createTestDatabase();
    const url = await databaseUrl(test);
    const jitOf = async (databaseUrl: string) => {
      const db = await openDatabase({ kind: 'postgres', url: databaseUrl, poolSize: 1, reservedPoolSize: 1 });
      try {
        const readers = await db.readers.$queryRaw<{ jit: string }[]>`SELECT current_setting('jit') AS jit`;
        const writers = await db.prisma.$queryRaw<{ jit: string }[]>`SELECT current_setting('jit') AS jit`;
        return [readers[0]!.jit, writers[0]!.jit];
      } finally {
        await db.close();
      }
    };
    try {
      expect(await jitOf(url)).toEqual(['off', 'off']);
      expect(await jitOf(`${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c jit=on')}`)).toEqual(['on', 'on']);
    } finally {
      await test.dispose();
    }
  });
});
