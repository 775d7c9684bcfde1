// The baseline server: bench/baseline/schema.ts through graphql-yoga on node:http, configured
// from the same environment as the gateway (src/config.ts: PORT, HOST, DATABASE_URL or DATA_DIR,
// DATABASE_POOL_SIZE). It neither migrates nor seeds: the bench prepares the database first.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { createBaselineYoga } from './schema.js';

const config = loadConfig();
const db = await openDatabase(config.database);
const server = createServer(createBaselineYoga(db.prisma));
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(config.port, config.host, () => resolve());
});
if (config.logLevel === 'info' || config.logLevel === 'debug' || config.logLevel === 'trace') {
  console.log(`baseline ready on http://${config.host}:${(server.address() as AddressInfo).port}/graphql (${db.kind})`);
}

const shutdown = () => {
  const force = setTimeout(() => process.exit(1), 5000).unref();
  server.close(() => {
    void db.close().finally(() => {
      clearTimeout(force);
      process.exit(0);
    });
  });
  server.closeAllConnections();
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
