// A PostgreSQL primary and a streaming standby of its own, for the read-replica test and bench:
// `initdb` a primary on a free loopback port in a temp dir, `pg_basebackup -R` a standby from it
// and start that on another port. Small and unsafe on purpose (fsync off, 32 MB buffers): it lives
// for one test file. PostgreSQL refuses to run as root, so as root everything runs as `postgres`.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The newest PostgreSQL server binaries of the machine (PG_BIN to choose). */
function binDir(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && path.join(base, versions[0], 'bin');
}

async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  } catch {
    return undefined;
  }
}

/** Why a cluster cannot be made here, or undefined when it can. */
export async function clusterUnavailable(): Promise<string | undefined> {
  const bin = binDir();
  if (!bin) return 'no PostgreSQL server binaries (initdb) in /usr/lib/postgresql/*/bin; set PG_BIN';
  if (process.getuid?.() === 0 && !(await postgresUser())) return 'running as root and there is no `postgres` user to run PostgreSQL as';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export type PgCluster = {
  /** Connection string of database `name` on the primary / the standby. */
  primaryUrl(name?: string): string;
  replicaUrl(name?: string): string;
  /** Runs SQL on the primary's `postgres` database (CREATE DATABASE …). */
  adminQuery(sql: string): Promise<void>;
  /** Runs SQL on the standby (in database `name`, default postgres) and returns the rows. */
  replicaQuery<T extends pg.QueryResultRow>(sql: string, name?: string): Promise<T[]>;
  /** `pg_basebackup -R` from the primary and start the standby; resolves once it accepts reads. */
  startReplica(): Promise<void>;
  /** Stops the standby at once (`immediate`: as a crash or a pulled cable would). */
  stopReplica(): Promise<void>;
  /** Resolves once the standby has replayed everything the primary has written so far. */
  waitReplicaCaughtUp(maxMs?: number): Promise<void>;
  dispose(): Promise<void>;
};

const SETTINGS = [
  "listen_addresses = '127.0.0.1'",
  'fsync = off',
  'synchronous_commit = off',
  'full_page_writes = off',
  'shared_buffers = 32MB',
  'max_connections = 60',
  'wal_level = replica',
  'max_wal_senders = 4',
  'wal_keep_size = 128MB',
  'hot_standby = on',
  'logging_collector = off',
];

/** A running primary (the standby comes with `startReplica`); `dispose` stops both and removes the files. */
export async function startCluster(): Promise<PgCluster> {
  const why = await clusterUnavailable();
  if (why) throw new Error(why);
  const bin = binDir()!;
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresUser() : undefined;
  const tool = (name: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, name), ...args]) : run(path.join(bin, name), args);

  const dir = await mkdtemp(path.join(tmpdir(), 'newsroom-pg-'));
  if (owner) await chown(dir, owner.uid, owner.gid);
  await chmod(dir, 0o700);
  const primaryDir = path.join(dir, 'primary');
  const replicaDir = path.join(dir, 'replica');
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const options = (port: number) => `-p ${port} -k ${dir}`;
  const url = (port: number, name = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${name}`;
  let replicaRunning = false;
  let primaryRunning = false;

  const query = async <T extends pg.QueryResultRow>(port: number, sql: string, name?: string) => {
    const client = new pg.Client({ connectionString: url(port, name), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  };

  const stop = async (data: string) => {
    await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
  };

  try {
    await tool('initdb', ['-D', primaryDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    await appendFile(path.join(primaryDir, 'postgresql.conf'), `\n${SETTINGS.join('\n')}\n`);
    await tool('pg_ctl', ['-D', primaryDir, '-l', path.join(dir, 'primary.log'), '-o', options(primaryPort), '-w', '-t', '60', 'start']);
    primaryRunning = true;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const cluster: PgCluster = {
    primaryUrl: (name) => url(primaryPort, name),
    replicaUrl: (name) => url(replicaPort, name),
    adminQuery: async (sql) => void (await query(primaryPort, sql)),
    replicaQuery: (sql, name) => query(replicaPort, sql, name),
    async startReplica() {
      await rm(replicaDir, { recursive: true, force: true });
      // -c fast: no waiting for a checkpoint; -R: standby.signal and primary_conninfo.
      await tool('pg_basebackup', [
        '-h',
        '127.0.0.1',
        '-p',
        String(primaryPort),
        '-U',
        'postgres',
        '-D',
        replicaDir,
        '-R',
        '-X',
        'stream',
        '-c',
        'fast',
        '--no-sync',
      ]);
      await tool('pg_ctl', ['-D', replicaDir, '-l', path.join(dir, 'replica.log'), '-o', options(replicaPort), '-w', '-t', '60', 'start']);
      replicaRunning = true;
      await cluster.waitReplicaCaughtUp();
    },
    async stopReplica() {
      await stop(replicaDir);
      replicaRunning = false;
    },
    async waitReplicaCaughtUp(maxMs = 30_000) {
      // A record of our own, and its end: the insert position (with synchronous_commit = off the
      // last commits may not be written yet) can lie past a page or segment header that no record
      // ends at, and an idle primary writes its next record only 15 s later (the standby snapshot).
      const [{ lsn }] = await query<{ lsn: string }>(
        primaryPort,
        "SELECT pg_logical_emit_message(false, 'newsroom-test', '')::text AS lsn",
      );
      const until = Date.now() + maxMs;
      for (;;) {
        try {
          const [row] = await query<{ done: boolean }>(replicaPort, `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS done`);
          if (row?.done) return;
        } catch (error) {
          if (Date.now() > until) throw error;
        }
        if (Date.now() > until) throw new Error(`the standby did not replay up to ${lsn} within ${maxMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async dispose() {
      if (replicaRunning) await stop(replicaDir);
      if (primaryRunning) await stop(primaryDir);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
