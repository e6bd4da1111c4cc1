// Sequence of pytorch/examples time_sequence_prediction/train.py: two stacked LSTMCells and a
// linear read-out, unrolled over the time steps of (batch, T) sine waves; after the input it can
// continue for `future` steps feeding its own output back in. Float64 throughout (the example
// calls seq.double()). input (B, T) → outputs (B, T + future).
import { Module, LSTMCell, Linear, cat, zeros, Tensor } from 'recur';

export class Sequence extends Module {
  hidden: number;
  lstm1: LSTMCell;
  lstm2: LSTMCell;
  linear: Linear;

  constructor(hidden = 51) {
    super();
    this.hidden = hidden;
    this.lstm1 = new LSTMCell(1, hidden, { dtype: 'float64' });
    this.lstm2 = new LSTMCell(hidden, hidden, { dtype: 'float64' });
    this.linear = new Linear(hidden, 1, { dtype: 'float64' });
  }

  forward(input: Tensor, future = 0): Tensor {
    const outputs: Tensor[] = [];
    const B = input.shape[0];
    let hT = zeros([B, this.hidden], { dtype: 'float64' });
    let cT = zeros([B, this.hidden], { dtype: 'float64' });
    let hT2 = zeros([B, this.hidden], { dtype: 'float64' });
    let cT2 = zeros([B, this.hidden], { dtype: 'float64' });
    let output!: Tensor;
    // for input_t in input.split(1, dim=1)
    for (let t = 0; t < input.shape[1]; t++) {
      const inputT = input.narrow(1, t, 1);
      [hT, cT] = this.lstm1.forward(inputT, [hT, cT]);
      [hT2, cT2] = this.lstm2.forward(hT, [hT2, cT2]);
      output = this.linear.forward(hT2);
      outputs.push(output);
    }
    for (let i = 0; i < future; i++) { // if we should predict the future
      [hT, cT] = this.lstm1.forward(output, [hT, cT]);
      [hT2, cT2] = this.lstm2.forward(hT, [hT2, cT2]);
      output = this.linear.forward(hT2);
      outputs.push(output);
    }
    return cat(outputs, 1);
  }
}
