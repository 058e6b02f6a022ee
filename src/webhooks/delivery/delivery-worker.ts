import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { TallyConfig } from '../../config/config';
import { TALLY_CONFIG } from '../../config/config.module';
import { WebhookMetrics } from '../../metrics/webhook.metrics';
import { OutboxWakeup } from '../outbox/outbox-wakeup';
import { ClaimedDelivery, DeliveryRepository } from './delivery.repository';
import { retryDelayMs } from './retry-schedule';
import { signatureHeader } from './signature';
import { postWebhook } from './webhook-sender';

/** Deliveries claimed (and sent concurrently) at a time by one instance. */
const CLAIM_BATCH = 10;
/** How long past WEBHOOK_TIMEOUT_MS a claim stays leased: time to record the outcome after the POST. */
const LEASE_MARGIN_MS = 5000;

/**
 * Runs in every instance, in the background (not a request: no request deadline). Claims due
 * deliveries, POSTs them signed, records each outcome, and sleeps until the next poll or until a
 * local commit wrote events. Instances share the work through the claim's SKIP LOCKED.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly wakeup: OutboxWakeup,
    private readonly metrics: WebhookMetrics,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.metrics.readOldestFrom(() => this.deliveries.oldestUndeliveredAgeSeconds());
    this.loop = this.run();
  }

  /**
   * Stops claiming, then gives the POSTs in flight up to WEBHOOK_TIMEOUT_MS (and half the shutdown
   * budget at most) to end and be recorded. One still running after that is left to its lease:
   * another worker sends it again once the lease passes.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wakeup.wake();
    const budget = Math.min(this.config.webhookTimeoutMs + 1000, this.config.shutdownTimeoutMs / 2);
    await Promise.race([this.loop, sleep(budget, undefined, { ref: false })]);
  }

  /**
   * Up to CLAIM_BATCH deliveries in flight, each slot claimed again as soon as it frees: one
   * receiver that takes WEBHOOK_TIMEOUT_MS to answer holds one slot, not the whole instance.
   */
  private async run(): Promise<void> {
    const leaseMs = this.config.webhookTimeoutMs + LEASE_MARGIN_MS;
    const inFlight = new Set<Promise<void>>();
    while (!this.stopping) {
      if (inFlight.size >= CLAIM_BATCH) {
        await Promise.race(inFlight);
        continue;
      }
      const wanted = CLAIM_BATCH - inFlight.size;
      let claimed: ClaimedDelivery[] = [];
      try {
        claimed = await this.deliveries.claim(wanted, leaseMs);
      } catch (error) {
        this.logger.warn(`webhook claim failed error=${(error as Error).message}`);
      }
      for (const delivery of claimed) {
        // Whatever goes wrong with one delivery, the loop goes on; the lease brings that one back.
        const sending: Promise<void> = this.deliver(delivery)
          .catch((error) => this.logger.error(`webhook delivery failed delivery=${delivery.id} error=${(error as Error).message}`))
          .finally(() => inFlight.delete(sending));
        inFlight.add(sending);
      }
      // Fewer due than slots free: nothing more to claim until the next poll (or a local commit's wake-up).
      if (claimed.length < wanted && !this.stopping) await this.wakeup.sleep(this.config.webhookPollIntervalMs);
    }
    await Promise.all(inFlight);
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify({
      id: delivery.event_id,
      type: delivery.type,
      createdAt: delivery.created_at.toISOString(),
      data: delivery.data,
    });
    const sent = await postWebhook(
      delivery.url,
      body,
      {
        'content-type': 'application/json',
        'tally-event-id': delivery.event_id,
        'tally-event-type': delivery.type,
        'tally-signature': signatureHeader(delivery.secrets, body, new Date()),
      },
      { timeoutMs: this.config.webhookTimeoutMs, allowPrivate: this.config.webhookAllowPrivateNetworks },
    );
    const retryInMs = sent.ok ? undefined : retryDelayMs(this.config.webhookRetryScheduleMs, delivery.attempt);
    const status = sent.ok ? 'succeeded' : retryInMs === undefined ? 'failed' : 'pending';
    this.metrics.attempted(status === 'pending' ? 'retrying' : status);
    if (!sent.ok) {
      this.logger.warn(
        `webhook attempt failed delivery=${delivery.id} event=${delivery.event_id} attempt=${delivery.attempt} ` +
          `error=${sent.error}${retryInMs === undefined ? ' final=true' : ` retryInMs=${retryInMs}`}`,
      );
    }
    try {
      await this.deliveries.finish(delivery.id, delivery.attempt, {
        status,
        retryInMs,
        responseStatus: sent.status,
        durationMs: sent.durationMs,
        error: sent.error,
      });
    } catch (error) {
      // Not recorded: the lease passes and the delivery is sent again (at least once).
      this.logger.error(`webhook outcome not recorded delivery=${delivery.id} error=${(error as Error).message}`);
    }
  }
}
