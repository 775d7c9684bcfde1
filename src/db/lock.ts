// One owner for an embedded data directory. PGlite is PostgreSQL inside one process: a second
// process on the same files (the key tool while `npm start` runs) writes past the first one's
// caches and corrupts them. The owner holds a lock file naming its pid; a lock whose process is
// gone is stale and taken over. (Not proper-lockfile: its staleness is an mtime refreshed by a
// timer, and PGlite's WASM can block the event loop longer than that during a large migration.)
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'newsroom.lock';

type Owner = { pid: number; command: string; since: string };

export class DataDirLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly owner: Owner,
  ) {
    super(
      `The embedded database ${path.dirname(lockPath)} is in use by pid ${owner.pid} (${owner.command}, since ${owner.since}; lock ${lockPath}): ` +
        'stop that process first, or, while the gateway runs, manage keys through it (createApiKey; a new database prints its first ADMIN key in the start-up log).',
    );
    this.name = 'DataDirLockedError';
  }
}

export type DataDirLock = { path: string; release(): void };

/** Takes the data directory for this process, or throws DataDirLockedError naming its owner. */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(path.resolve(dataDir), LOCK_FILE);
  const me: Owner = {
    pid: process.pid,
    command: process.argv
      .slice(1)
      .map((arg) => path.basename(arg))
      .join(' '),
    since: new Date().toISOString(),
  };
  for (let attempt = 0; ; attempt++) {
    // Written aside, then linked into place: the lock appears whole or not at all, and link()
    // fails when a lock exists.
    const draft = `${lockPath}.${process.pid}.tmp`;
    writeFileSync(draft, JSON.stringify(me));
    try {
      linkSync(draft, lockPath);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
    } finally {
      rmSync(draft, { force: true });
    }
    const owner = readOwner(lockPath);
    if (owner && isAlive(owner.pid)) throw new DataDirLockedError(lockPath, owner);
    // Stale (its process is gone) or unreadable: move it aside. Of two processes doing this at
    // once, one rename fails (the file is gone) and that one retries the exclusive create.
    try {
      renameSync(lockPath, `${lockPath}.stale-${process.pid}`);
      rmSync(`${lockPath}.stale-${process.pid}`, { force: true });
    } catch {}
  }
  const release = () => {
    process.removeListener('exit', release);
    // Only our own lock: never one that another process took over meanwhile.
    if (readOwner(lockPath)?.pid === process.pid) rmSync(lockPath, { force: true });
  };
  // A process that exits without closing the database (Ctrl-C in a script) leaves no lock behind.
  process.once('exit', release);
  return { path: lockPath, release };
}

function readOwner(lockPath: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(lockPath, 'utf8')) as Owner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}
