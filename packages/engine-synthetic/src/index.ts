export { SyntheticEngine, type SyntheticEngineOptions } from './synthetic-engine';
export { SyntheticEngineConfigSchema, type SyntheticEngineConfig } from './synthetic-engine-config';
export { createRandom, type Random } from './seeded-random';
