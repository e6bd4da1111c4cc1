// The networks of PyTorch's "NLP From Scratch: Translation with a Sequence to Sequence Network and
// Attention" tutorial (intermediate_source/seq2seq_translation_tutorial.py):
//   EncoderRNN      input (B, L) word indices → outputs (B, L, H), hidden (1, B, H)
//   BahdanauAttention  score_j = Va·tanh(Wa·query + Ua·key_j); weights = softmax(scores);
//                      context = Σ_j weights_j key_j        query (B, 1, H), keys (B, L, H)
//   AttnDecoderRNN  one GRU step per output word on [embedding; context]; with a target the next
//                   input is the target word (teacher forcing), else the most likely word.
import { Module, Embedding, GRU, Linear, Dropout, F, bmm, cat, full, Tensor } from 'recur';

export const SOS_token = 0;
export const EOS_token = 1;

export class EncoderRNN extends Module {
  hidden_size: number;
  embedding: Embedding;
  gru: GRU;
  dropout: Dropout;

  constructor(inputSize: number, hiddenSize: number, dropoutP = 0.1) {
    super();
    this.hidden_size = hiddenSize;
    this.embedding = new Embedding(inputSize, hiddenSize);
    this.gru = new GRU(hiddenSize, hiddenSize, { batchFirst: true });
    this.dropout = new Dropout(dropoutP);
  }

  forward(input: Tensor): [Tensor, Tensor] {
    const embedded = this.dropout.forward(this.embedding.forward(input));
    const [output, hidden] = this.gru.forward(embedded);
    return [output, hidden];
  }
}

export class BahdanauAttention extends Module {
  Wa: Linear;
  Ua: Linear;
  Va: Linear;

  constructor(hiddenSize: number) {
    super();
    this.Wa = new Linear(hiddenSize, hiddenSize);
    this.Ua = new Linear(hiddenSize, hiddenSize);
    this.Va = new Linear(hiddenSize, 1);
  }

  forward(query: Tensor, keys: Tensor): [Tensor, Tensor] {
    let scores = this.Va.forward(this.Wa.forward(query).add(this.Ua.forward(keys)).tanh());
    scores = scores.squeeze(2).unsqueeze(1);
    const weights = F.softmax(scores, -1);
    const context = bmm(weights, keys);
    return [context, weights];
  }
}

export class AttnDecoderRNN extends Module {
  max_length: number;
  embedding: Embedding;
  attention: BahdanauAttention;
  gru: GRU;
  out: Linear;
  dropout: Dropout;

  constructor(hiddenSize: number, outputSize: number, maxLength: number, dropoutP = 0.1) {
    super();
    this.max_length = maxLength;
    this.embedding = new Embedding(outputSize, hiddenSize);
    this.attention = new BahdanauAttention(hiddenSize);
    this.gru = new GRU(2 * hiddenSize, hiddenSize, { batchFirst: true });
    this.out = new Linear(hiddenSize, outputSize);
    this.dropout = new Dropout(dropoutP);
  }

  /** → [log-probs (B, max_length, V), last hidden (1, B, H), attention weights (B, max_length, L)] */
  forward(encoderOutputs: Tensor, encoderHidden: Tensor, targetTensor: Tensor | null = null): [Tensor, Tensor, Tensor] {
    const batchSize = encoderOutputs.size(0);
    let decoderInput = full([batchSize, 1], SOS_token); // integer fill → int64, as torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS_token)
    let decoderHidden = encoderHidden;
    const decoderOutputs: Tensor[] = [];
    const attentions: Tensor[] = [];
    for (let i = 0; i < this.max_length; i++) {
      const [decoderOutput, hidden, attnWeights] = this.forwardStep(decoderInput, decoderHidden, encoderOutputs);
      decoderHidden = hidden;
      decoderOutputs.push(decoderOutput);
      attentions.push(attnWeights);
      if (targetTensor !== null) {
        decoderInput = targetTensor.select(1, i).unsqueeze(1); // Teacher forcing: feed the target as the next input
      } else {
        // Without teacher forcing: use its own predictions as the next input
        const [, topi] = decoderOutput.topk(1);
        decoderInput = topi.squeeze(-1).detach(); // detach from history as input
      }
    }
    const outputs = F.logSoftmax(cat(decoderOutputs, 1), -1);
    return [outputs, decoderHidden, cat(attentions, 1)];
  }

  forwardStep(input: Tensor, hidden: Tensor, encoderOutputs: Tensor): [Tensor, Tensor, Tensor] {
    const embedded = this.dropout.forward(this.embedding.forward(input));
    const query = hidden.permute(1, 0, 2);
    const [context, attnWeights] = this.attention.forward(query, encoderOutputs);
    const inputGru = cat([embedded, context], 2);
    const [output, h] = this.gru.forward(inputGru, hidden);
    return [this.out.forward(output), h, attnWeights];
  }
}
