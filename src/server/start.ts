// Starting the gateway: open the database, migrate, load the demo on first start, listen.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { openDatabase } from '../db/client.js';
import { applyMigrations } from '../db/migrations.js';
import { createLogger, type Logger } from '../logger.js';
import { startScheduler } from '../newsroom/scheduler.js';
import { isEmpty, seedDemo } from '../../prisma/seed.js';
import { createGateway, type Gateway } from './gateway.js';

export type RunningGateway = Gateway & { server: Server; url: string; logger: Logger; stop(): Promise<void> };

export async function startGateway(config: Config, logger = createLogger(config.logLevel)): Promise<RunningGateway> {
  const db = await openDatabase(config.database);
  if (config.migrateOnStart) {
    const applied = await applyMigrations(db.adapterFactory);
    if (applied.length) logger.info({ applied }, 'applied migrations');
  }
  if (config.seedDemo && (await isEmpty(db.prisma))) {
    await seedDemo(db.prisma);
    logger.info('loaded the demo newsroom');
  }
  const gateway = createGateway({ config, db, logger });
  const scheduler =
    config.schedulerIntervalMs > 0
      ? startScheduler({ prisma: db.prisma, intervalMs: config.schedulerIntervalMs, logger: logger.child({ component: 'scheduler' }) })
      : undefined;
  const server = createServer(gateway.yoga);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host}:${port}/graphql`;
  logger.info({ url, database: db.kind }, 'gateway ready');
  return {
    ...gateway,
    server,
    url,
    logger,
    async stop() {
      await scheduler?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await db.close();
    },
  };
}
