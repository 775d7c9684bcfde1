// `npm start`: configuration from the environment, then the gateway until SIGTERM/SIGINT.
import { ConfigError, loadConfig } from './config.js';
import { DataDirLockedError } from './db/lock.js';

let loaded: ReturnType<typeof loadConfig> | undefined;
// The server's module graph (a second of CPU) loads only after the configuration holds, so a
// wrong variable is named at once.
let server: typeof import('./server/start.js') | undefined;
try {
  const config = loadConfig();
  loaded = config;
  server = await import('./server/start.js');
  const gateway = await server.startGateway(config);
  const shutdown = (signal: string) => {
    gateway.logger.info({ signal }, 'shutting down');
    // A backstop: stop() itself gives in-flight requests SHUTDOWN_TIMEOUT_MS, then cuts them.
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5_000).unref();
    gateway.stop().then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  if (error instanceof DataDirLockedError) {
    console.error(error.message);
    process.exit(1);
  }
  // A port in use or a database out of reach: one line that says what to do, no stack trace.
  const failure = loaded && server?.startupFailure(error, loaded);
  if (failure) {
    console.error(failure);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
}
