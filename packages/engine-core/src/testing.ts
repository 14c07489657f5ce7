/** Test-only entry: the engine conformance suite and its input fixtures (uses jest globals). */
export {
  describeImageEngineContract,
  leftHalfTransparentMask,
  patternImage,
  type ImageEngineContractOptions,
} from './engine-contract';
