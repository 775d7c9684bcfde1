// One server process under test: the gateway (`node --import tsx src/main.ts`, what `npm start`
// runs), the baseline (bench/baseline/server.ts) or PostGraphile (bench/postgraphile/server.mjs,
// plain JS on its own Node, see postgraphile.ts), on a free loopback port, pinned to core 0
// with taskset when it exists. The bench kills it when done, on errors and on SIGINT.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { log, readCpuSeconds, readRss, repoRoot, sleep, spawnOwned, stopChild } from './common.js';
import type { ServerKind } from './modes.js';
import { postgraphileNode } from './postgraphile.js';

export type RunningServer = {
  kind: ServerKind;
  pid: number;
  url: string;
  pinned: boolean;
  /** Lines the server wrote (LOG_LEVEL=warn: warnings and errors only), last 200. */
  output: string[];
  peakRssMb(): number | null;
  cpuSeconds(): number | null;
  /** Resolves once the server has used under 10% of a core for 500 ms (abandoned requests done). */
  waitIdle(maxMs?: number): Promise<void>;
  stop(): Promise<void>;
};

const entry: Record<ServerKind, string> = {
  gateway: 'src/main.ts',
  baseline: 'bench/baseline/server.ts',
  postgraphile: 'bench/postgraphile/server.mjs',
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startServer(
  kind: ServerKind,
  options: {
    env: Record<string, string>;
    pin: boolean;
    readyTimeoutMs?: number;
    cpuProfileDir?: string;
    node?: string;
    /** Extra flags for node (e.g. V8's GC settings), before the entry point. */
    nodeFlags?: string[];
  },
): Promise<RunningServer> {
  const port = await freePort();
  const base = { ...process.env };
  delete base.DATABASE_URL; // only the bench database's variables reach the server
  delete base.DATA_DIR;
  delete base.NODE_OPTIONS;
  const env = {
    ...base,
    PORT: String(port),
    HOST: '127.0.0.1',
    SEED_DEMO: 'false',
    MIGRATE_ON_START: 'false', // the bench migrated the database already
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    GRAPHIQL: 'false',
    // The per-client rate limit would count every bench connection as one client (127.0.0.1).
    RATE_LIMIT_PER_MINUTE: '0',
    ...options.env,
  };
  const profile = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  const node = kind === 'postgraphile' ? postgraphileNode() : (options.node ?? process.execPath);
  const nodeArgs = [...profile, ...(options.nodeFlags ?? []), ...(kind === 'postgraphile' ? [] : ['--import', 'tsx']), entry[kind]];
  const command = options.pin ? 'taskset' : node;
  const args = options.pin ? ['-c', '0', node, ...nodeArgs] : nodeArgs;
  const child: ChildProcess = spawnOwned(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) output.push(line);
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start the ${kind} server`);
  const url = `http://127.0.0.1:${port}/graphql`;

  const server: RunningServer = {
    kind,
    pid,
    url,
    pinned: options.pin,
    output,
    peakRssMb: () => readRss(pid)?.peakMb ?? null,
    cpuSeconds: () => readCpuSeconds(pid),
    async waitIdle(maxMs = 60_000) {
      const deadline = Date.now() + maxMs;
      let quiet = 0;
      let last = readCpuSeconds(pid);
      while (quiet < 2 && Date.now() < deadline && last !== null) {
        await sleep(250);
        const now = readCpuSeconds(pid);
        if (now === null) return;
        quiet = now - last < 0.025 ? quiet + 1 : 0;
        last = now;
      }
    },
    stop: () => stopChild(child),
  };

  // Ready when it answers a trivial query.
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the ${kind} server exited (${child.signalCode ?? `exit ${child.exitCode}`}) before answering:\n${output.slice(-30).join('\n')}`,
      );
    }
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
        signal: AbortSignal.timeout(2000),
      });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(
        `the ${kind} server did not answer within ${(options.readyTimeoutMs ?? 90_000) / 1000} s:\n${output.slice(-30).join('\n')}`,
      );
    }
    await sleep(200);
  }
  log(`${kind} server pid ${pid} ready at ${url}${options.pin ? ' (taskset -c 0)' : ''}`);
  return server;
}
