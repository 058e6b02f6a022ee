import { ClientConfig, types } from 'pg';
import { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import { TallyConfig } from '../config/config';

// int8 stays a string from pg; counts are converted where they are read, never silently truncated.
types.setTypeParser(types.builtins.INT8, (value) => value);

/**
 * How Tally connects to PostgreSQL: the pool's connections and those kept outside it for advisory
 * locks (advisory-locks.ts) are made alike, so that both reach the same server the same way.
 */
export function connectionConfig(config: Pick<TallyConfig, 'databaseUrl'>): ClientConfig {
  return { connectionString: config.databaseUrl, connectionTimeoutMillis: 5000 };
}

export function dataSourceOptions(config: Pick<TallyConfig, 'databaseUrl' | 'dbPoolSize'>): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.databaseUrl,
    entities: [__dirname + '/../**/*.entity.{ts,js}'],
    migrations,
    migrationsTableName: 'migrations',
    // The schema is the migrations' alone; they run at start-up under an advisory lock (migrate.ts).
    synchronize: false,
    migrationsRun: false,
    // TypeORM hands `extra` to pg's Pool as it is.
    extra: { ...connectionConfig(config), max: config.dbPoolSize },
  };
}
