// torch.nn.utils.rnn: packing utilities for batches of variable-length sequences.
//   pack.ts       packPaddedSequence, padPackedSequence, invertPermutation (one gather/scatter node each)
//   sequences.ts  padSequence, packSequence, unpackSequence, unpadSequence
export { PackedSequence } from './packed-sequence.js';
export { packPaddedSequence, padPackedSequence, invertPermutation, lengthsToArray } from './pack.js';
export type { LengthsLike, PackPaddedOptions, PadPackedOptions } from './pack.js';
export { padSequence, packSequence, unpackSequence, unpadSequence } from './sequences.js';
export type { PadSequenceOptions } from './sequences.js';
