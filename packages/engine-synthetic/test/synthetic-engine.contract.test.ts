import { describeImageEngineContract } from '@imageforge/engine-core/testing';
import { SyntheticEngine } from '../src';

describeImageEngineContract('SyntheticEngine', async () => new SyntheticEngine(), { width: 64, height: 48 });

describeImageEngineContract('SyntheticEngine with a simulated delay', async () => new SyntheticEngine({ delayMsPerImage: 8, steps: 3 }), {
  width: 33,
  height: 17,
  n: 3,
});

describeImageEngineContract('SyntheticEngine serving cached pictures', async () => new SyntheticEngine({ render: 'cached' }), { width: 40, height: 24 });
