import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, EnvConfig, loadConfig, resolveConfig } from './config/config';
import { EmbeddedDatabase } from './database/embedded/embedded-database';
import { EmbeddedDatabaseError } from './database/embedded/embedded-database.error';
import { DrainService } from './lifecycle/drain.service';
import { EarlyLogger } from './logging/early-logger';
import { createRootLogger } from './logging/root-logger';

/** One line on stderr and exit 1: for causes the operator fixes by a setting, not a stack trace. */
function exitWith(message: string): never {
  process.stderr.write(`tally: ${message}\n`);
  process.exit(1);
}

function configOrExit(): EnvConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // One line naming the variable; no stack trace for a typo in configuration.
    exitWith(`invalid configuration: ${error.message}`);
  }
}

async function bootstrap(): Promise<void> {
  const env = configOrExit();
  const root = createRootLogger(env.logLevel);
  // JSON lines from the first one: the embedded database logs before the app exists.
  Logger.overrideLogger(new EarlyLogger(root));
  const logger = new Logger('Tally');

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = env.databaseUrl;
  if (!databaseUrl) {
    embedded = new EmbeddedDatabase(env.embeddedDataDir, env.embeddedPort);
    try {
      databaseUrl = await embedded.start();
    } catch (error) {
      if (error instanceof EmbeddedDatabaseError) exitWith(error.message);
      throw error;
    }
  }
  const config = resolveConfig(env, databaseUrl);

  const app = await createApp(config, { logger: root }).catch(async (error) => {
    await embedded?.stop();
    throw error;
  });

  // Signals are handled here rather than with enableShutdownHooks(), so that the steps run in this
  // order, each once the one before has finished:
  //   1. drain: /health/ready turns 503, new requests get 503, those in flight are answered;
  //   2. app.close(): lifecycle hooks flush buffered counts and stop the schedules, the pool
  //      closes, the listener closes;
  //   3. the embedded server (if any) stops, after the pool that used it;
  // then exit 0. All within SHUTDOWN_TIMEOUT_MS, or exit 1.
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    const started = Date.now();
    logger.log(`signal=${signal} shutting down timeoutMs=${config.shutdownTimeoutMs}`);
    setTimeout(() => {
      logger.error(`shutdown took longer than SHUTDOWN_TIMEOUT_MS=${config.shutdownTimeoutMs}; exiting 1`);
      root.flush();
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    try {
      await app.get(DrainService).drain();
      await app.close();
      await embedded?.stop();
      logger.log(`shut down ms=${Date.now() - started}`);
      root.flush();
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).message}`);
      root.flush();
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen(config.port, config.host).catch(async (error: NodeJS.ErrnoException) => {
    await app.close();
    await embedded?.stop();
    if (error.code === 'EADDRINUSE') exitWith(`port ${config.port} on ${config.host} is taken by another program: set PORT`);
    throw error;
  });
  logger.log(`listening on http://${config.host}:${config.port}`);
}

void bootstrap();
