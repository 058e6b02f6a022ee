import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TallyConfig } from '../config/config';
import { dataSourceOptions } from './data-source-options';
import { migrate } from './migrate';

@Module({})
export class DatabaseModule {
  /** The pool, migrated before anything can use it; the migration lock's session is made from the same config. */
  static forRoot(config: TallyConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(config),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            await migrate(dataSource, config);
            return dataSource;
          },
        }),
      ],
    };
  }
}
