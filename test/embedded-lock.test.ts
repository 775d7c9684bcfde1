// One owner for the embedded database: a gateway holds its PGlite data directory; a second
// process (the key tool, a second `npm start`) is refused with a one-line message naming the lock,
// without touching the data; a fresh database prints its first ADMIN key at start.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../src/db/lock.js';
import { distCommand, migratedDataDir, onPostgres, waitUntilReady } from './helpers.js';

// The lock guards the embedded default only: this runs once, on the PGlite pass.
describe.skipIf(onPostgres)('one owner for a PGlite data directory', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'newsroom-lock-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('a second opener is refused, naming the owner and the lock file, and the files stay untouched', async () => {
    const dir = await tempDir();
    const lock = lockDataDir(dir);
    try {
      const before = await readdir(dir);
      const refused = await openDatabase({ kind: 'pglite', dataDir: dir }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(DataDirLockedError);
      expect((refused as Error).message).toContain(`pid ${process.pid}`);
      expect((refused as Error).message).toContain(path.join(dir, LOCK_FILE));
      expect((refused as Error).message).not.toContain('\n');
      expect(await readdir(dir)).toEqual(before); // PGlite never opened it
    } finally {
      lock.release();
    }
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('a lock left by a process that is gone is taken over', async () => {
    const dir = await tempDir();
    const gone = spawn(process.execPath, ['-e', '']);
    const pid = gone.pid!;
    await new Promise((resolve) => gone.on('exit', resolve));
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid, command: 'main.ts', since: new Date(0).toISOString() }));
    const lock = lockDataDir(dir);
    expect(JSON.parse(await readFile(lock.path, 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  describe('with `npm start` running (real processes)', () => {
    let dataDir: string;
    let gateway: ChildProcess;
    let output = '';
    let base: string;
    const env = (extra: Record<string, string> = {}) => ({
      ...process.env,
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
      SEED_DEMO: 'false',
      SCHEDULER_INTERVAL_MS: '0',
      POPULARITY_REFRESH_MS: '0',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      ...extra,
    });
    /** Runs a script to its end: exit code and everything it printed. */
    const run = (args: string[], extra: Record<string, string> = {}) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, args, { env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.stderr.on('data', (chunk) => (err += chunk));
        child.on('exit', (code) => resolve({ code, out, err }));
      });

    beforeAll(async () => {
      dataDir = await migratedDataDir();
      dirs.push(dataDir);
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      gateway = spawn(process.execPath, distCommand('main'), {
        env: env({ PORT: String(port) }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      gateway.stdout!.on('data', (chunk) => (output += chunk));
      gateway.stderr!.on('data', (chunk) => (output += chunk));
      await waitUntilReady(base, gateway, () => output);
    });
    afterAll(() => {
      if (gateway?.exitCode === null) gateway.kill('SIGKILL');
    });

    it('the key tool and a second gateway are refused in one line; the first ADMIN key from the start-up log works; after a stop the tool sees it', {
      timeout: 180_000,
    }, async () => {
      const line = output.split('\n').find((l) => l.includes('first ADMIN key'));
      expect(line, output).toBeDefined();
      const key = JSON.parse(line!).key as string;
      expect(key).toMatch(/^nrk_/);

      const [tool, second] = await Promise.all([
        run([...distCommand('scripts/apikey.ts'), 'create', '--role', 'ADMIN', '--name', 'Second admin']),
        run(distCommand('main'), { PORT: String(await freePort()) }),
      ]);
      for (const refused of [tool, second]) {
        expect(refused.code, refused.err + refused.out).toBe(1);
        expect(refused.out).toBe('');
        expect(refused.err.trim().split('\n')).toHaveLength(1);
        expect(refused.err).toContain(`in use by pid ${gateway.pid} (main.js`);
        expect(refused.err).toContain(path.join(dataDir, LOCK_FILE));
      }

      // The running gateway knows the first key, and nothing else was written.
      const keys = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ apiKeys { name role } }' }),
      });
      expect(keys.status).toBe(200);
      expect((await keys.json()).data.apiKeys).toEqual([{ name: 'First admin (start-up log)', role: 'ADMIN' }]);

      gateway.kill('SIGTERM');
      await new Promise((resolve) => gateway.once('exit', resolve));
      expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
      const listed = await run([...distCommand('scripts/apikey.ts'), 'list']);
      expect(listed.code, listed.err).toBe(0);
      expect(listed.out).toMatch(/#1\tADMIN\tnrk_[\w-]+…\tFirst admin \(start-up log\)\tlast used /);
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
