// torch.nn.Parameter: a Tensor that a Module registers as a parameter when it is assigned to one of
// the module's fields (`this.w = new Parameter(randn([3, 4]))`). It shares the storage of the
// tensor it wraps and requires grad unless told otherwise.
import { Tensor } from '../tensor/tensor.js';

export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) {
      throw new TypeError(`Parameter: expected a Tensor, got ${data === null ? 'null' : typeof data}`);
    }
    super(data.data, [...data.shape], data.dtype, requiresGrad);
  }
}
