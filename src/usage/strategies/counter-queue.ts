interface Waiting<E, R> {
  events: E[];
  resolve: (results: R[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Combines concurrent requests for one counter. While a transaction on a counter is in flight in
 * this instance, requests for that counter wait here, and the next transaction carries all of
 * them, in arrival order: one row lock, one version check or one statement for many events
 * instead of one each, with each event still judged on its own and answered only after the
 * commit that holds it. A request that finds its counter idle goes at once, alone.
 * Across instances nothing changes: each transaction still takes the row lock, checks the
 * version or runs the conditional statement that holds the limit.
 */
export class CounterQueue<E, R> {
  /** Per counter: the requests waiting for the transaction in flight. Present while one is. */
  private readonly queues = new Map<string, Waiting<E, R>[]>();

  constructor(
    private readonly countTogether: (events: E[]) => Promise<R[]>,
    /** The most events one transaction carries (a request is never split). */
    private readonly maxEvents = 1000,
  ) {}

  /** The results of `events`, one each in order, once the transaction that counted them committed. */
  submit(key: string, events: E[]): Promise<R[]> {
    return new Promise((resolve, reject) => {
      const waiting = { events, resolve, reject };
      const queue = this.queues.get(key);
      if (queue) {
        queue.push(waiting);
        return;
      }
      this.queues.set(key, [waiting]);
      void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    while (queue.length > 0) {
      const taken = [queue.shift()!];
      let size = taken[0].events.length;
      while (queue.length > 0 && size + queue[0].events.length <= this.maxEvents) {
        size += queue[0].events.length;
        taken.push(queue.shift()!);
      }
      try {
        const results = await this.countTogether(taken.flatMap((w) => w.events));
        let at = 0;
        for (const w of taken) {
          w.resolve(results.slice(at, at + w.events.length));
          at += w.events.length;
        }
      } catch (error) {
        for (const w of taken) w.reject(error);
      }
    }
    this.queues.delete(key);
  }
}
