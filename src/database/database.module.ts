import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TALLY_CONFIG } from '../config/config.module';
import { TallyConfig } from '../config/config';
import { dataSourceOptions } from './data-source-options';
import { migrate } from './migrate';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [TALLY_CONFIG],
      useFactory: (config: TallyConfig) => dataSourceOptions(config.databaseUrl, config.dbPoolSize),
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        await migrate(dataSource);
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
