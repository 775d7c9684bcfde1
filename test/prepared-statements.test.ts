// On PostgreSQL, statements the gateway repeats are prepared once per connection (PostgreSQL then
// skips parsing them), one-off statements are not, and the switch turns it off for poolers.
import { describe, expect, it } from 'vitest';
import { inlinePlanLiterals, openDatabase } from '../src/db/client.js';
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

describe('row limits and enum values in prepared statements', () => {
  it('writes small integer limits into the text and renumbers the other parameters', () => {
    const sql =
      'SELECT "t0"."id", (SELECT 1 FROM "Section" AS "t1" WHERE "t1"."id" = "t0"."sectionId" LIMIT $1) FROM "Article" AS "t0" WHERE "t0"."status" = $2 AND "t0"."id" < $3 ORDER BY "t0"."id" DESC LIMIT $4 OFFSET $5';
    expect(inlinePlanLiterals(sql, ['1', 'PUBLISHED', 500, 21, 0n])).toEqual({
      text: 'SELECT "t0"."id", (SELECT 1 FROM "Section" AS "t1" WHERE "t1"."id" = "t0"."sectionId" LIMIT 1) FROM "Article" AS "t0" WHERE "t0"."status" = $1 AND "t0"."id" < $2 ORDER BY "t0"."id" DESC LIMIT 21 OFFSET 0',
      values: ['PUBLISHED', 500],
      suffix: '1_21_0',
    });
  });

  it('writes enum values as literals, in the order of their parameters', () => {
    const sql =
      'SELECT "t0"."articleId" FROM "public"."PopularArticle" AS "t0" LEFT JOIN "public"."Article" AS "j1" ON "j1"."id" = "t0"."articleId" WHERE ("t0"."window" = CAST($1::text AS "public"."PopularityWindow") AND "j1"."status" = CAST($2::text AS "public"."ArticleStatus") AND "j1"."publishedAt" <= $3) ORDER BY "t0"."reads" DESC LIMIT $4 OFFSET $5';
    const now = new Date();
    expect(inlinePlanLiterals(sql, ['WEEK', 'PUBLISHED', now, 9, 0])).toEqual({
      text: 'SELECT "t0"."articleId" FROM "public"."PopularArticle" AS "t0" LEFT JOIN "public"."Article" AS "j1" ON "j1"."id" = "t0"."articleId" WHERE ("t0"."window" = CAST(\'WEEK\'::text AS "public"."PopularityWindow") AND "j1"."status" = CAST(\'PUBLISHED\'::text AS "public"."ArticleStatus") AND "j1"."publishedAt" <= $1) ORDER BY "t0"."reads" DESC LIMIT 9 OFFSET 0',
      values: [now],
      suffix: 'WEEK_PUBLISHED_9_0',
    });
    // Only enum labels: anything else in a cast stays a parameter.
    for (const value of ["PUBLISHED' OR 'x", 'published', '', 42]) {
      expect(inlinePlanLiterals('SELECT 1 FROM "Article" WHERE "status" = CAST($1::text AS "public"."ArticleStatus")', [value])).toBeNull();
    }
  });

  it('leaves alone what is not a small integer limit, and texts with a $ that is not a parameter', () => {
    expect(inlinePlanLiterals('SELECT * FROM "Article" WHERE "slug" = $1', ['x'])).toBeNull();
    expect(inlinePlanLiterals('SELECT * FROM "Article" LIMIT $1', ['5000'])).toBeNull();
    expect(inlinePlanLiterals('SELECT * FROM "Article" LIMIT $1', ['1; DROP TABLE "Article"'])).toBeNull();
    expect(inlinePlanLiterals('SELECT * FROM "Article" LIMIT $1', [-1])).toBeNull();
    expect(inlinePlanLiterals('SELECT \'$x\' FROM "Article" LIMIT $1', [5])).toBeNull();
    // Only the parameters in LIMIT/OFFSET positions: the same value elsewhere stays a parameter.
    expect(inlinePlanLiterals('SELECT * FROM "Article" WHERE "id" = $1 LIMIT $2', [3, 3])).toEqual({
      text: 'SELECT * FROM "Article" WHERE "id" = $1 LIMIT 3',
      values: [3],
      suffix: '3',
    });
  });
});

describe.runIf(onPostgres)('prepared statements', () => {
  it('plans a repeated list statement once (a generic plan), its limit written into the text', async () => {
    const test = await createTestDatabase();
    const db = await openDatabase({ kind: 'postgres', url: await databaseUrl(test), poolSize: 1 });
    try {
      const list = (take: number) =>
        db.prisma.article.findMany({
          where: { status: 'PUBLISHED' },
          orderBy: { id: 'desc' },
          take,
          select: { id: true, section: { select: { slug: true } } },
        });
      for (let i = 0; i < 12; i++) expect((await list(3)).length).toBeLessThanOrEqual(3);
      expect((await list(1)).length).toBeLessThanOrEqual(1);
      const prepared = await db.prisma.$queryRaw<{ statement: string; generic: number; custom: number }[]>`
        SELECT statement, generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE statement LIKE '%"Article"%'`;
      const three = prepared.find((p) => /LIMIT 3\b/.test(p.statement));
      expect(three, JSON.stringify(prepared)).toBeDefined();
      expect(three!.statement).not.toMatch(/LIMIT \$/);
      expect(three!.statement).toContain(`CAST('PUBLISHED'::text AS "public"."ArticleStatus")`);
      expect(three!.generic).toBeGreaterThan(0);
    } finally {
      await db.close();
      await test.dispose();
    }
  });

  it('gives variants whose names would pass 63 bytes names of their own (PostgreSQL cuts names there)', async () => {
    const test = await createTestDatabase();
    const db = await openDatabase({ kind: 'postgres', url: await databaseUrl(test), poolSize: 1 });
    try {
      // Thirteen enum labels in the text: the two variants differ only after the 63rd byte of a name made of them.
      const common = ['NEWS', 'ANALYSIS', 'FEATURE', 'OPINION', 'EDITORIAL', 'REVIEW'] as const;
      const list = (last: 'OBITUARY' | 'LIVE') =>
        db.prisma.article.findMany({ where: { kind: { in: [...common, ...common, last] } }, take: 2, select: { id: true } });
      for (let i = 0; i < 4; i++) {
        expect(await list('OBITUARY')).toEqual([]);
        expect(await list('LIVE')).toEqual([]);
      }
      const prepared = await db.prisma.$queryRaw<{ name: string; statement: string }[]>`
        SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE '%''REVIEW''%'`;
      expect(prepared.map((p) => p.statement.includes("'LIVE'")).sort()).toEqual([false, true]);
      for (const { name } of prepared) expect(name.length).toBeLessThanOrEqual(63);
    } finally {
      await db.close();
      await test.dispose();
    }
  });

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
