// recur's package entry (browser-safe: nothing here imports node:). Node-only parts — the CLI,
// the file run store, checkpoint files — are in 'recur/node'.
export * from './tensor/index.js';

export { Module } from './nn/module.js';
export type { TensorLike, IncompatibleKeys, LoadStateDictOptions, ZeroGradOptions } from './nn/module.js';
export { Parameter } from './nn/parameter.js';
export { Linear } from './nn/linear.js';
export type { LinearOptions } from './nn/linear.js';
export { Dropout, dropout } from './nn/dropout.js';
export type { DropoutOptions } from './nn/dropout.js';
export { Embedding, embedding } from './nn/embedding.js';
export type { EmbeddingOptions, FromPretrainedOptions, EmbeddingFunctionalOptions } from './nn/embedding.js';
export { CrossEntropyLoss, crossEntropy } from './nn/loss.js';
export type { CrossEntropyOptions, Reduction } from './nn/loss.js';
export { NLLLoss, nllLoss } from './nn/nll-loss.js';
export type { NLLLossOptions } from './nn/nll-loss.js';
export { MSELoss, mseLoss } from './nn/mse-loss.js';
export type { MSELossOptions } from './nn/mse-loss.js';
export { ReLU, Tanh, Sigmoid, Softmax, LogSoftmax } from './nn/activation.js';
export type { SoftmaxOptions } from './nn/activation.js';
export * as init from './nn/init.js';
export type { InitOptions } from './nn/init.js';
export { RNN, LSTM, GRU, RNNBase, RNNCell, LSTMCell, GRUCell, RNNCellBase } from './nn/rnn.js';
export type { RNNOptions, LSTMOptions, GRUOptions, RNNBaseOptions, RecurrentInput, RNNCellOptions } from './nn/rnn.js';
export {
  PackedSequence,
  packPaddedSequence,
  padPackedSequence,
  padSequence,
  packSequence,
  unpackSequence,
  unpadSequence,
  invertPermutation,
} from './nn/utils/rnn.js';
export type { LengthsLike, PackPaddedOptions, PadPackedOptions, PadSequenceOptions } from './nn/utils/rnn.js';
export * as F from './nn/functional.js';

export { Optimizer } from './optim/optimizer.js';
export type { ParamGroup, ParamGroupInput, ParamsInput, ParamState, OptimizerStateDict } from './optim/optimizer.js';
export { Adam } from './optim/adam.js';
export type { AdamOptions, AdamParamGroup, AdamState } from './optim/adam.js';
export { AdamW } from './optim/adamw.js';
export { SGD } from './optim/sgd.js';
export type { SGDOptions, SGDParamGroup } from './optim/sgd.js';
export { clipGradNorm } from './optim/clip-grad.js';
export type { ClipGradNormOptions } from './optim/clip-grad.js';
export {
  LRScheduler,
  LinearLR,
  CosineAnnealingLR,
  SequentialLR,
  LambdaLR,
  StepLR,
  ExponentialLR,
  ConstantLR,
} from './optim/lr-scheduler.js';
export * as lr_scheduler from './optim/lr-scheduler.js';

export { PyRandom } from './data/pyrandom.js';
export type { PyRandomState } from './data/pyrandom.js';
export { DataLoader } from './data/dataloader.js';
export type { IntRng } from './data/rng.js';
export { SeqSumModDataset, collateSeqSumMod } from './tasks/seq-sum-mod.js';
export type { Sample, Batch } from './tasks/seq-sum-mod.js';
export { getTask, registerTask, taskNames, seqSumMod } from './tasks/registry.js';
export type { Task, TaskConfig } from './tasks/registry.js';
export { RnnClsNet } from './models/rnn-cls-net.js';
export { setNumThreads, getNumThreads } from './runtime/threads/pool.js';
export { kernelVariant } from './runtime/wasm/variant.js';
export type { RnnClsNetOptions, CellType } from './models/rnn-cls-net.js';

export { Trainer, makeModel, accuracy, predictOne, usableReason, NonFiniteOutputError } from './train/trainer.js';
export type { StepResult, TrainerState } from './train/trainer.js';
export { DEFAULT_CONFIG, FLAGS, PRESETS, resolveConfig, validateConfig, parseFlagValue } from './train/config.js';
export type { TrainConfig, FlagSpec } from './train/config.js';
export { evaluateModel, parseLengths } from './train/evaluate.js';
export { encodeModel, decodeModel, encodeTrainerState, decodeTrainerState } from './train/checkpoint.js';
export { serializeSafetensors, parseSafetensors, SafetensorsError } from './io/safetensors.js';
export { saveBytes, loadBytes, loadBytesWithMetadata } from './io/state-dict.js';
export type { SaveOptions } from './io/state-dict.js';
export { VERSION } from './version.js';
