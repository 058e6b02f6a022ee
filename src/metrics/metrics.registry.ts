import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The registry of one app instance. Not prom-client's global one: tests run several apps in one
 * process, and each must count only its own requests (and not fail on a name registered twice).
 */
export class MetricsRegistry extends Registry {
  constructor() {
    super();
    // Process metrics (CPU, memory, event-loop lag, GC) under the usual names, next to Tally's own.
    collectDefaultMetrics({ register: this });
  }
}
