import { CounterQueue } from './counter-queue';

const expired = () => new Error('deadline passed');

describe('CounterQueue', () => {
  it('sends a request on an idle counter at once, and combines those that arrive meanwhile', async () => {
    const transactions: number[][] = [];
    let release!: () => void;
    const firstHeld = new Promise<void>((r) => (release = r));
    const queue = new CounterQueue<number, string>(async (events) => {
      transactions.push(events);
      if (transactions.length === 1) await firstHeld;
      return events.map((e) => `r${e}`);
    }, expired);
    const first = queue.submit('a', [1]);
    expect(transactions).toEqual([[1]]);
    const second = queue.submit('a', [2, 3]);
    const third = queue.submit('a', [4]);
    const other = queue.submit('b', [9]);
    expect(transactions).toEqual([[1], [9]]);
    release();
    expect(await first).toEqual(['r1']);
    expect(await second).toEqual(['r2', 'r3']);
    expect(await third).toEqual(['r4']);
    expect(await other).toEqual(['r9']);
    expect(transactions).toEqual([[1], [9], [2, 3, 4]]);
  });

  it('never puts more than maxEvents in one transaction, nor splits a request', async () => {
    const sizes: number[] = [];
    const queue = new CounterQueue<number, number>(async (events) => {
      sizes.push(events.length);
      await new Promise((r) => setImmediate(r));
      return events;
    }, expired, 3);
    await Promise.all([queue.submit('a', [1]), queue.submit('a', [2, 3]), queue.submit('a', [4, 5]), queue.submit('a', [6])]);
    expect(sizes).toEqual([1, 2, 3]);
  });

  it('fails every request of a failed transaction, and goes on with the next', async () => {
    let calls = 0;
    const queue = new CounterQueue<number, number>(async (events) => {
      calls++;
      await new Promise((r) => setImmediate(r));
      if (calls === 2) throw new Error('connection lost');
      return events;
    }, expired);
    const results = await Promise.allSettled([queue.submit('a', [1]), queue.submit('a', [2]), queue.submit('a', [3])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(await queue.submit('a', [4])).toEqual([4]);
  });

  it('does not start requests whose deadline passed while they waited; the others go on', async () => {
    const transactions: number[][] = [];
    let release!: () => void;
    const firstHeld = new Promise<void>((r) => (release = r));
    const queue = new CounterQueue<number, number>(async (events) => {
      transactions.push(events);
      if (transactions.length === 1) await firstHeld;
      return events;
    }, expired);
    const first = queue.submit('a', [1]);
    const late = queue.submit('a', [2], Date.now() + 5);
    const timely = queue.submit('a', [3], Date.now() + 60_000);
    await new Promise((r) => setTimeout(r, 20));
    release();
    const results = await Promise.allSettled([first, late, timely]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      [1],
      'deadline passed',
      [3],
    ]);
    expect(transactions).toEqual([[1], [3]]);
  });
});
