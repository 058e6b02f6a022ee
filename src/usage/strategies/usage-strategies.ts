import { Injectable } from '@nestjs/common';
import { Strategy } from '../../catalog/features/feature.entity';
import { CounterRef } from '../counters/counter-key';
import { AtomicStrategy } from './atomic.strategy';
import { BufferedStrategy } from './buffered.strategy';
import { OptimisticStrategy } from './optimistic.strategy';
import { PessimisticStrategy } from './pessimistic.strategy';
import { UsageStrategy } from './usage-strategy';

/** The strategy each feature names, by name; callers see only the UsageStrategy interface. */
@Injectable()
export class UsageStrategies {
  private readonly byName: Record<Strategy, UsageStrategy>;

  constructor(atomic: AtomicStrategy, pessimistic: PessimisticStrategy, optimistic: OptimisticStrategy, buffered: BufferedStrategy) {
    this.byName = { atomic, pessimistic, optimistic, buffered };
  }

  of(strategy: Strategy): UsageStrategy {
    return this.byName[strategy];
  }

  /** What a counter row lacks of the accepted count, whichever strategy counts it. */
  unflushed(counter: CounterRef): bigint {
    return Object.values(this.byName).reduce((sum, s) => sum + s.unflushed(counter), 0n);
  }

  /** Runs `work` with every strategy's batching held open. */
  inBatch<T>(work: () => Promise<T>): Promise<T> {
    return Object.values(this.byName).reduceRight<() => Promise<T>>((inner, s) => () => s.inBatch(inner), work)();
  }
}
