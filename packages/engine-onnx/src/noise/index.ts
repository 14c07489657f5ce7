export { SeededNoise } from './seeded-noise';
