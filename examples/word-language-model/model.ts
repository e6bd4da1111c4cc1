// RNNModel of pytorch/examples word_language_model/model.py: encoder (embedding) → dropout →
// multi-layer LSTM/GRU (dropout between layers) → dropout → decoder (linear) → log-softmax.
// With tieWeights the decoder uses the embedding matrix as its weight ("Using the Output Embedding
// to Improve Language Models", Press & Wolf 2016), so nhid must equal ninp.
//   input (seq_len, batch) word indices, hidden (nlayers, batch, nhid) [LSTM: a pair]
//   → log-probs (seq_len·batch, ntoken), hidden'
import { Module, Embedding, LSTM, GRU, Linear, Dropout, F, init, zeros, Tensor } from 'recur';

export type Hidden = Tensor | [Tensor, Tensor];

export class RNNModel extends Module {
  ntoken: number;
  drop: Dropout;
  encoder: Embedding;
  rnn: LSTM | GRU;
  decoder: Linear;
  rnn_type: 'LSTM' | 'GRU';
  nhid: number;
  nlayers: number;

  constructor(rnnType: 'LSTM' | 'GRU', ntoken: number, ninp: number, nhid: number, nlayers: number, dropout = 0.5, tieWeights = false) {
    super();
    this.ntoken = ntoken;
    this.drop = new Dropout(dropout);
    this.encoder = new Embedding(ntoken, ninp);
    if (rnnType === 'LSTM') this.rnn = new LSTM(ninp, nhid, { numLayers: nlayers, dropout });
    else if (rnnType === 'GRU') this.rnn = new GRU(ninp, nhid, { numLayers: nlayers, dropout });
    else throw new Error(`An invalid option for \`--model\` was supplied, options are ['LSTM', 'GRU'], got '${String(rnnType)}'`);
    this.decoder = new Linear(nhid, ntoken);
    // Optionally tie weights as in "Using the Output Embedding to Improve Language Models" (Press & Wolf 2016)
    if (tieWeights) {
      if (nhid !== ninp) throw new Error('When using the tied flag, nhid must be equal to emsize');
      this.decoder.weight = this.encoder.weight;
    }
    this.initWeights();
    this.rnn_type = rnnType;
    this.nhid = nhid;
    this.nlayers = nlayers;
  }

  initWeights(): void {
    const initrange = 0.1;
    init.uniform_(this.encoder.weight, -initrange, initrange);
    init.zeros_(this.decoder.bias!);
    init.uniform_(this.decoder.weight, -initrange, initrange);
  }

  forward(input: Tensor, hidden: Hidden): [Tensor, Hidden] {
    const emb = this.drop.forward(this.encoder.forward(input));
    let output: Tensor;
    if (this.rnn instanceof LSTM) [output, hidden] = this.rnn.forward(emb, hidden as [Tensor, Tensor]);
    else [output, hidden] = this.rnn.forward(emb, hidden as Tensor);
    output = this.drop.forward(output);
    let decoded = this.decoder.forward(output);
    decoded = decoded.view(-1, this.ntoken);
    return [F.logSoftmax(decoded, 1), hidden];
  }

  initHidden(bsz: number): Hidden {
    const dtype = this.encoder.weight.dtype;
    if (this.rnn_type === 'LSTM') return [zeros([this.nlayers, bsz, this.nhid], { dtype }), zeros([this.nlayers, bsz, this.nhid], { dtype })];
    return zeros([this.nlayers, bsz, this.nhid], { dtype });
  }
}
