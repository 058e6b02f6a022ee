import { types } from 'pg';
import { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';

// int8 stays a string from pg; counts are converted where they are read, never silently truncated.
types.setTypeParser(types.builtins.INT8, (value) => value);

export function dataSourceOptions(url: string, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [__dirname + '/../**/*.entity.{ts,js}'],
    migrations,
    migrationsTableName: 'migrations',
    // The schema is the migrations' alone; they run at start-up under an advisory lock (migrate.ts).
    synchronize: false,
    migrationsRun: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5000 },
  };
}
