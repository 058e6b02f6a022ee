import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/** For the TypeORM CLI only (npm run migration:*); the app builds its DataSource in database.module.ts. */
export default new DataSource(
  dataSourceOptions({ databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', dbPoolSize: 2 }),
);
