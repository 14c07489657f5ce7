import { EngineAbortedError } from '@imageforge/engine-core';
import { ModelRegistry, ModelRegistryEntrySchema } from '@imageforge/contracts';
import { DeviceLock, EngineSet } from '../src';

const never = new AbortController().signal;

/** A promise with its resolve handle, to hold a run open for as long as a test needs. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe(DeviceLock.name, () => {
  it('runs one at a time, first come first served', async () => {
    const lock = new DeviceLock();
    const order: string[] = [];
    const first = gate();
    const runs = [
      lock.run(never, async () => {
        order.push('a start');
        await first.opened;
        order.push('a end');
      }),
      lock.run(never, async () => void order.push('b')),
      lock.run(never, async () => void order.push('c')),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['a start']);
    expect(lock.waiting).toBe(2);
    first.open();
    await Promise.all(runs);
    expect(order).toEqual(['a start', 'a end', 'b', 'c']);
  });

  it('lets an aborted waiter leave the line without running, and frees the device after a failed run', async () => {
    const lock = new DeviceLock();
    const held = gate();
    const holder = lock.run(never, () => held.opened.then(() => Promise.reject(new Error('engine fault'))));
    const leaving = new AbortController();
    let ran = false;
    const waiter = lock.run(leaving.signal, async () => void (ran = true));
    leaving.abort();
    await expect(waiter).rejects.toThrow(EngineAbortedError);
    held.open();
    await expect(holder).rejects.toThrow('engine fault');
    expect(ran).toBe(false);
    await expect(lock.run(never, async () => 'next')).resolves.toBe('next');
    await expect(lock.run(leaving.signal, async () => 'late')).rejects.toThrow(EngineAbortedError);
  });

  it('lets the holder withdraw tagged waiters from the line, which then never hold the device', async () => {
    const lock = new DeviceLock();
    expect(await lock.acquire(never)).toBe(true);
    const order: string[] = [];
    const join = (tag: string) => lock.acquire(never, tag).then((granted) => void order.push(`${tag}:${granted}`));
    const [a, b] = [join('a'), join('b')];
    const untagged = lock.run(never, async () => void order.push('untagged'));
    const [c, d] = [join('c'), join('d')];
    expect(lock.withdraw((tag) => tag === 'b' || tag === 'd')).toEqual(['b', 'd']);
    expect(lock.waiting).toBe(3);
    lock.release();
    await a;
    lock.release();
    await untagged;
    await c;
    lock.release();
    await Promise.all([b, d]);
    expect(order).toEqual(['b:false', 'd:false', 'a:true', 'untagged', 'c:true']);
    // Taken once by the first caller, then by a, the untagged run and c.
    expect(lock.runs).toBe(4);
    expect(lock.busy).toBe(false);
  });

  it('counts the time the device was held, the current hold included', async () => {
    let now = 1000;
    const lock = new DeviceLock(() => now);
    await lock.run(never, async () => void (now += 40));
    now += 100;
    const held = gate();
    const running = lock.run(never, () => held.opened);
    now += 15;
    expect(lock.busyTimeMs).toBe(55);
    held.open();
    await running;
    expect(lock.busyTimeMs).toBe(55);
  });
});

describe('EngineSet device locks', () => {
  const registry = (entries: Array<Record<string, unknown>>) => new ModelRegistry(entries.map((entry) => ModelRegistryEntrySchema.parse({ profile: 'gpt-image', ...entry })));
  const request = { model: 'm', n: 1, width: 16, height: 16, quality: 'low', background: 'opaque' as const, seed: 1, prompt: 'p', output: { format: 'png' as const } };


  it('tells each run the time it held the device, without its wait in line', async () => {
    const set = EngineSet.forQueues(registry([{ id: 'gpu', engine: { kind: 'synthetic', exclusive: true, delayMsPerImage: 30 } }]), ['images']);
    await set.loadAll();
    try {
      const held: number[] = [];
      const started = performance.now();
      const timed = (index: number) =>
        set
          .forModel('gpu')
          .generate({ ...request, model: 'gpu' }, { signal: never, onDeviceTime: (ms) => (held[index] = ms) })
          .then(() => performance.now() - started);
      const [, secondWall] = await Promise.all([timed(0), timed(1)]);
      // The second waited for the first: its wall time holds both holds, its device time only its own.
      expect(held[1]).toBeGreaterThanOrEqual(29);
      expect(secondWall).toBeGreaterThanOrEqual(held[0]! + held[1]! - 1);
    } finally {
      await set.closeAll();
    }
  });

  it('serialises the runs of exclusive engines sharing a device, and leaves the others parallel', async () => {
    const set = EngineSet.forQueues(
      registry([
        { id: 'gpu-a', engine: { kind: 'synthetic', exclusive: true, delayMsPerImage: 30 } },
        { id: 'gpu-b', engine: { kind: 'synthetic', exclusive: true, delayMsPerImage: 30, steps: 2 } },
        { id: 'free', engine: { kind: 'synthetic', delayMsPerImage: 30 } },
      ]),
      ['images'],
    );
    await set.loadAll();
    try {
      const lock = set.deviceLocks().get('cpu')!;
      expect([...set.deviceLocks().keys()]).toEqual(['cpu']);
      const runs = ['gpu-a', 'gpu-b', 'gpu-a'].map((model) => set.forModel(model).generate({ ...request, model }, { signal: never }));
      await new Promise((resolve) => setImmediate(resolve));
      // One holds the device; both others wait for it, whichever model they are.
      expect(lock.waiting).toBe(2);
      const free = set.forModel('free').generate({ ...request, model: 'free' }, { signal: never });
      expect(lock.waiting).toBe(2);
      await Promise.all([...runs, free]);
      expect(lock.waiting).toBe(0);
      expect(lock.busyTimeMs).toBeGreaterThanOrEqual(3 * 30 - 5);
    } finally {
      await set.closeAll();
    }
  });
});
