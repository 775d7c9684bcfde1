// Faults: PostgreSQL going away under load (through a TCP proxy we can cut), SIGTERM with a
// request in flight, a client that never finishes its request, and Redis missing or lost for
// the rate limiter.
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.js';
import { createGateway, type Gateway } from '../src/server/gateway.js';
import { drainServer } from '../src/server/observability.js';
import {
  createTestDatabase,
  databaseUrl,
  distCommand,
  keyHeader,
  onPostgres,
  migratedDataDir,
  testConfig,
  type TestDatabase,
  waitUntilReady,
} from './helpers.js';
import { TcpProxy } from './tcp-proxy.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The gateway behind a real HTTP server on a loopback port. */
async function serve(gateway: Gateway) {
  const server = createServer(gateway.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function captureLogs() {
  const lines: Record<string, any>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { lines, logger };
}

describe.skipIf(!onPostgres)('PostgreSQL lost under load (through a TCP proxy)', () => {
  const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const proxy = new TcpProxy(Number(new URL(serverUrl).port || 5432));
  let direct: TestDatabase;
  let db: Database;
  let gateway: Gateway;
  let http: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    direct = await createTestDatabase();
    await proxy.start();
    const proxied = new URL(await databaseUrl(direct));
    proxied.host = `127.0.0.1:${proxy.port}`;
    db = await openDatabase({ kind: 'postgres', url: proxied.toString(), poolSize: 4 });
    gateway = createGateway({ config: testConfig(), db, logger: pino({ level: 'silent' }) });
    http = await serve(gateway);
  });
  afterAll(async () => {
    await http?.close();
    await db?.close();
    await proxy.close();
    await direct?.dispose();
  });

  type Outcome = { status: number; code?: string; ms: number; text: string };
  /** One request; a connection failure or a hang counts as status 0. */
  async function ask(): Promise<Outcome> {
    const started = performance.now();
    try {
      const response = await fetch(`${http.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query: '{ articles(first: 5) { totalCount edges { node { slug headline } } } sections { slug } }' }),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      return { status: response.status, code: JSON.parse(text).errors?.[0]?.extensions?.code, ms: performance.now() - started, text };
    } catch (error) {
      return { status: 0, ms: performance.now() - started, text: String(error) };
    }
  }
  /** Four clients asking in a loop until stopped; returns everything they saw. */
  function load() {
    const outcomes: Outcome[] = [];
    let running = true;
    const clients = Array.from({ length: 4 }, async () => {
      while (running) outcomes.push(await ask());
    });
    return {
      outcomes,
      async stop() {
        running = false;
        await Promise.all(clients);
        return outcomes;
      },
    };
  }
  const readyz = async () => (await fetch(`${http.base}/readyz`, { signal: AbortSignal.timeout(5000) })).status;
  async function eventually(check: () => Promise<boolean>, timeoutMs: number) {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (await check()) return true;
      await pause(100);
    }
    return false;
  }
  function expectFailedFast(outcomes: Outcome[]) {
    const failed = outcomes.filter((o) => o.status !== 200);
    expect(failed.length).toBeGreaterThan(0);
    for (const outcome of failed) {
      expect(outcome.status, outcome.text).toBe(503);
      expect(outcome.code, outcome.text).toBe('DATABASE_UNAVAILABLE');
      expect(outcome.text).not.toMatch(/Connection terminated|ECONN|timeout exceeded|127\.0\.0\.1|5432|prisma|SELECT/i);
    }
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(5000);
  }

  it('when the server goes away, requests fail fast with DATABASE_UNAVAILABLE, /readyz turns 503, and service resumes by itself', async () => {
    expect((await ask()).status).toBe(200); // warm: connections open, statements planned
    const traffic = load();
    try {
      expect(await eventually(async () => traffic.outcomes.length >= 8, 10_000)).toBe(true);
      expect(traffic.outcomes.map((o) => o.status)).toEqual(traffic.outcomes.map(() => 200));
      expect(await readyz()).toBe(200);

      const cutAt = traffic.outcomes.length;
      await proxy.cut();
      expect(await eventually(async () => traffic.outcomes.slice(cutAt).filter((o) => o.status === 503).length >= 8, 10_000)).toBe(true);
      const started = performance.now();
      expect(await readyz()).toBe(503);
      expect(performance.now() - started).toBeLessThan(2000); // READY_TIMEOUT_MS, not the 3 s connection timeout
      expectFailedFast(traffic.outcomes.slice(cutAt));

      await proxy.restore();
      expect(await eventually(async () => (await readyz()) === 200, 10_000)).toBe(true);
      const restoredAt = traffic.outcomes.length;
      expect(await eventually(async () => traffic.outcomes.length >= restoredAt + 8, 10_000)).toBe(true);
      const after = traffic.outcomes.slice(restoredAt);
      expect(after.map((o) => o.status)).toEqual(after.map(() => 200));
    } finally {
      await traffic.stop();
    }
  });

  it('when the network stalls (connections hang), requests still fail within seconds, not minutes', async () => {
    expect((await ask()).status).toBe(200);
    const traffic = load();
    let outcomes: Outcome[];
    try {
      await pause(300);
      const stalledAt = traffic.outcomes.length;
      proxy.stall();
      await pause(4000);
      const started = performance.now();
      expect(await readyz()).toBe(503);
      expect(performance.now() - started).toBeLessThan(2000); // READY_TIMEOUT_MS, not the 3 s connection timeout
      await proxy.restore();
      // Requests already waiting for a connection when it came back may then succeed.
      await pause(1500);
      outcomes = (await traffic.stop()).slice(stalledAt);
    } finally {
      await traffic.stop();
    }
    expectFailedFast(outcomes);
    expect(await eventually(async () => (await ask()).status === 200, 10_000)).toBe(true);
    expect(await readyz()).toBe(200);
  });
});

describe('shutdown', () => {
  it('drainServer waits for in-flight requests, then cuts a client that never finishes', async () => {
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('done'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // One client keeps a finished keep-alive connection open; another never completes its body.
    const agent = new Agent({ keepAlive: true });
    const idle = await fetchText(port, agent);
    expect(idle).toBe('done');
    const stalled = httpRequest({ host: '127.0.0.1', port, method: 'POST', headers: { 'content-length': '100' } });
    const stalledClosed = new Promise<void>((resolve) => stalled.on('error', () => resolve()).on('close', () => resolve()));
    stalled.write('{"partial":');
    await pause(100);

    const started = performance.now();
    await drainServer(server, 700);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(650);
    expect(took).toBeLessThan(2000);
    await stalledClosed;
    expect(server.listening).toBe(false);
    agent.destroy();
  });

  it('drainServer returns at once when nothing is in flight', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const started = performance.now();
    await drainServer(server, 10_000);
    expect(performance.now() - started).toBeLessThan(500);
  });

  // The embedded database is what `npm start` uses; this runs once, on the PGlite pass.
  describe.skipIf(onPostgres)('SIGTERM to `node dist/main.js`', () => {
    let dataDir: string;
    /** A gateway still running when the test times out (its `finally` never runs) is stopped here. */
    let gateway: ChildProcess | undefined;
    beforeAll(async () => {
      dataDir = await migratedDataDir();
    });
    afterAll(async () => {
      if (gateway?.exitCode === null && gateway.signalCode === null) gateway.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    });

    it('stops accepting, finishes the request in flight and exits 0 within SHUTDOWN_TIMEOUT_MS', { timeout: 180_000 }, async () => {
      const port = await freePort();
      const shutdownTimeoutMs = 8000;
      const child = spawn(process.execPath, distCommand('main'), {
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          DATABASE_URL: '',
          REDIS_URL: '',
          SEED_DEMO: 'false',
          SCHEDULER_INTERVAL_MS: '0',
          LOG_LEVEL: 'info',
          NODE_ENV: 'production',
          SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      gateway = child;
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      try {
        const base = `http://127.0.0.1:${port}`;
        await waitUntilReady(base, child, () => output);

        // A request in flight: headers and half the body sent, the rest after SIGTERM.
        const body = JSON.stringify({ query: '{ articles(first: 1) { totalCount } }' });
        const inFlight = httpRequest({
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        });
        const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
          inFlight.on('response', (res) => {
            let text = '';
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, text }));
          });
          inFlight.on('error', reject);
        });
        inFlight.write(body.slice(0, 10));
        await pause(300);

        const signalledAt = performance.now();
        child.kill('SIGTERM');
        // New connections are refused soon after.
        const refused = await (async () => {
          const deadline = Date.now() + 3000;
          while (Date.now() < deadline) {
            const ok = await fetch(`${base}/healthz`).then(
              () => false,
              () => true,
            );
            if (ok) return true;
            await pause(50);
          }
          return false;
        })();
        expect(refused).toBe(true);
        expect(child.exitCode).toBeNull(); // still finishing the request in flight

        inFlight.end(body.slice(10));
        const { status, text } = await answer;
        expect(status).toBe(200);
        expect(JSON.parse(text)).toEqual({ data: { articles: { totalCount: 0 } } });

        const { code, signal } = await exited;
        expect({ code, signal }).toEqual({ code: 0, signal: null });
        expect(performance.now() - signalledAt).toBeLessThan(shutdownTimeoutMs);
        expect(output).toMatch(/"msg":"shutting down"/);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  });
});

const REDIS_PORT = 6379;
const redisUp = await new Promise<boolean>((resolve) => {
  const socket = net.connect(REDIS_PORT, '127.0.0.1');
  socket.setTimeout(1000);
  socket
    .once('connect', () => resolve(true))
    .once('error', () => resolve(false))
    .once('timeout', () => resolve(false));
}).then((up) => {
  if (!up) console.warn(`Redis fault test skipped: nothing listens on 127.0.0.1:${REDIS_PORT}`);
  return up;
});

// The limiter does not depend on the database kind: this runs once, on the PGlite pass.
describe.skipIf(onPostgres)('rate limits without Redis: fail open, counted in memory, logged once', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.dispose());

  async function limitedGateway(redisUrl: string) {
    const { lines, logger } = captureLogs();
    const gateway = createGateway({ config: testConfig({ REDIS_URL: redisUrl, RATE_LIMIT_PER_MINUTE: '3' }), db, logger });
    const http = await serve(gateway);
    const key = await keyHeader(db, 'WRITER');
    const ask = () =>
      fetch(`${http.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...key },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    const warnings = () => lines.filter((line) => line.component === 'rate-limit' && line.level === 40);
    return { gateway, http, ask, warnings, lines };
  }

  it('with REDIS_URL unreachable, requests are served and the limit still holds', async () => {
    const { gateway, http, ask, warnings } = await limitedGateway('redis://127.0.0.1:1');
    try {
      await gateway.frontDoor.ready();
      for (let i = 0; i < 3; i++) expect((await ask()).status).toBe(200);
      const refused = await ask();
      expect(refused.status).toBe(429);
      expect((await refused.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
      await pause(1500); // ioredis keeps retrying in the background
      expect((await ask()).status).toBe(429);
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]!.msg).toMatch(/Redis unavailable/);
    } finally {
      await http.close();
      await gateway.frontDoor.close();
    }
  });

  it.skipIf(!redisUp)('when Redis goes away mid-run, limits fall back to memory at once, and return to Redis when it is back', async () => {
    const proxy = new TcpProxy(REDIS_PORT);
    await proxy.start();
    const { gateway, http, ask, warnings, lines } = await limitedGateway(`redis://127.0.0.1:${proxy.port}`);
    try {
      await gateway.frontDoor.ready();
      expect((await ask()).status).toBe(200);
      expect(warnings()).toHaveLength(0);

      await proxy.cut();
      const started = performance.now();
      const during = await ask();
      expect(during.status).toBe(200); // served from memory, without waiting for Redis
      expect(performance.now() - started).toBeLessThan(1000);
      expect(warnings()).toHaveLength(1);

      await proxy.restore();
      const deadline = Date.now() + 15_000;
      while (!lines.some((line) => line.component === 'rate-limit' && /back/.test(line.msg)) && Date.now() < deadline) await pause(100);
      expect(lines.filter((line) => line.component === 'rate-limit' && /back/.test(line.msg))).toHaveLength(1);
      expect(warnings()).toHaveLength(1);
      // Redis still holds the one count from before the outage: two more fit, then the limit.
      expect((await ask()).status).toBe(200);
      expect((await ask()).status).toBe(200);
      expect((await ask()).status).toBe(429);
    } finally {
      await http.close();
      await gateway.frontDoor.close();
      await proxy.close();
    }
  });
});

function fetchText(port: number, agent: Agent) {
  return new Promise<string>((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, agent, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
}

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
