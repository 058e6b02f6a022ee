import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntitySubscriberInterface, TransactionCommitEvent } from 'typeorm';
import { WROTE_EVENTS } from './outbox.repository';
import { OutboxWakeup } from './outbox-wakeup';

/**
 * Wakes the delivery worker after the commit of a transaction that wrote events (marked by
 * OutboxRepository.emit): not before, or the worker would look before the deliveries are visible.
 */
@Injectable()
export class OutboxCommitSubscriber implements EntitySubscriberInterface, OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly wakeup: OutboxWakeup,
  ) {}

  onModuleInit(): void {
    this.db.subscribers.push(this);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (event.queryRunner.data?.[WROTE_EVENTS]) this.wakeup.wake();
  }
}
