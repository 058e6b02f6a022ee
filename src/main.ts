import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, TallyConfig, loadConfig } from './config/config';
import { EmbeddedDatabase } from './database/embedded-database';

function configOrExit(): TallyConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // One line naming the variable; no stack trace for a typo in configuration.
    process.stderr.write(`tally: invalid configuration: ${error.message}\n`);
    process.exit(1);
  }
}

async function bootstrap(): Promise<void> {
  const logger = new Logger('Tally');
  let config = configOrExit();

  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = new EmbeddedDatabase(config.embeddedDataDir, config.embeddedPort);
    config = { ...config, databaseUrl: await embedded.start() };
  }

  const app = await createApp(config);

  // Signals are handled here rather than with enableShutdownHooks(): app.close() runs the same
  // lifecycle hooks (buffered counts are flushed in them), and then the embedded server can be
  // stopped after the pool is closed and the process can exit 0 instead of re-raising the signal.
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`signal=${signal} shutting down`);
    try {
      await app.close();
      await embedded?.stop();
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).message}`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen(config.port, config.host);
  logger.log(`listening on http://${config.host}:${config.port}`);
}

void bootstrap();
