// A batch of variable-length sequences with the padding dropped (torch.nn.utils.rnn.PackedSequence).
//   data:            [sum(lengths), *features] — time-major: all sequences' step 0, then step 1, ...
//                    and within a step the sequences in decreasing-length order.
//   batchSizes:      int64 [maxLength]; batchSizes[t] = number of sequences longer than t.
//   sortedIndices:   int64 [B] or null; sorted position i holds original sequence sortedIndices[i].
//   unsortedIndices: int64 [B] or null; the inverse permutation.
import { Tensor } from '../../tensor/tensor.js';

export class PackedSequence {
  readonly unsortedIndices: Tensor | null;

  constructor(
    readonly data: Tensor,
    readonly batchSizes: Tensor,
    readonly sortedIndices: Tensor | null = null,
    unsortedIndices: Tensor | null = null,
  ) {
    if (!(data instanceof Tensor) || !(batchSizes instanceof Tensor)) {
      throw new Error('PackedSequence(data, batchSizes): both must be Tensors');
    }
    if (batchSizes.dtype !== 'int64' || batchSizes.ndim !== 1) {
      throw new Error(`batch_sizes should always be on CPU, 1-D and int64, got ${batchSizes.ndim}-D ${batchSizes.dtype}`);
    }
    if (sortedIndices !== null && unsortedIndices === null) {
      // As PyTorch: the inverse permutation is derived when only sortedIndices is given.
      const inv = new Int32Array(sortedIndices.data.length);
      for (let i = 0; i < inv.length; i++) inv[sortedIndices.data[i]] = i;
      unsortedIndices = new Tensor(inv, [inv.length], 'int64');
    }
    if (sortedIndices === null && unsortedIndices !== null) {
      throw new Error('PackedSequence: unsortedIndices given without sortedIndices');
    }
    this.unsortedIndices = unsortedIndices;
  }

  /** Number of sequences in the batch. */
  get batchSize(): number {
    return this.batchSizes.data.length ? this.batchSizes.data[0] : 0;
  }
}
