// torch.nn.functional counterparts of the modules (F.embedding, F.cross_entropy).
export { embedding } from './embedding.js';
export type { EmbeddingFunctionalOptions } from './embedding.js';
export { crossEntropy } from './loss.js';
export type { CrossEntropyOptions, Reduction } from './loss.js';
