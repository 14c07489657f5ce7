export { SyntheticEngine, type SyntheticEngineOptions } from './synthetic-engine';
