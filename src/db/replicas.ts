// Read replicas for anonymous reads (DATABASE_REPLICA_URLS). The anonymous readers' Prisma client
// queries a ReplicaRouter instead of the primary's pool: a read statement goes to a replica that
// is up, is a standby, lags at most maxLagMs and has replayed every story event this gateway has
// seen; everything else (writes, transactions, a replica that fails mid-statement) goes to the
// primary's readers pool. API keys, the scheduler, jobs and the outbox never come here: they use
// the primary's client (db.prisma), so an editor always reads their own writes.
//
// Written here rather than with @prisma/extension-read-replicas (0.5.0, for Prisma 7): that
// extension picks a replica at random per operation with no health or lag check and no fallback,
// sends raw queries (search, related, most popular) to the primary, and routes by operation
// rather than by who asks. Routing below the adapter keeps one PrismaClient type everywhere.
import pg from 'pg';

export type ReplicaOptions = {
  /** A replica further behind the primary than this is skipped until it catches up. */
  maxLagMs: number;
  /** How often each replica's state and lag are checked. */
  checkMs: number;
};

export type ReplicaState = {
  /** Host and port only: URLs may hold passwords. */
  name: string;
  /** Up, a standby, and within maxLagMs. */
  healthy: boolean;
  /** How far behind the primary it was at the last check (ms); null when unknown. */
  lagMs: number | null;
  /** Why it is skipped, when it is. */
  reason?: string;
  /** Read statements it answered, and those it failed that the primary answered instead. */
  reads: number;
  fallbacks: number;
};

type Replica = ReplicaState & { pool: pg.Pool; replayLsn: bigint };

/** `0/16B3748` → a number, so positions compare. */
const lsn = (text: string | null | undefined): bigint => {
  if (!text) return 0n;
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
};

/**
 * The primary's position: where its next WAL record goes, which is past every commit made so far.
 * Not pg_current_wal_lsn(): that is how far WAL was *written*, and with synchronous_commit = off a
 * commit's record waits in the WAL buffers (up to wal_writer_delay), so a standby that had replayed
 * everything written would pass the fence without the commit it was raised for.
 */
const PRIMARY_POSITION = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';

/** Statements a standby can answer; others (and the odd one that writes after all) go to the primary. */
const READ = /^\s*(select|with)\b/i;

/**
 * Failures after which the primary answers instead: the replica is unreachable, shutting down or
 * too slow to connect, or it refused the statement as a standby (a write, a recovery conflict).
 */
function replicaCannotAnswer(error: unknown): { down: boolean } | undefined {
  const { code, message = '' } = (error ?? {}) as { code?: string; message?: string };
  if (code === '25006' || code === '40001') return { down: false }; // read-only transaction; conflict with recovery
  if (code && /^(08|57P)/.test(code)) return { down: true };
  if (code && /^(ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)/.test(code)) return { down: true };
  if (/Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable/i.test(message))
    return { down: true };
  return undefined;
}

/**
 * A pg.Pool (so @prisma/adapter-pg takes it as its pool) that spreads read statements over the
 * healthy replicas and sends the rest to `primary`. Transactions (`connect()`) use the primary.
 */
export class ReplicaRouter extends pg.Pool {
  private readonly replicas: Replica[];
  /** Primary WAL positions by time: how far behind a replica is, in time, from its replay position. */
  private history: { at: number; lsn: bigint }[] = [];
  /** Reads may use a replica only once it has replayed this far (the newest story event seen). */
  private fenceLsn = 0n;
  private fencePending = false;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly primary: pg.Pool,
    /** A primary pool for the position checks, apart from the readers' (the reserved one). */
    private readonly monitor: pg.Pool,
    replicas: { name: string; pool: pg.Pool }[],
    private readonly settings: ReplicaOptions,
  ) {
    super({ max: 1 }); // never connects itself
    this.replicas = replicas.map((r) => ({
      ...r,
      healthy: false,
      lagMs: null,
      reason: 'not checked yet',
      reads: 0,
      fallbacks: 0,
      replayLsn: 0n,
    }));
    this.timer = setInterval(() => void this.check(), settings.checkMs);
    this.timer.unref();
  }

  /** Resolves after the first check: replicas are used from then on. */
  ready(): Promise<void> {
    return this.check();
  }

  states(): ReplicaState[] {
    return this.replicas.map(({ name, healthy, lagMs, reason, reads, fallbacks }) => ({ name, healthy, lagMs, reason, reads, fallbacks }));
  }

  /**
   * Called when story events were committed (by any gateway), before caches are purged for them:
   * until a replica has replayed past the primary's position now, reads go to the primary, so a
   * purged cache entry is never refilled from a replica that has not seen the change.
   */
  async fence(): Promise<void> {
    try {
      const { rows } = await this.monitor.query<{ lsn: string }>(PRIMARY_POSITION);
      const position = lsn(rows[0]?.lsn);
      if (position > this.fenceLsn) this.fenceLsn = position;
      this.history.push({ at: Date.now(), lsn: position });
    } catch {
      this.fencePending = true; // no replica until a check reads the primary's position
    }
    // Look again soon: on loopback or a LAN a standby replays within milliseconds.
    setTimeout(() => void this.check(), 20).unref();
  }

  private pick(): Replica | undefined {
    if (this.fencePending) return undefined;
    for (let i = 0; i < this.replicas.length; i += 1) {
      const replica = this.replicas[(this.next + i) % this.replicas.length]!;
      if (replica.healthy && replica.replayLsn >= this.fenceLsn) {
        this.next = (this.next + i + 1) % this.replicas.length;
        return replica;
      }
    }
    return undefined;
  }

  // pg's overloads (callbacks, submittables) are not used by the adapter: those go to the primary as they are.
  override query(...args: any[]): any {
    const [config, values] = args;
    const text: unknown = typeof config === 'string' ? config : config?.text;
    const replica =
      args.length <= 2 && typeof values !== 'function' && typeof text === 'string' && READ.test(text) ? this.pick() : undefined;
    if (!replica) return (this.primary.query as (...a: any[]) => any)(...args);
    replica.reads += 1;
    return replica.pool.query(config, values).catch((error: unknown) => {
      const failure = replicaCannotAnswer(error);
      if (!failure) throw error;
      if (failure.down) this.skip(replica, `failed: ${(error as Error).message}`);
      replica.fallbacks += 1;
      return this.primary.query(config, values);
    });
  }

  override connect(...args: any[]): any {
    return (this.primary.connect as (...a: any[]) => any)(...args);
  }

  override async end(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.checking;
    await Promise.all(this.replicas.map((r) => r.pool.end().catch(() => {})));
  }

  private skip(replica: Replica, reason: string) {
    replica.healthy = false;
    replica.reason = reason;
  }

  /** One check at a time: the primary's position, then each replica's state and replay position. */
  private check(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return (this.checking ??= this.checkAll().finally(() => {
      this.checking = undefined;
    }));
  }

  private async checkAll() {
    const deadline = Math.max(500, this.settings.checkMs * 2);
    const within = <T>(work: Promise<T>) =>
      Promise.race([
        work,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${deadline} ms`)), deadline).unref()),
      ]);
    let primaryLsn: bigint;
    try {
      const { rows } = await within(this.monitor.query<{ lsn: string }>(PRIMARY_POSITION));
      primaryLsn = lsn(rows[0]?.lsn);
    } catch {
      return; // the primary is away: keep the replicas' last state (reads fall back anyway)
    }
    const now = Date.now();
    this.history.push({ at: now, lsn: primaryLsn });
    // Enough history to measure lags a little past the limit.
    const keepSince = now - 2 * this.settings.maxLagMs - 2 * this.settings.checkMs;
    while (this.history.length > 2 && this.history[0]!.at < keepSince) this.history.shift();
    if (this.fencePending) {
      if (primaryLsn > this.fenceLsn) this.fenceLsn = primaryLsn;
      this.fencePending = false;
    }
    await Promise.all(
      this.replicas.map(async (replica) => {
        try {
          const { rows } = await within(
            replica.pool.query<{ standby: boolean; lsn: string | null }>(
              'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS lsn',
            ),
          );
          const row = rows[0]!;
          if (!row.standby) return this.skip(replica, 'not a standby (promoted?): it no longer follows the primary');
          replica.replayLsn = lsn(row.lsn);
          replica.lagMs = this.lagOf(replica.replayLsn, now);
          if (replica.lagMs > this.settings.maxLagMs) return this.skip(replica, `${replica.lagMs} ms behind the primary`);
          replica.healthy = true;
          replica.reason = undefined;
        } catch (error) {
          replica.lagMs = null;
          this.skip(replica, `unreachable: ${(error as Error).message}`);
        }
      }),
    );
  }

  /**
   * Time since the newest primary position the replica has replayed (it holds everything committed
   * before that moment): an upper bound, within one check interval. Caught up with the newest: 0.
   */
  private lagOf(replay: bigint, now: number): number {
    for (let i = this.history.length - 1; i >= 0; i -= 1) {
      const sample = this.history[i]!;
      if (sample.lsn <= replay) return i === this.history.length - 1 ? 0 : now - sample.at;
    }
    return now - (this.history[0]?.at ?? now);
  }
}
