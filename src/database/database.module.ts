import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TallyConfig } from '../config/config';
import { dataSourceOptions } from './data-source-options';
import { migrate } from './migrate';

/**
 * The pool of work that is not a request: the billing rollup and the portal's daily fold. Their
 * statements may rightly outlast REQUEST_TIMEOUT_MS (a period of millions of events summed in one
 * statement), so its connections carry no statement or lock timeout and are never cut for a
 * slow answer. Inject it with @InjectDataSource(BACKGROUND_DB).
 */
export const BACKGROUND_DB = 'background';
const BACKGROUND_POOL_SIZE = 4;

@Module({})
export class DatabaseModule {
  /**
   * The pool, migrated before anything can use it; the migration lock's session is made from the
   * same config. Migrations run on a connection of their own without the request deadline: a
   * migration may rightly take longer than any request.
   */
  static forRoot(config: TallyConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(config),
          dataSourceFactory: async (options) => {
            const migrating = await new DataSource(dataSourceOptions({ databaseUrl: config.databaseUrl, dbPoolSize: 1 })).initialize();
            try {
              await migrate(migrating, config);
            } finally {
              await migrating.destroy();
            }
            return new DataSource(options!).initialize();
          },
        }),
        TypeOrmModule.forRootAsync({
          name: BACKGROUND_DB,
          useFactory: () => ({
            ...dataSourceOptions({ databaseUrl: config.databaseUrl, dbPoolSize: Math.min(BACKGROUND_POOL_SIZE, config.dbPoolSize) }),
            name: BACKGROUND_DB,
          }),
        }),
      ],
    };
  }
}
