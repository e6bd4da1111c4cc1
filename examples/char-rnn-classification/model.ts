// The RNN of PyTorch's "NLP From Scratch: Classifying Names with a Character-Level RNN" tutorial
// (intermediate_source/char_rnn_classification_tutorial.py): two linear layers on the concatenated
// input and hidden state, and a log-softmax output. One letter per call:
//   input (1, n_letters), hidden (1, hidden_size) → output (1, output_size) log-probs, hidden'.
import { Module, Linear, LogSoftmax, cat, zeros, Tensor } from 'recur';

export class RNN extends Module {
  hidden_size: number;
  i2h: Linear;
  i2o: Linear;
  softmax: LogSoftmax;

  constructor(inputSize: number, hiddenSize: number, outputSize: number) {
    super();
    this.hidden_size = hiddenSize;
    this.i2h = new Linear(inputSize + hiddenSize, hiddenSize);
    this.i2o = new Linear(inputSize + hiddenSize, outputSize);
    this.softmax = new LogSoftmax(1);
  }

  forward(input: Tensor, hidden: Tensor): [Tensor, Tensor] {
    const combined = cat([input, hidden], 1);
    hidden = this.i2h.forward(combined);
    let output = this.i2o.forward(combined);
    output = this.softmax.forward(output);
    return [output, hidden];
  }

  initHidden(): Tensor {
    return zeros([1, this.hidden_size]);
  }
}
