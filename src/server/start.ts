// Starting the gateway: open the database, migrate, load the demo on first start, listen.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { openDatabase, type Database } from '../db/client.js';
import { applyMigrations } from '../db/migrations.js';
import { backfillBodies } from '../newsroom/body.js';
import { isDemo, isEmpty, loadSeeders } from '../db/seeding.js';
import { createLogger, type Logger } from '../logger.js';
import { createApiKey } from '../newsroom/auth.js';
import { type Periodic, startPeriodic } from '../newsroom/jobs.js';
import { refreshPopularityIfDue } from '../newsroom/popularity.js';
import { startScheduler } from '../newsroom/scheduler.js';
import { surrogateKeysToPurge } from '../schema/index.js';
import { cdnAdapter, startCdnPurger, type CdnPurger } from './cdn-purge.js';
import { startWebhookSender } from '../newsroom/webhook-sender.js';
import { createGateway, type Gateway } from './gateway.js';
import { httpCache, type HttpCache } from './http-cache.js';
import { drainServer, isDatabaseUnavailable, observeWebhookAttempt } from './observability.js';
import { attachWebSockets, type LiveSockets } from './ws.js';

export type RunningGateway = Gateway & {
  server: Server;
  url: string;
  logger: Logger;
  sockets: LiveSockets;
  /** The HTTP cache in front of yoga (with the response cache on). */
  httpCache?: HttpCache;
  /** Purges the CDN in front by story events (CDN_PURGE set). */
  cdnPurger?: CdnPurger;
  stop(): Promise<void>;
};

/** How often a demo database gets today's e-paper and the reads of the hour (freshenDemo). */
const DEMO_FRESHEN_MS = 15 * 60_000;

/** Opens the configured database, migrates, loads the demo on first start, then serves. */
export async function startGateway(config: Config, logger = createLogger(config.logLevel)): Promise<RunningGateway> {
  const db = await openDatabase(config.database);
  try {
    return await startOn(db, config, logger);
  } catch (error) {
    await db.close().catch(() => {}); // the start failed anyway: report its error, not this one
    throw error;
  }
}

async function startOn(db: Database, config: Config, logger: Logger): Promise<RunningGateway> {
  if (config.migrateOnStart) {
    const applied = await applyMigrations(db.adapterFactory);
    if (applied.length) logger.info({ applied }, 'applied migrations');
    // Bodies stored before they had blocks are parsed once (a no-op statement afterwards).
    const parsed = await backfillBodies(db.prisma);
    if (parsed) logger.info({ articles: parsed }, 'parsed stored article bodies into blocks');
  }
  if (config.seedDemo && (await isEmpty(db.prisma))) {
    const { seedDemo } = await loadSeeders();
    await seedDemo(db.prisma);
    logger.info('loaded the demo newsroom');
  }
  // The key tool cannot open the embedded database while this process holds it: a database
  // without keys gets its first ADMIN key here, shown once (PostgreSQL users run the tool).
  if (db.kind === 'pglite' && (await db.prisma.apiKey.count()) === 0) {
    const { apiKey, key } = await createApiKey(db.prisma, { name: 'First admin (start-up log)', role: 'ADMIN' });
    logger.info({ keyId: apiKey.id, key }, 'first ADMIN key of this database, shown only now: send it as Authorization: Bearer <key>');
  }
  const running = await serveGateway({ config, db, logger });
  // A demo database stays alive on any date: today's e-paper, a week of reads (see freshenDemo).
  let demo: Periodic<void> | undefined;
  if (config.seedDemo && (await isDemo(db.prisma))) {
    const { freshenDemo } = await loadSeeders();
    demo = startPeriodic({
      intervalMs: DEMO_FRESHEN_MS,
      logger: logger.child({ component: 'demo' }),
      what: 'Keeping the demo fresh',
      task: () => freshenDemo({ prisma: db.prisma, live: running.live }),
    });
    await demo.runOnce();
  }
  return {
    ...running,
    async stop() {
      await demo?.stop();
      await running.stop();
      await db.close();
    },
  };
}

const ADDRESS_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use (another gateway?): stop it, or set PORT to a free port',
  EACCES: 'permission denied (ports below 1024 need privileges): set PORT to 1024 or above',
  EADDRNOTAVAIL: 'this machine has no such address: set HOST to one of its addresses, or 0.0.0.0',
};
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/**
 * One line saying why the gateway could not start and what to do, for what the operator can fix
 * (a port in use, a database that cannot be reached); undefined for anything else, whose stack
 * is then worth printing.
 */
export function startupFailure(error: unknown, config: Config): string | undefined {
  const chain: { code?: unknown; syscall?: unknown; message?: unknown }[] = [];
  for (let e: unknown = error; e && typeof e === 'object' && chain.length < 6; e = (e as { cause?: unknown }).cause) chain.push(e as never);
  const listen = chain.find((e) => e.syscall === 'listen' && typeof e.code === 'string' && e.code in ADDRESS_ERRORS);
  if (listen) return `Cannot listen on ${config.host}:${config.port}: ${ADDRESS_ERRORS[listen.code as string]}.`;
  if (config.database.kind !== 'postgres') return undefined;
  const unreachable =
    isDatabaseUnavailable(error) ||
    chain.some((e) => (typeof e.code === 'string' && UNREACHABLE.has(e.code)) || /Can't reach database server/.test(String(e.message)));
  if (!unreachable) return undefined;
  // The address without its password.
  const url = new URL(config.database.url);
  const where = `${url.hostname}:${url.port || 5432}${url.pathname}`;
  return `Cannot reach the database at ${where}: is PostgreSQL running there? Check DATABASE_URL (or unset it for the embedded database).`;
}

/** Serves a gateway over an open database: HTTP, WebSockets and the scheduler. Stop leaves the database open. */
export async function serveGateway({ config, db, logger }: { config: Config; db: Database; logger: Logger }): Promise<RunningGateway> {
  const gateway = createGateway({ config, db, logger });
  const scheduler =
    config.schedulerIntervalMs > 0
      ? startScheduler({
          prisma: db.prisma,
          intervalMs: config.schedulerIntervalMs,
          logger: logger.child({ component: 'scheduler' }),
          live: gateway.live,
        })
      : undefined;
  // Every gateway takes part; the JobRun row makes one of them refresh per interval.
  const popularity =
    config.popularityRefreshMs > 0
      ? startPeriodic({
          intervalMs: config.popularityRefreshMs,
          logger: logger.child({ component: 'popularity' }),
          what: 'Most Popular refresh',
          task: () => refreshPopularityIfDue(db.prisma, config.popularityRefreshMs),
        })
      : undefined;
  // Every gateway takes part; leases on the endpoints keep two from sending to one at once.
  const webhooks =
    config.webhooks.intervalMs > 0
      ? startWebhookSender({
          prisma: db.prisma,
          logger: logger.child({ component: 'webhooks' }),
          settings: config.webhooks,
          siteUrl: config.site.url,
          wakeUps: () => gateway.live.subscribe(),
          observe: observeWebhookAttempt,
        })
      : undefined;
  // With the response cache on, an HTTP cache in front of yoga answers repeated anonymous reads.
  const front = config.responseCache.enabled
    ? httpCache({
        yoga: gateway.yoga,
        observability: gateway.observability,
        frontDoor: gateway.frontDoor,
        responseCache: gateway.responseCache,
        maxEntries: config.responseCache.maxEntries,
        maxBytes: config.responseCache.maxBytes,
        maxBodyBytes: config.maxBodyBytes,
        logger: logger.child({ component: 'http-cache' }),
      })
    : undefined;
  const server = createServer(gateway.resourceLimits.serverOptions, front ? front.handler : gateway.yoga);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    // Nothing is served (a port in use): stop what started, so the caller can close the database and exit.
    await scheduler?.stop();
    await popularity?.stop();
    await webhooks?.stop();
    await gateway.live.stop();
    front?.close();
    await gateway.frontDoor.close();
    gateway.observability.close();
    throw error;
  }
  const sockets = attachWebSockets(server, gateway, config, logger.child({ component: 'ws' }));
  await gateway.live.ready();
  const adapter = cdnAdapter(config.cdnPurge.target);
  const cdnPurger = adapter
    ? startCdnPurger({
        prisma: db.prisma,
        live: gateway.live,
        adapter,
        keysOf: surrogateKeysToPurge,
        config: config.cdnPurge,
        pollMs: config.outboxPollMs,
        logger: logger.child({ component: 'cdn-purge' }),
      })
    : undefined;
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host}:${port}/graphql`;
  // The demo site and GraphiQL (the API's own address, opened in a browser).
  logger.info({ site: `http://${host}:${port}/`, graphiql: url, url, database: db.kind }, 'gateway ready');
  return {
    ...gateway,
    server,
    url,
    logger,
    sockets,
    httpCache: front,
    cdnPurger,
    async stop() {
      gateway.observability.beginShutdown(); // /readyz answers 503 from now on
      await scheduler?.stop();
      await cdnPurger?.stop();
      await popularity?.stop();
      await webhooks?.stop();
      // Live clients first: WebSockets close with 1001 and SSE streams complete, so they
      // reconnect elsewhere instead of holding the HTTP server open.
      await sockets.close();
      await gateway.live.stop();
      gateway.liveTrace?.close();
      // Stops accepting; in-flight requests get SHUTDOWN_TIMEOUT_MS to finish, then their connections are cut.
      await drainServer(server, config.shutdownTimeoutMs);
      front?.close();
      await gateway.frontDoor.close();
      gateway.observability.close();
    },
  };
}
