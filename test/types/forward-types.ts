// Type-level checks (compiled by test/docs-typecheck.test.ts): forward's types follow the data.
import {
  RNN, GRU, LSTM, RNNBase, Module, Linear, Tensor, PackedSequence, packPaddedSequence, padPackedSequence, randn,
  parseSafetensors, serializeSafetensors,
} from '../../src/index.js';

const x = randn([3, 5, 10]);
const packed = packPaddedSequence(x, [5, 2, 3], { batchFirst: true, enforceSorted: false });

// Tensor in → Tensor out; PackedSequence in → PackedSequence out.
const [t1, h1]: [Tensor, Tensor] = new RNN(10, 4, { batchFirst: true }).forward(x);
const [p1, h2]: [PackedSequence, Tensor] = new GRU(10, 4, { batchFirst: true }).forward(packed);
const [padded] = padPackedSequence(p1, { batchFirst: true });
// LSTM returns [out, [h, c]].
const [p2, [h3, c3]] = new LSTM(10, 4, 2, { batchFirst: true }).forward(packed);
const p2p: PackedSequence = p2;

// A field typed as the union (or RNNBase) is callable; the hidden state is the union of the kinds.
class Net extends Module {
  rnn: RNN | GRU | LSTM;
  base: RNNBase;
  fc = new Linear(4, 2);
  constructor(kind: 'rnn' | 'gru' | 'lstm') {
    super();
    this.rnn = kind === 'lstm' ? new LSTM(10, 4) : kind === 'gru' ? new GRU(10, 4) : new RNN(10, 4);
    this.base = this.rnn;
  }
  forward(seq: PackedSequence): Tensor {
    const [out, hidden] = this.rnn.forward(seq);
    const again = this.rnn.forward(seq, hidden);
    const o2: PackedSequence = again[0];
    const [, hb] = this.base.forward(seq, hidden);
    const h = Array.isArray(hidden) ? hidden[0] : hidden;
    const ok: Tensor | [Tensor, Tensor] = hb;
    void out; void o2; void ok;
    return this.fc.forward(h.select(0, -1));
  }
}

// safetensors results go straight into loadStateDict.
const net = new Net('lstm');
const bytes = serializeSafetensors({ 'fc.bias': { dtype: 'float32', shape: [2], data: new Float32Array(2) } });
net.loadStateDict(parseSafetensors(bytes).tensors, { strict: false });

// @ts-expect-error an LSTM's output for a Tensor input is not a PackedSequence
const wrong: PackedSequence = new LSTM(10, 4).forward(x)[0];

void t1; void h1; void h2; void padded; void h3; void c3; void p2p; void wrong;
