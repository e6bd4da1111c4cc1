// The RNN of PyTorch's "NLP From Scratch: Generating Names with a Character-Level RNN" tutorial
// (intermediate_source/char_rnn_generation_tutorial.py): the category (language, one-hot) is an
// extra input; a second linear layer o2o mixes hidden state and output; dropout before the
// log-softmax. One letter per call:
//   category (1, n_categories), input (1, n_letters), hidden (1, hidden_size) → log-probs (1, output_size), hidden'.
import { Module, Linear, Dropout, LogSoftmax, cat, zeros, Tensor } from 'recur';

export class RNN extends Module {
  hidden_size: number;
  i2h: Linear;
  i2o: Linear;
  o2o: Linear;
  dropout: Dropout;
  softmax: LogSoftmax;

  constructor(nCategories: number, inputSize: number, hiddenSize: number, outputSize: number) {
    super();
    this.hidden_size = hiddenSize;
    this.i2h = new Linear(nCategories + inputSize + hiddenSize, hiddenSize);
    this.i2o = new Linear(nCategories + inputSize + hiddenSize, outputSize);
    this.o2o = new Linear(hiddenSize + outputSize, outputSize);
    this.dropout = new Dropout(0.1);
    this.softmax = new LogSoftmax(1);
  }

  forward(category: Tensor, input: Tensor, hidden: Tensor): [Tensor, Tensor] {
    const inputCombined = cat([category, input, hidden], 1);
    hidden = this.i2h.forward(inputCombined);
    let output = this.i2o.forward(inputCombined);
    const outputCombined = cat([hidden, output], 1);
    output = this.o2o.forward(outputCombined);
    output = this.dropout.forward(output);
    output = this.softmax.forward(output);
    return [output, hidden];
  }

  initHidden(): Tensor {
    return zeros([1, this.hidden_size]);
  }
}
