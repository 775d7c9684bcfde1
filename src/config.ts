// The one place configuration is read. Every variable has its default here, is validated at
// start, and a wrong value stops the process with a message naming the variable.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** A PostgreSQL server; when unset the gateway runs on embedded PGlite in DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// connection string')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  /** PGlite data directory; `memory://` keeps everything in memory. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** Apply pending migrations at start. */
  MIGRATE_ON_START: bool.default(true),
  /** Load the demo newsroom when the database has no articles yet. */
  SEED_DEMO: bool.default(true),
  GRAPHIQL: bool.default(true),
  /** How often due scheduled articles are published; 0 turns this instance's scheduler off. */
  SCHEDULER_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(2000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  database: { kind: 'postgres'; url: string; poolSize: number } | { kind: 'pglite'; dataDir: string };
  migrateOnStart: boolean;
  seedDemo: boolean;
  graphiql: boolean;
  schedulerIntervalMs: number;
  logLevel: string;
};

export class ConfigError extends Error {}

/** Reads and validates configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as shells and compose files often pass them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return {
    env: c.NODE_ENV,
    host: c.HOST,
    port: c.PORT,
    database: c.DATABASE_URL
      ? { kind: 'postgres', url: c.DATABASE_URL, poolSize: c.DATABASE_POOL_SIZE }
      : { kind: 'pglite', dataDir: c.DATA_DIR },
    migrateOnStart: c.MIGRATE_ON_START,
    seedDemo: c.SEED_DEMO,
    graphiql: c.GRAPHIQL,
    schedulerIntervalMs: c.SCHEDULER_INTERVAL_MS,
    logLevel: c.LOG_LEVEL,
  };
}
