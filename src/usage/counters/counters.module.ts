import { Module } from '@nestjs/common';
import { UsageCountersRepository } from './usage-counters.repository';

/**
 * The usage counters' SQL, for the three modules that write them: usage counts on them, a
 * cancellation writes the subscription's end onto them, the rollup closes them. Depends on
 * nothing but the database, so catalog and billing can import it without a cycle through usage.
 */
@Module({
  providers: [UsageCountersRepository],
  exports: [UsageCountersRepository],
})
export class CountersModule {}
