export { Tensor, noGrad, isGradEnabled, makeResult, gradOf, splitResult, numel } from './tensor.js';
export type { DType, FloatArray, Storage } from './dtype.js';
export * from './ops.js';
export * from './create.js';
export { Generator, defaultGenerator, manualSeed } from './random.js';
export type { GeneratorState } from './random.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckOptions } from './gradcheck.js';
