interface Waiting<E, R> {
  events: E[];
  /** Epoch ms past which the request behind these events has been answered without them. */
  deadline: number;
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
    /** Why events whose deadline passed while they waited were not counted. */
    private readonly expired: () => Error,
    /** The most events one transaction carries (a request is never split). */
    private readonly maxEvents = 1000,
  ) {}

  /**
   * The results of `events`, one each in order, once the transaction that counted them committed.
   * Events still waiting at `deadline` are not started: they fail with the `expired` error.
   */
  submit(key: string, events: E[], deadline = Infinity): Promise<R[]> {
    return new Promise((resolve, reject) => {
      const waiting = { events, deadline, resolve, reject };
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
      this.dropExpired(queue);
      if (queue.length === 0) break;
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

  /** Their requests were answered 503 at the deadline: counting them now would count what the client was told failed. */
  private dropExpired(queue: Waiting<E, R>[]): void {
    const now = Date.now();
    for (let i = queue.length - 1; i >= 0; i--) {
      if (queue[i].deadline < now) queue.splice(i, 1)[0].reject(this.expired());
    }
  }
}
