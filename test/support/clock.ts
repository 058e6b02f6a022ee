/**
 * Sets the app's clock (the test and the app share one process): only `Date` is faked, frozen at
 * `iso`; timers, microtasks and `performance` stay real, so the server, the pool and the buffered
 * flusher run as ever. For what happens at a given moment (a plan change "now", an invoice run
 * after a period ends) without waiting for it. Undo with jest.useRealTimers().
 */
export function clockAt(iso: string): void {
  jest.useFakeTimers({
    now: new Date(iso),
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}
