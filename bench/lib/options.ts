// Command-line options of `npm run bench` (and the subset `npm run bench:explain` uses).
import { parseArgs } from 'node:util';
import { DEFAULT_MODES, MODES, type ModeName } from './modes.js';
import { SHAPE_NAMES, type ShapeName } from './shapes.js';

export type DbKind = 'postgres' | 'pglite';

export type BenchOptions = {
  articles: number;
  durationS: number;
  warmupS: number;
  connections: number;
  dbs: DbKind[];
  shapes: ShapeName[];
  modes: ModeName[];
  quick: boolean;
  /** Re-seed even when the article count matches. */
  reseed: boolean;
  /** Keep a database seeded more than a day ago (popularity windows and "today's" edition drift). */
  reuseStale: boolean;
  /** Extra environment for the servers (`--env KEY=VALUE`, repeatable). */
  env: Record<string, string>;
  pin: boolean;
  /** Before each run, wait up to this long for the machine to be under 15% busy. */
  waitQuietS: number;
  /** Run the servers with node --cpu-prof and print where their CPU time goes. */
  profile: boolean;
  /** Results file suffix (after <date>-<db>). */
  label: string | undefined;
  /** The Node binary of the gateway and baseline servers: this process's unless --node is given. */
  node: string | undefined;
};

const usage = `Usage: npm run bench -- [options]
  --articles N        generated newsroom size (default 100000; --quick: 2000)
  --duration S        seconds of load per shape and mode (default 10; --quick: 3)
  --warmup S          seconds of unrecorded load before each run (default 3; --quick: 1)
  --connections C     concurrent connections (default 50)
  --db postgres|pglite|both   (default postgres)
  --shapes a,b        among ${SHAPE_NAMES.join(', ')} (default: all)
  --modes a,b         among ${Object.keys(MODES).join(', ')} (default: ${DEFAULT_MODES.join(',')})
  --baseline          add the baseline mode (plain graphql-js resolvers, no plan, no DataLoader)
  --quick             smoke run: --articles 2000 --duration 3 --warmup 1
  --reseed            re-seed even when the database already holds N articles
  --reuse-stale       keep a database seeded more than 24 h ago (default: re-seed it)
  --env KEY=VALUE     extra environment for the servers (repeatable), e.g. DATABASE_POOL_SIZE=20
  --wait-quiet S      before each run wait up to S seconds for the machine to be <15% busy
                      (default 30; 0 = don't wait); the run records how busy it was
  --no-pin            do not pin the server to core 0 with taskset
  --profile           run the servers with node --cpu-prof (bench/.data/profiles) and print where
                      their CPU goes; slower, so results go to <date>-<db>-profile.json
  --label TEXT        suffix for the results file name
  --node PATH         run the gateway and baseline servers on this Node binary (default: the bench's
                      own); \`postgraphile\` = the Node the postgraphile mode runs on, to compare
                      both servers on the same Node`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, got "${value}"\n\n${usage}`);
  return n;
}

function list<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: readonly T[]): T[] {
  if (value === undefined) return [...fallback];
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`--${name}: unknown "${item}" (one of ${allowed.join(', ')})`);
  }
  return items as T[];
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      articles: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      db: { type: 'string' },
      shapes: { type: 'string' },
      modes: { type: 'string' },
      baseline: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      reseed: { type: 'boolean', default: false },
      'reuse-stale': { type: 'boolean', default: false },
      env: { type: 'string', multiple: true },
      'no-pin': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'wait-quiet': { type: 'string' },
      label: { type: 'string' },
      node: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const db = values.db ?? 'postgres';
  if (!['postgres', 'pglite', 'both'].includes(db)) throw new Error(`--db must be postgres, pglite or both, got "${db}"`);
  const modes = list('modes', values.modes, Object.keys(MODES) as ModeName[], DEFAULT_MODES);
  if (values.baseline && !modes.includes('baseline')) modes.push('baseline');
  const env: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`--env expects KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    articles: positiveInt('articles', values.articles, quick ? 2000 : 100_000),
    durationS: positiveInt('duration', values.duration, quick ? 3 : 10),
    warmupS: values.warmup === '0' ? 0 : positiveInt('warmup', values.warmup, quick ? 1 : 3),
    connections: positiveInt('connections', values.connections, 50),
    dbs: db === 'both' ? ['postgres', 'pglite'] : [db as DbKind],
    shapes: list('shapes', values.shapes, SHAPE_NAMES, SHAPE_NAMES),
    modes,
    quick,
    reseed: values.reseed ?? false,
    reuseStale: values['reuse-stale'] ?? false,
    env,
    pin: !(values['no-pin'] ?? false),
    profile: values.profile ?? false,
    waitQuietS: values['wait-quiet'] === '0' ? 0 : positiveInt('wait-quiet', values['wait-quiet'], quick ? 0 : 30),
    label: values.label ?? ([quick ? 'quick' : '', values.profile ? 'profile' : ''].filter(Boolean).join('-') || undefined),
    node: values.node,
  };
}
