// LSTMTagger from PyTorch's "Sequence Models and Long Short-Term Memory Networks" tutorial
// (beginner_source/nlp/sequence_models_tutorial.py): embeddings → LSTM → linear → log-softmax,
// one sentence at a time (batch of 1). Field names are PyTorch's, so state-dict keys match.
import { Module, Embedding, LSTM, Linear, F, Tensor } from 'recur';

export class LSTMTagger extends Module {
  hidden_dim: number;
  word_embeddings: Embedding;
  lstm: LSTM;
  hidden2tag: Linear;

  constructor(embeddingDim: number, hiddenDim: number, vocabSize: number, tagsetSize: number) {
    super();
    this.hidden_dim = hiddenDim;
    // The LSTM takes word embeddings as inputs, and outputs hidden states with dimensionality hiddenDim.
    this.word_embeddings = new Embedding(vocabSize, embeddingDim);
    this.lstm = new LSTM(embeddingDim, hiddenDim);
    // The linear layer that maps from hidden state space to tag space.
    this.hidden2tag = new Linear(hiddenDim, tagsetSize);
  }

  /** sentence: int64 (L) word indices → log-probabilities of each tag, (L, tagsetSize). */
  forward(sentence: Tensor): Tensor {
    const L = sentence.size(0);
    const embeds = this.word_embeddings.forward(sentence);
    const [lstmOut] = this.lstm.forward(embeds.view(L, 1, -1));
    const tagSpace = this.hidden2tag.forward(lstmOut.view(L, -1));
    return F.logSoftmax(tagSpace, 1);
  }
}
