// Batches consecutive samples of an iterable dataset, as torch.utils.data.DataLoader does for an
// IterableDataset with a collate function.
import { resolveOptions } from '../util/options.js';

export interface DataLoaderOptions<S, B> {
  batchSize: number;
  collateFn: (samples: S[]) => B;
  /** Drop a last incomplete batch of a finite dataset. */
  dropLast?: boolean;
}

export class DataLoader<S, B> implements Iterable<B> {
  readonly opts: DataLoaderOptions<S, B>;

  /** `new DataLoader(dataset, { batchSize, collateFn })`, or with PyTorch's positional batch size. */
  constructor(dataset: Iterable<S>, opts: DataLoaderOptions<S, B>);
  constructor(dataset: Iterable<S>, batchSize: number, opts: Omit<DataLoaderOptions<S, B>, 'batchSize'>);
  constructor(readonly dataset: Iterable<S>, ...rest: unknown[]) {
    const opts = resolveOptions<DataLoaderOptions<S, B>>('DataLoader()', rest, ['batchSize'], ['batchSize', 'collateFn', 'dropLast']);
    this.opts = opts;
    if (typeof opts.collateFn !== 'function') throw new TypeError('DataLoader(): collateFn must be a function (recur has no default collation)');
    if (!Number.isInteger(opts.batchSize) || opts.batchSize <= 0) {
      throw new Error(`batch_size should be a positive integer value, but got batch_size=${opts.batchSize}`);
    }
  }

  *[Symbol.iterator](): Iterator<B> {
    const { batchSize, collateFn, dropLast = false } = this.opts;
    let buf: S[] = [];
    for (const s of this.dataset) {
      buf.push(s);
      if (buf.length === batchSize) {
        yield collateFn(buf);
        buf = [];
      }
    }
    if (buf.length > 0 && !dropLast) yield collateFn(buf);
  }
}
