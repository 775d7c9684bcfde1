// Migrations without Prisma's native schema-engine download: the same engine compiled to WASM,
// driven through the database's driver adapter. Applies `prisma/migrations` exactly like
// `prisma migrate deploy` (history in `_prisma_migrations`) and diffs them against schema.prisma.
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const prismaDir = path.join(root, 'prisma');
export const migrationsDir = path.join(prismaDir, 'migrations');
export const schemaPath = path.join(prismaDir, 'schema.prisma');

const noFilters = { externalTables: [], externalEnums: [] };

let wasmReady: Promise<typeof import('@prisma/schema-engine-wasm/schema_engine_bg')> | undefined;

/** The engine package is built for bundlers; instantiate its WASM by hand (once per process). */
function loadEngineModule() {
  wasmReady ??= (async () => {
    const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const require = createRequire(import.meta.url);
    const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm')), 'schema_engine_bg.wasm');
    const module = new WebAssembly.Module(await readFile(wasmPath));
    // The engine arms 10 s timers (wasm-bindgen's setTimeout) that outlive its work: unreferenced,
    // so a short-lived process (the key tool, `db migrate`, a gateway stopped at once) exits when
    // it is done instead of idling 10 s more.
    const imports: Record<string, unknown> = { ...glue };
    for (const name of Object.keys(imports).filter((n) => n.startsWith('__wbg_setTimeout_'))) {
      const arm = imports[name] as (...args: unknown[]) => NodeJS.Timeout;
      imports[name] = (...args: unknown[]) => arm(...args).unref();
    }
    const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': imports as WebAssembly.ModuleImports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return wasmReady;
}

export async function openSchemaEngine(factory: SqlMigrationAwareDriverAdapterFactory): Promise<SchemaEngine> {
  const glue = await loadEngineModule();
  const datamodel = await readFile(schemaPath, 'utf8');
  return glue.SchemaEngine.new({ datamodels: [[schemaPath, datamodel]] }, () => {}, bindMigrationAwareSqlAdapterFactory(factory));
}

export async function readMigrationList(): Promise<MigrationList> {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const folders = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  return {
    baseDir: migrationsDir,
    lockfile: { path: lockPath, content: await readFile(lockPath, 'utf8').catch(() => null) },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      folders.map(async (folder) => ({
        path: folder,
        migrationFile: {
          path: 'migration.sql',
          content: await readFile(path.join(migrationsDir, folder, 'migration.sql'), 'utf8').then(
            (value) => ({ tag: 'ok' as const, value }),
            (error: Error) => ({ tag: 'error' as const, value: error.message }),
          ),
        },
      })),
    ),
  };
}

/** Applies pending migrations; returns the names applied. */
export async function applyMigrations(factory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const engine = await openSchemaEngine(factory);
  try {
    const result = await engine.applyMigrations({ migrationsList: await readMigrationList(), filters: noFilters });
    return result.appliedMigrationNames;
  } finally {
    engine.free();
  }
}

/**
 * The SQL that would take the migrations to schema.prisma ('-- This is an empty migration.' when
 * they agree). It replays the migrations on an in-memory PGlite shadow database, so it needs no
 * server (adapter-pg's shadow database ignores the database name of a connection string).
 * `shadowDataDir`: a dump of a cluster to start the shadow database from instead of initdb.
 */
export async function diffMigrationsToSchema(options: { shadowDataDir?: Blob } = {}): Promise<string> {
  const open = () => new PGlite('memory://', { loadDataDir: options.shadowDataDir });
  const main = open();
  const databases = [main];
  const factory = new PrismaPGlite(main);
  // The engine replays the migrations on a shadow database, which the adapter would create with
  // initdb each time (1.4 s of CPU, ignoring shadowDataDir) and never close: started from the same
  // dump here instead, and closed with the other.
  factory.connectToShadowDb = () => {
    const shadow = open();
    databases.push(shadow);
    return new PrismaPGlite(shadow).connect();
  };
  const engine = await openSchemaEngine(factory as unknown as SqlMigrationAwareDriverAdapterFactory);
  try {
    const migrations = await readMigrationList();
    const result = await engine.diff({
      from: migrations.migrationDirectories.length ? { tag: 'migrations', ...migrations } : { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }] },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    return (result.stdout ?? '').trim();
  } finally {
    engine.free();
    await Promise.all(databases.map((database) => database.close()));
  }
}
