import { Module } from '@nestjs/common';
import { OutboxCommitSubscriber } from './outbox-commit.subscriber';
import { OutboxRepository } from './outbox.repository';
import { OutboxWakeup } from './outbox-wakeup';

/** The outbox: what modules whose changes cause events import, to write them in their transactions. */
@Module({
  providers: [OutboxRepository, OutboxWakeup, OutboxCommitSubscriber],
  exports: [OutboxRepository, OutboxWakeup],
})
export class OutboxModule {}
