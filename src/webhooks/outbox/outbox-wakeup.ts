import { Injectable } from '@nestjs/common';

/**
 * How a commit that wrote events tells this instance's delivery worker to look now rather than at
 * its next poll. Other instances find the events at their next poll.
 */
@Injectable()
export class OutboxWakeup {
  private waiting: (() => void) | undefined;
  private pending = false;

  wake(): void {
    this.pending = true;
    this.waiting?.();
  }

  /** Resolves after `ms`, or at once when woken (also by a wake that came while nobody waited). */
  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting = done;
    });
  }
}
