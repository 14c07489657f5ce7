import type { JobLane } from '@imageforge/jobs';
import { CapacityGate } from '../src';

/** Lets settled acquisitions run their continuations. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Keeps `lane` waiting at the gate with `depth` acquisitions, topping it up after each grant; records grants. */
class Flood {
  readonly grants: JobLane[] = [];
  private readonly held: Array<() => void> = [];

  constructor(private readonly gate: CapacityGate) {}

  keepWaiting(lane: JobLane, depth = 2): void {
    for (let i = 0; i < depth; i++) this.wait(lane);
  }

  /** Finishes the oldest running job: its slot goes to whoever the gate picks. */
  async finishOne(): Promise<void> {
    this.held.shift()?.();
    await flush();
  }

  private wait(lane: JobLane): void {
    void this.gate.acquire(lane).then((release) => {
      this.grants.push(lane);
      this.held.push(release);
      this.wait(lane);
    });
  }
}

describe(CapacityGate.name, () => {
  it('hands a freed slot to the most urgent lane waiting: interactive, then async, then batch', async () => {
    const gate = new CapacityGate({ slots: 1 });
    const release = await gate.acquire('batch');
    const order: JobLane[] = [];
    const take = (lane: JobLane) => gate.acquire(lane).then((next) => (order.push(lane), next));
    const batch = take('batch');
    const async = take('async');
    const interactive = take('interactive');

    release();
    (await interactive)();
    (await async)();
    (await batch)();

    expect(order).toEqual(['interactive', 'async', 'batch']);
    expect(gate.snapshot()).toEqual({ running: { interactive: 0, async: 0, batch: 0 }, waiting: { interactive: 0, async: 0, batch: 0 } });
  });

  it('gives the batch lane its minimum share of slots under a constant interactive flood', async () => {
    const gate = new CapacityGate({ slots: 2, minShares: { batch: 0.1 } });
    const flood = new Flood(gate);
    flood.keepWaiting('interactive');
    flood.keepWaiting('batch');
    await flush();
    flood.grants.splice(0);

    for (let i = 0; i < 100; i++) await flood.finishOne();

    const batch = flood.grants.filter((lane) => lane === 'batch').length;
    expect(flood.grants).toHaveLength(100);
    expect(batch).toBeGreaterThanOrEqual(10);
    // A floor, not a fair split: interactive keeps the rest.
    expect(batch).toBeLessThanOrEqual(12);
  });

  it('keeps a floor for async and batch together, and none for a lane without a share', async () => {
    const gate = new CapacityGate({ slots: 1, minShares: { batch: 0.2, async: 0.1 } });
    const flood = new Flood(gate);
    for (const lane of ['interactive', 'async', 'batch'] as const) flood.keepWaiting(lane);
    await flush();
    flood.grants.splice(0);

    for (let i = 0; i < 200; i++) await flood.finishOne();

    const count = (lane: JobLane) => flood.grants.filter((granted) => granted === lane).length;
    expect(count('async')).toBeGreaterThanOrEqual(19);
    expect(count('batch')).toBeGreaterThanOrEqual(39);
    expect(count('interactive')).toBeGreaterThanOrEqual(130);

    const strict = new Flood(new CapacityGate({ slots: 1 }));
    strict.keepWaiting('interactive');
    strict.keepWaiting('batch');
    await flush();
    strict.grants.splice(0);
    for (let i = 0; i < 50; i++) await strict.finishOne();
    expect(new Set(strict.grants)).toEqual(new Set(['interactive']));
  });

  it('lets bulk work take every slot while interactive is idle, and serves a sync call at the next free slot', async () => {
    const gate = new CapacityGate({ slots: 4, minShares: { batch: 0.1, async: 0.1 } });
    const running = await Promise.all([1, 2, 3, 4].map(() => gate.acquire('batch')));
    expect(gate.snapshot().running.batch).toBe(4);
    const order: JobLane[] = [];
    const nextBatch = gate.acquire('batch').then((release) => (order.push('batch'), release));
    const sync = gate.acquire('interactive').then((release) => (order.push('interactive'), release));

    running[0]!();
    await flush();

    expect(order).toEqual(['interactive']);
    (await sync)();
    await flush();
    expect(order).toEqual(['interactive', 'batch']);
    (await nextBatch)();
    for (const release of running) release();
    expect(gate.snapshot().running).toEqual({ interactive: 0, async: 0, batch: 0 });
  });

  it('banks no credit for a bulk lane alone at the gate, so it gets no burst ahead of sync calls later', async () => {
    const gate = new CapacityGate({ slots: 1, minShares: { batch: 0.5 } });
    const flood = new Flood(gate);
    flood.keepWaiting('batch');
    for (let i = 0; i < 20; i++) await flood.finishOne();
    flood.keepWaiting('interactive');
    flood.grants.splice(0);

    for (let i = 0; i < 4; i++) await flood.finishOne();

    expect(flood.grants).toEqual(['interactive', 'batch', 'interactive', 'batch']);
  });

  it('drops a waiter whose signal aborts, rejecting with the reason and leaking no slot', async () => {
    const gate = new CapacityGate({ slots: 1 });
    const release = await gate.acquire('interactive');
    const controller = new AbortController();
    const aborted = gate.acquire('batch', controller.signal);
    const later = gate.acquire('async');

    controller.abort('imageforge:shutdown');

    await expect(aborted).rejects.toBe('imageforge:shutdown');
    expect(gate.snapshot().waiting).toEqual({ interactive: 0, async: 1, batch: 0 });
    release();
    release();
    const next = await later;
    expect(gate.snapshot().running).toEqual({ interactive: 0, async: 1, batch: 0 });
    next();
    await expect(gate.acquire('batch', controller.signal)).rejects.toBe('imageforge:shutdown');
    expect(gate.snapshot().running).toEqual({ interactive: 0, async: 0, batch: 0 });
  });

  it('tells each lane how many jobs to hold: its running ones plus the free slots, or plus one when none is free', async () => {
    const gate = new CapacityGate({ slots: 2 });
    const batch = gate.lane('batch');
    const interactive = gate.lane('interactive');
    const changes: number[] = [];
    const others: number[] = [];
    const unsubscribe = batch.onChange(() => changes.push(batch.holdLimit()));
    interactive.onChange(() => others.push(interactive.holdLimit()));

    expect(batch.holdLimit()).toBe(2);
    const first = await batch.acquire();
    const second = await batch.acquire();
    first();
    unsubscribe();
    second();

    expect(changes).toEqual([2, 3, 2]);
    // Another lane hears of it too: once the slots are taken it holds one job, not two.
    expect(others).toEqual([1, 1, 1, 2]);
    expect(batch.holdLimit()).toBe(2);
  });

  it('refuses shares that cannot all be met', () => {
    expect(() => new CapacityGate({ slots: 0 })).toThrow(/at least one slot/);
    expect(() => new CapacityGate({ slots: 1, minShares: { batch: 1.5 } })).toThrow(/between 0 and 1/);
    expect(() => new CapacityGate({ slots: 1, minShares: { batch: 0.6, async: 0.6 } })).toThrow(/more than all of the capacity/);
  });
});
