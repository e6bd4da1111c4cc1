// torch.nn.functional counterparts of the modules, with PyTorch's names in camelCase
// (F.log_softmax → F.logSoftmax, F.nll_loss → F.nllLoss, F.one_hot → F.oneHot).
export { embedding } from './embedding.js';
export type { EmbeddingFunctionalOptions } from './embedding.js';
export { crossEntropy } from './loss.js';
export type { CrossEntropyOptions, Reduction } from './loss.js';
export { nllLoss } from './nll-loss.js';
export type { NLLLossOptions } from './nll-loss.js';
export { mseLoss } from './mse-loss.js';
export type { MSELossOptions } from './mse-loss.js';
export { softmax, logSoftmax, relu, tanh, sigmoid } from './activation.js';
export type { SoftmaxOptions } from './activation.js';
export { dropout } from './dropout.js';
export { oneHot } from '../tensor/indexing.js';
