#!/usr/bin/python3
"""PyTorch originals of the ports in examples/, for their trajectory fixtures and full runs.

Each example below is the PyTorch tutorial/example code it is ported from (pytorch/tutorials:
char_rnn_classification_tutorial, char_rnn_generation_tutorial, sequence_models_tutorial,
seq2seq_translation_tutorial; pytorch/examples: word_language_model, time_sequence_prediction),
with the sizes made parameters so a fixture can use a small model.

  fixtures [--out DIR]     writes, per example, DIR/<name>.init.safetensors (the initial state dict)
                           and DIR/<name>.json (config, the inputs of every step, the dropout masks
                           PyTorch drew, the loss of every step). Default DIR: test/fixtures/examples.
  data                     writes the generated data sets under examples/data/ (eng-fra.txt, corpus/).
  full <name> [k=v ...]    trains the original with its defaults (overridable) and prints a summary;
                           init_out=FILE also saves its initial state dict there, for the port's --init FILE.

Dropout masks are recorded with a forward hook on each nn.Dropout (kept = output != 0 or input == 0),
so the port replays exactly the masks PyTorch drew. Run with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import math
import os
import random
import re
import string
import sys
import time
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_interchange import save_safetensors  # noqa: E402

torch.set_num_threads(1)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO_ROOT, "examples", "data")


# ----------------------------------------------------------------------------------------------
# Recording helpers
# ----------------------------------------------------------------------------------------------
class MaskRecorder:
    """Records, for every call of the hooked nn.Dropout modules, the keep mask as a '0'/'1' string."""

    def __init__(self, *modules):
        self.masks = []
        self.hooks = [m.register_forward_hook(self.hook) for m in modules]

    def hook(self, module, inputs, output):
        if not module.training or module.p == 0:
            return
        x = inputs[0].reshape(-1)
        y = output.reshape(-1)
        keep = (y != 0) | (x == 0)
        self.masks.append("".join("1" if k else "0" for k in keep.tolist()))

    def take(self):
        m, self.masks = self.masks, []
        return m


def f(x):
    return float(x)


def write_fixture(out_dir, name, model_state, payload):
    os.makedirs(out_dir, exist_ok=True)
    save_safetensors(os.path.join(out_dir, f"{name}.init.safetensors"),
                     {k: v.detach().clone() for k, v in model_state.items()})
    payload = dict(payload)
    payload["torch"] = torch.__version__
    with open(os.path.join(out_dir, f"{name}.json"), "w") as fh:
        json.dump(payload, fh, separators=(",", ":"))
        fh.write("\n")
    print(f"wrote {name}: {len(payload.get('losses', []))} losses", file=sys.stderr)


# ----------------------------------------------------------------------------------------------
# Names data (examples/data/names/<Language>.txt, a subset of the tutorials' data/names)
# ----------------------------------------------------------------------------------------------
all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)


def unicodeToAscii(s):
    return "".join(c for c in unicodedata.normalize("NFD", s)
                   if unicodedata.category(c) != "Mn" and c in all_letters)


def read_names():
    category_lines = {}
    all_categories = []
    d = os.path.join(DATA, "names")
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".txt"):
            continue
        category = fn[:-4]
        all_categories.append(category)
        with open(os.path.join(d, fn), encoding="utf-8") as fh:
            category_lines[category] = [unicodeToAscii(line) for line in fh.read().strip().split("\n")]
    return category_lines, all_categories


def randomChoice(l):
    return l[random.randint(0, len(l) - 1)]


# ----------------------------------------------------------------------------------------------
# a. char_rnn_classification_tutorial
# ----------------------------------------------------------------------------------------------
class ClassifierRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(ClassifierRNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.i2o(combined)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


def letterToIndex(letter):
    return all_letters.find(letter)


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


def classification(n_hidden=128, n_iters=100000, learning_rate=0.005, seed=0, print_every=5000,
                   plot_every=1000, record=False):
    random.seed(seed)
    torch.manual_seed(seed)
    category_lines, all_categories = read_names()
    n_categories = len(all_categories)
    rnn = ClassifierRNN(n_letters, n_hidden, n_categories)
    init = {k: v.clone() for k, v in rnn.state_dict().items()}
    criterion = nn.NLLLoss()

    def train(category_tensor, line_tensor):
        hidden = rnn.initHidden()
        rnn.zero_grad()
        for i in range(line_tensor.size()[0]):
            output, hidden = rnn(line_tensor[i], hidden)
        loss = criterion(output, category_tensor)
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-learning_rate)
        return output, loss.item()

    steps, losses, all_losses, current_loss = [], [], [], 0
    for it in range(1, n_iters + 1):
        category = randomChoice(all_categories)
        line = randomChoice(category_lines[category])
        category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
        output, loss = train(category_tensor, lineToTensor(line))
        current_loss += loss
        losses.append(loss)
        if record:
            steps.append([all_categories.index(category), line])
        if it % print_every == 0:
            print("%d %d%% %.4f %s" % (it, it / n_iters * 100, loss, line), file=sys.stderr)
        if it % plot_every == 0:
            all_losses.append(current_loss / plot_every)
            current_loss = 0
    return init, {"config": {"n_hidden": n_hidden, "n_iters": n_iters, "learning_rate": learning_rate,
                             "seed": seed, "all_categories": all_categories},
                  "steps": steps, "losses": losses, "all_losses": all_losses}


# ----------------------------------------------------------------------------------------------
# b. char_rnn_generation_tutorial
# ----------------------------------------------------------------------------------------------
class GeneratorRNN(nn.Module):
    def __init__(self, n_categories, input_size, hidden_size, output_size):
        super(GeneratorRNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(n_categories + input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(n_categories + input_size + hidden_size, output_size)
        self.o2o = nn.Linear(hidden_size + output_size, output_size)
        self.dropout = nn.Dropout(0.1)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, category, input, hidden):
        input_combined = torch.cat((category, input, hidden), 1)
        hidden = self.i2h(input_combined)
        output = self.i2o(input_combined)
        output_combined = torch.cat((hidden, output), 1)
        output = self.o2o(output_combined)
        output = self.dropout(output)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


def generation(n_hidden=128, n_iters=100000, learning_rate=0.0005, seed=0, print_every=5000,
               plot_every=500, record=False):
    n_letters_eos = n_letters + 1  # plus EOS marker
    random.seed(seed)
    torch.manual_seed(seed)
    category_lines, all_categories = read_names()
    n_categories = len(all_categories)
    rnn = GeneratorRNN(n_categories, n_letters_eos, n_hidden, n_letters_eos)
    init = {k: v.clone() for k, v in rnn.state_dict().items()}
    rec = MaskRecorder(rnn.dropout) if record else None
    criterion = nn.NLLLoss()

    def categoryTensor(category):
        li = all_categories.index(category)
        tensor = torch.zeros(1, n_categories)
        tensor[0][li] = 1
        return tensor

    def inputTensor(line):
        tensor = torch.zeros(len(line), 1, n_letters_eos)
        for li in range(len(line)):
            tensor[li][0][all_letters.find(line[li])] = 1
        return tensor

    def targetTensor(line):
        letter_indexes = [all_letters.find(line[li]) for li in range(1, len(line))]
        letter_indexes.append(n_letters_eos - 1)  # EOS
        return torch.LongTensor(letter_indexes)

    def train(category_tensor, input_line_tensor, target_line_tensor):
        target_line_tensor.unsqueeze_(-1)
        hidden = rnn.initHidden()
        rnn.zero_grad()
        loss = torch.Tensor([0])
        for i in range(input_line_tensor.size(0)):
            output, hidden = rnn(category_tensor, input_line_tensor[i], hidden)
            l = criterion(output, target_line_tensor[i])
            loss += l
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-learning_rate)
        return output, loss.item() / input_line_tensor.size(0)

    steps, losses, all_losses, total_loss = [], [], [], 0
    for it in range(1, n_iters + 1):
        category = randomChoice(all_categories)
        line = randomChoice(category_lines[category])
        output, loss = train(categoryTensor(category), inputTensor(line), targetTensor(line))
        total_loss += loss
        losses.append(loss)
        if record:
            steps.append([all_categories.index(category), line, rec.take()])
        if it % print_every == 0:
            print("%d %d%% %.4f" % (it, it / n_iters * 100, loss), file=sys.stderr)
        if it % plot_every == 0:
            all_losses.append(total_loss / plot_every)
            total_loss = 0

    max_length = 20

    def sample(category, start_letter="A"):
        with torch.no_grad():
            category_tensor = categoryTensor(category)
            input = inputTensor(start_letter)
            hidden = rnn.initHidden()
            output_name = start_letter
            for i in range(max_length):
                output, hidden = rnn(category_tensor, input[0], hidden)
                topv, topi = output.topk(1)
                topi = topi[0][0]
                if topi == n_letters_eos - 1:
                    break
                else:
                    letter = all_letters[topi]
                    output_name += letter
                input = inputTensor(letter)
            return output_name

    rnn.eval()
    samples = {c: [sample(c, s) for s in "ABC"] for c in ("Russian", "German", "Spanish")}
    return init, {"config": {"n_hidden": n_hidden, "n_iters": n_iters, "learning_rate": learning_rate,
                             "seed": seed, "all_categories": all_categories},
                  "steps": steps, "losses": losses, "all_losses": all_losses, "samples": samples}


# ----------------------------------------------------------------------------------------------
# c. sequence_models_tutorial: LSTM part-of-speech tagger
# ----------------------------------------------------------------------------------------------
class LSTMTagger(nn.Module):
    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super(LSTMTagger, self).__init__()
        self.hidden_dim = hidden_dim
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        tag_scores = F.log_softmax(tag_space, dim=1)
        return tag_scores


def pos_tagger(epochs=300, record=False):
    torch.manual_seed(1)

    def prepare_sequence(seq, to_ix):
        idxs = [to_ix[w] for w in seq]
        return torch.tensor(idxs, dtype=torch.long)

    training_data = [
        ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
        ("Everybody read that book".split(), ["NN", "V", "DET", "NN"]),
    ]
    word_to_ix = {}
    for sent, tags in training_data:
        for word in sent:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    tag_to_ix = {"DET": 0, "NN": 1, "V": 2}
    EMBEDDING_DIM = 6
    HIDDEN_DIM = 6
    model = LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix))
    init = {k: v.clone() for k, v in model.state_dict().items()}
    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with torch.no_grad():
        inputs = prepare_sequence(training_data[0][0], word_to_ix)
        before = model(inputs)
    losses = []
    for epoch in range(epochs):
        for sentence, tags in training_data:
            model.zero_grad()
            sentence_in = prepare_sequence(sentence, word_to_ix)
            targets = prepare_sequence(tags, tag_to_ix)
            tag_scores = model(sentence_in)
            loss = loss_function(tag_scores, targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with torch.no_grad():
        inputs = prepare_sequence(training_data[0][0], word_to_ix)
        after = model(inputs)
    print("final loss %.6f" % losses[-1], file=sys.stderr)
    return init, {"config": {"epochs": epochs}, "losses": losses,
                  "tag_scores_before": before.tolist(), "tag_scores_after": after.tolist()}


# ----------------------------------------------------------------------------------------------
# d. seq2seq_translation_tutorial: GRU encoder, Bahdanau-attention decoder, teacher forcing
# ----------------------------------------------------------------------------------------------
SOS_token = 0
EOS_token = 1


class Lang:
    def __init__(self, name):
        self.name = name
        self.word2index = {}
        self.word2count = {}
        self.index2word = {0: "SOS", 1: "EOS"}
        self.n_words = 2

    def addSentence(self, sentence):
        for word in sentence.split(" "):
            self.addWord(word)

    def addWord(self, word):
        if word not in self.word2index:
            self.word2index[word] = self.n_words
            self.word2count[word] = 1
            self.index2word[self.n_words] = word
            self.n_words += 1
        else:
            self.word2count[word] += 1


def normalizeString(s):
    s = unicodeToAscii(s.lower().strip())
    s = re.sub(r"([.!?])", r" \1", s)
    s = re.sub(r"[^a-zA-Z!?]+", r" ", s)
    return s.strip()


eng_prefixes = (
    "i am ", "i m ",
    "he is", "he s ",
    "she is", "she s ",
    "you are", "you re ",
    "we are", "we re ",
    "they are", "they re "
)


def prepareData(max_length):
    # The tutorial reads eng-fra.txt and, with reverse=True, translates French to English.
    with open(os.path.join(DATA, "eng-fra.txt"), encoding="utf-8") as fh:
        lines = fh.read().strip().split("\n")
    pairs = [[normalizeString(s) for s in l.split("\t")] for l in lines]
    pairs = [list(reversed(p)) for p in pairs]
    pairs = [p for p in pairs if len(p[0].split(" ")) < max_length and len(p[1].split(" ")) < max_length
             and p[1].startswith(eng_prefixes)]
    input_lang, output_lang = Lang("fra"), Lang("eng")
    for pair in pairs:
        input_lang.addSentence(pair[0])
        output_lang.addSentence(pair[1])
    return input_lang, output_lang, pairs


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super(EncoderRNN, self).__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        output, hidden = self.gru(embedded)
        return output, hidden


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super(BahdanauAttention, self).__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)
        return context, weights


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, max_length, dropout_p=0.1):
        super(AttnDecoderRNN, self).__init__()
        self.max_length = max_length
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS_token)
        decoder_hidden = encoder_hidden
        decoder_outputs = []
        attentions = []
        for i in range(self.max_length):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(
                decoder_input, decoder_hidden, encoder_outputs)
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)
            if target_tensor is not None:
                decoder_input = target_tensor[:, i].unsqueeze(1)  # Teacher forcing
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()
        decoder_outputs = torch.cat(decoder_outputs, dim=1)
        decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
        attentions = torch.cat(attentions, dim=1)
        return decoder_outputs, decoder_hidden, attentions

    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))
        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        input_gru = torch.cat((embedded, context), dim=2)
        output, hidden = self.gru(input_gru, hidden)
        output = self.out(output)
        return output, hidden, attn_weights


def seq2seq(hidden_size=128, batch_size=32, n_epochs=80, max_length=10, learning_rate=0.001,
            seed=0, max_steps=None, print_every=5, record=False):
    random.seed(seed)
    torch.manual_seed(seed)
    input_lang, output_lang, pairs = prepareData(max_length)
    n = len(pairs)
    input_ids = torch.zeros((n, max_length), dtype=torch.long)
    target_ids = torch.zeros((n, max_length), dtype=torch.long)
    for idx, (inp, tgt) in enumerate(pairs):
        inp_ids = [input_lang.word2index[w] for w in inp.split(" ")] + [EOS_token]
        tgt_ids = [output_lang.word2index[w] for w in tgt.split(" ")] + [EOS_token]
        input_ids[idx, :len(inp_ids)] = torch.tensor(inp_ids)
        target_ids[idx, :len(tgt_ids)] = torch.tensor(tgt_ids)
    encoder = EncoderRNN(input_lang.n_words, hidden_size)
    decoder = AttnDecoderRNN(hidden_size, output_lang.n_words, max_length)
    init = {**{f"encoder.{k}": v.clone() for k, v in encoder.state_dict().items()},
            **{f"decoder.{k}": v.clone() for k, v in decoder.state_dict().items()}}
    rec = MaskRecorder(encoder.dropout, decoder.dropout) if record else None
    encoder_optimizer = optim.Adam(encoder.parameters(), lr=learning_rate)
    decoder_optimizer = optim.Adam(decoder.parameters(), lr=learning_rate)
    criterion = nn.NLLLoss()
    # RandomSampler + DataLoader(batch_size): a fresh permutation every epoch.
    g = torch.Generator().manual_seed(seed)
    steps, losses, epoch_losses = [], [], []
    for epoch in range(1, n_epochs + 1):
        perm = torch.randperm(n, generator=g).tolist()
        total_loss, nb = 0, 0
        for b in range(0, n, batch_size):
            if max_steps is not None and len(losses) >= max_steps:
                break
            idx = perm[b:b + batch_size]
            input_tensor, target_tensor = input_ids[idx], target_ids[idx]
            encoder_optimizer.zero_grad()
            decoder_optimizer.zero_grad()
            encoder_outputs, encoder_hidden = encoder(input_tensor)
            decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)
            loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
            loss.backward()
            encoder_optimizer.step()
            decoder_optimizer.step()
            total_loss += loss.item()
            nb += 1
            losses.append(loss.item())
            if record:
                steps.append([idx, rec.take()])
        if nb:
            epoch_losses.append(total_loss / nb)
        if epoch % print_every == 0 and nb:
            print("epoch %d loss %.4f" % (epoch, total_loss / nb), file=sys.stderr)
        if max_steps is not None and len(losses) >= max_steps:
            break
    def evaluate(sentence):
        with torch.no_grad():
            ids = [input_lang.word2index[w] for w in sentence.split(" ")] + [EOS_token]
            input_tensor = torch.tensor(ids, dtype=torch.long).view(1, -1)
            encoder_outputs, encoder_hidden = encoder(input_tensor)
            decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs, encoder_hidden)
            _, topi = decoder_outputs.topk(1)
            decoded_ids = topi.squeeze()
            decoded_words = []
            for idx in decoded_ids:
                if idx.item() == EOS_token:
                    decoded_words.append("<EOS>")
                    break
                decoded_words.append(output_lang.index2word[idx.item()])
        return decoded_words, decoder_attn

    encoder.eval()
    decoder.eval()
    translations = []
    for pair in pairs[:3]:
        words, attn = evaluate(pair[0])
        translations.append([pair[0], words, attn[0].tolist()])
    return init, {"translations": translations,
                  "config": {"hidden_size": hidden_size, "batch_size": batch_size, "max_length": max_length,
                             "learning_rate": learning_rate, "n_pairs": n,
                             "input_words": input_lang.n_words, "output_words": output_lang.n_words},
                  "steps": steps, "losses": losses, "epoch_losses": epoch_losses}


# ----------------------------------------------------------------------------------------------
# e. word_language_model (LSTM, tied weights, truncated BPTT, clipping, perplexity)
# ----------------------------------------------------------------------------------------------
class Dictionary(object):
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]


class Corpus(object):
    def __init__(self, path):
        self.dictionary = Dictionary()
        self.train = self.tokenize(os.path.join(path, "train.txt"))
        self.valid = self.tokenize(os.path.join(path, "valid.txt"))
        self.test = self.tokenize(os.path.join(path, "test.txt"))

    def tokenize(self, path):
        with open(path, "r", encoding="utf8") as fh:
            for line in fh:
                for word in line.split() + ["<eos>"]:
                    self.dictionary.add_word(word)
        with open(path, "r", encoding="utf8") as fh:
            idss = []
            for line in fh:
                idss.append(torch.tensor([self.dictionary.word2idx[w] for w in line.split() + ["<eos>"]],
                                         dtype=torch.int64))
            return torch.cat(idss)


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


def word_lm(emsize=200, nhid=200, nlayers=2, lr=20.0, clip=0.25, epochs=40, batch_size=20, bptt=35,
            dropout=0.2, tied=True, seed=1111, max_steps=None, rnn_dropout=None, log_interval=200, record=False):
    torch.manual_seed(seed)
    corpus = Corpus(os.path.join(DATA, "corpus"))

    def batchify(data, bsz):
        nbatch = data.size(0) // bsz
        data = data.narrow(0, 0, nbatch * bsz)
        data = data.view(bsz, -1).t().contiguous()
        return data

    eval_batch_size = 10
    train_data = batchify(corpus.train, batch_size)
    val_data = batchify(corpus.valid, eval_batch_size)
    test_data = batchify(corpus.test, eval_batch_size)
    ntokens = len(corpus.dictionary.idx2word)
    model = RNNModel("LSTM", ntokens, emsize, nhid, nlayers, dropout, tied)
    if rnn_dropout is not None:
        model.rnn.dropout = rnn_dropout
    init = {k: v.clone() for k, v in model.state_dict().items()}
    rec = MaskRecorder(model.drop) if record else None
    criterion = nn.NLLLoss()

    def repackage_hidden(h):
        if isinstance(h, torch.Tensor):
            return h.detach()
        return tuple(repackage_hidden(v) for v in h)

    def get_batch(source, i):
        seq_len = min(bptt, len(source) - 1 - i)
        data = source[i:i + seq_len]
        target = source[i + 1:i + 1 + seq_len].view(-1)
        return data, target

    def evaluate(data_source):
        model.eval()
        total_loss = 0.
        hidden = model.init_hidden(eval_batch_size)
        with torch.no_grad():
            for i in range(0, data_source.size(0) - 1, bptt):
                data, targets = get_batch(data_source, i)
                output, hidden = model(data, hidden)
                hidden = repackage_hidden(hidden)
                total_loss += len(data) * criterion(output, targets).item()
        return total_loss / (len(data_source) - 1)

    steps, losses, history = [], [], []

    def train():
        model.train()
        hidden = model.init_hidden(batch_size)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            if max_steps is not None and len(losses) >= max_steps:
                return
            data, targets = get_batch(train_data, i)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
            if record:
                steps.append([i, rec.take()])

    best_val_loss = None
    for epoch in range(1, epochs + 1):
        train()
        if max_steps is not None and len(losses) >= max_steps:
            break
        val_loss = evaluate(val_data)
        history.append({"epoch": epoch, "lr": lr, "val_loss": val_loss, "val_ppl": math.exp(val_loss)})
        print("| end of epoch %3d | lr %.2f | valid loss %5.2f | valid ppl %8.2f" % (
            epoch, lr, val_loss, math.exp(val_loss)), file=sys.stderr)
        if not best_val_loss or val_loss < best_val_loss:
            best_val_loss = val_loss
        else:
            lr /= 4.0
    test_loss = evaluate(test_data) if max_steps is None else None
    if test_loss is not None:
        print("| End of training | test loss %5.2f | test ppl %8.2f" % (test_loss, math.exp(test_loss)),
              file=sys.stderr)
    return init, {"config": {"emsize": emsize, "nhid": nhid, "nlayers": nlayers, "lr": lr, "clip": clip,
                             "batch_size": batch_size, "bptt": bptt, "dropout": dropout, "tied": tied,
                             "rnn_dropout": rnn_dropout, "ntokens": ntokens},
                  "steps": steps, "losses": losses, "history": history, "test_loss": test_loss}


# ----------------------------------------------------------------------------------------------
# f. time_sequence_prediction: LSTMCell, sine waves, MSE loss, LBFGS
# ----------------------------------------------------------------------------------------------
def sine_data(T=20, L=1000, N=100):
    # generate_sine_wave.py, with numpy's seed 2 draws recorded in the fixture.
    import numpy as np
    np.random.seed(2)
    x = np.empty((N, L), "int64")
    shifts = np.random.randint(-4 * T, 4 * T, N)
    x[:] = np.array(range(L)) + shifts.reshape(N, 1)
    data = np.sin(x / 1.0 / T).astype("float64")
    return data, shifts.tolist()


class Sequence(nn.Module):
    def __init__(self, hidden=51):
        super(Sequence, self).__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs


def time_sequence(steps=15, hidden=51, L=1000, N=100, future=1000, record=False):
    data, shifts = sine_data(L=L, N=N)
    np_seed = 0
    import numpy as np
    np.random.seed(np_seed)
    torch.manual_seed(0)
    input = torch.from_numpy(data[3:, :-1])
    target = torch.from_numpy(data[3:, 1:])
    test_input = torch.from_numpy(data[:3, :-1])
    test_target = torch.from_numpy(data[:3, 1:])
    seq = Sequence(hidden)
    seq.double()
    init = {k: v.clone() for k, v in seq.state_dict().items()}
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
    losses, test_losses = [], []
    for i in range(steps):
        print("STEP: ", i, file=sys.stderr)

        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            print("loss:", loss.item(), file=sys.stderr)
            losses.append(loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print("test loss:", loss.item(), file=sys.stderr)
            test_losses.append(loss.item())
    return init, {"config": {"steps": steps, "hidden": hidden, "L": L, "N": N, "future": future,
                             "shifts": shifts},
                  "losses": losses, "test_losses": test_losses}


# ----------------------------------------------------------------------------------------------
# Generated data sets
# ----------------------------------------------------------------------------------------------
SUBJECTS = [("i am", "je suis", 0), ("you are", "tu es", 0), ("he is", "il est", 0),
            ("she is", "elle est", 1), ("we are", "nous sommes", 2), ("they are", "ils sont", 2),
            ("they are", "elles sont", 3)]
ADJECTIVES = [  # english, masculine, feminine
    ("tired", "fatigue", "fatiguee"), ("happy", "heureux", "heureuse"), ("sad", "triste", "triste"),
    ("ready", "pret", "prete"), ("busy", "occupe", "occupee"), ("late", "en retard", "en retard"),
    ("hungry", "affame", "affamee"), ("angry", "fache", "fachee"), ("sick", "malade", "malade"),
    ("young", "jeune", "jeune"), ("old", "vieux", "vieille"), ("tall", "grand", "grande"),
    ("small", "petit", "petite"), ("strong", "fort", "forte"), ("rich", "riche", "riche"),
    ("poor", "pauvre", "pauvre"), ("lazy", "paresseux", "paresseuse"), ("calm", "calme", "calme"),
    ("free", "libre", "libre"), ("alone", "seul", "seule"), ("sure", "sur", "sure"),
    ("shy", "timide", "timide"), ("curious", "curieux", "curieuse"), ("proud", "fier", "fiere"),
    ("nervous", "nerveux", "nerveuse"), ("brave", "courageux", "courageuse"),
]
MODIFIERS = [("", ""), ("very ", "tres "), ("not ", "NEG"), ("a little ", "un peu ")]


def french_plural(adj):
    return adj if adj.endswith(("s", "x")) or adj.endswith("retard") else adj + "s"


def gen_eng_fra():
    """eng<TAB>fra pairs in the tutorial's file format, from a small fixed grammar (no randomness)."""
    lines = []
    for eng_s, fra_s, form in SUBJECTS:
        for eng_m, fra_m in MODIFIERS:
            for eng_a, masc, fem in ADJECTIVES:
                adj = masc if form in (0, 2) else fem
                if form >= 2:
                    adj = " ".join(french_plural(w) if w not in ("en",) else w for w in adj.split(" "))
                eng = f"{eng_s} {eng_m}{eng_a} ."
                if fra_m == "NEG":
                    pron, verb = fra_s.split(" ")
                    neg = "n'" if verb[0] in "aeiou" else "ne "
                    fra = f"{pron} {neg}{verb} pas {adj} ."
                    fra = fra.replace("n' ", "n'")
                else:
                    fra = f"{fra_s} {fra_m}{adj} ."
                lines.append(f"{eng}\t{fra}")
    return lines


CORPUS_WORDS = {
    "det": ["the", "a", "every", "that", "one"],
    "noun": ["cat", "dog", "bird", "child", "teacher", "farmer", "king", "queen", "river", "house",
             "garden", "ship", "horse", "doctor", "city", "tree", "book", "letter", "window", "song"],
    "adj": ["old", "young", "small", "big", "quiet", "happy", "red", "green", "tired", "clever"],
    "verb_t": ["sees", "finds", "likes", "follows", "watches", "paints", "reads", "helps", "builds", "hears"],
    "verb_i": ["sleeps", "sings", "waits", "runs", "laughs", "falls", "grows", "returns"],
    "prep": ["near", "behind", "under", "beside", "across", "inside"],
    "adv": ["slowly", "quickly", "today", "again", "often", "quietly"],
}


def gen_corpus_line(rng):
    W = CORPUS_WORDS

    def np_():
        words = [rng.choice(W["det"])]
        if rng.random() < 0.4:
            words.append(rng.choice(W["adj"]))
        words.append(rng.choice(W["noun"]))
        if rng.random() < 0.2:
            words += [rng.choice(W["prep"])] + [rng.choice(W["det"]), rng.choice(W["noun"])]
        return words

    s = np_()
    if rng.random() < 0.55:
        s += [rng.choice(W["verb_t"])] + np_()
    else:
        s += [rng.choice(W["verb_i"])]
    if rng.random() < 0.3:
        s.append(rng.choice(W["adv"]))
    if rng.random() < 0.25:
        s += ["and"] + np_() + [rng.choice(W["verb_i"])]
    return " ".join(s) + " ."


def cmd_data():
    lines = gen_eng_fra()
    with open(os.path.join(DATA, "eng-fra.txt"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"eng-fra.txt: {len(lines)} pairs", file=sys.stderr)
    rng = random.Random(2024)
    d = os.path.join(DATA, "corpus")
    os.makedirs(d, exist_ok=True)
    for name, n in (("train.txt", 1200), ("valid.txt", 150), ("test.txt", 150)):
        with open(os.path.join(d, name), "w", encoding="utf-8") as fh:
            fh.write("".join(gen_corpus_line(rng) + "\n" for _ in range(n)))
    print("corpus/: train 1200, valid 150, test 150 lines", file=sys.stderr)


# ----------------------------------------------------------------------------------------------
# Fixtures and full runs
# ----------------------------------------------------------------------------------------------
def cmd_fixtures(out):
    init, p = classification(n_hidden=16, n_iters=20, print_every=10**9, record=True)
    write_fixture(out, "char-rnn-classification", init, p)
    init, p = generation(n_hidden=16, n_iters=12, print_every=10**9, record=True)
    write_fixture(out, "char-rnn-generation", init, p)
    init, p = pos_tagger(epochs=300)
    write_fixture(out, "pos-tagger", init, p)
    init, p = seq2seq(hidden_size=16, batch_size=4, n_epochs=1, max_length=10, max_steps=6,
                      print_every=10**9, record=True)
    write_fixture(out, "seq2seq-translation", init, p)
    init, p = word_lm(emsize=16, nhid=16, nlayers=2, batch_size=4, bptt=6, max_steps=8, rnn_dropout=0.0,
                      record=True)
    write_fixture(out, "word-language-model", init, p)
    init, p = time_sequence(steps=2, hidden=12, L=41, N=7, future=10)
    write_fixture(out, "time-sequence-prediction", init, p)


FULL = {
    "char-rnn-classification": classification,
    "char-rnn-generation": generation,
    "pos-tagger": pos_tagger,
    "seq2seq-translation": seq2seq,
    "word-language-model": word_lm,
    "time-sequence-prediction": time_sequence,
}


def parse_value(v):
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(v.lower(), v)


def cmd_full(name, overrides):
    kw = {k: parse_value(v) for k, v in (o.split("=", 1) for o in overrides)}
    init_out = kw.pop("init_out", None)
    t0 = time.time()
    init, p = FULL[name](**kw)
    if init_out:
        save_safetensors(init_out, {k: v.detach().clone() for k, v in init.items()})
    summary = {"example": name, "overrides": kw, "n_steps": len(p["losses"]),
               "last_step_loss": p["losses"][-1] if p["losses"] else None}
    for key in ("all_losses", "epoch_losses", "test_losses"):
        if p.get(key):
            summary[f"last_{key}"] = p[key][-1]
    for key in ("history", "test_loss", "samples", "tag_scores_after"):
        if p.get(key) is not None:
            summary[key] = p[key][-1] if key == "history" else p[key]
    summary["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(summary, indent=1))


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv[0] == "fixtures":
        out = os.path.join(REPO_ROOT, "test", "fixtures", "examples")
        if len(argv) >= 3 and argv[1] == "--out":
            out = argv[2]
        cmd_fixtures(out)
    elif argv[0] == "data":
        cmd_data()
    elif argv[0] == "full" and len(argv) >= 2 and argv[1] in FULL:
        cmd_full(argv[1], argv[2:])
    else:
        print(f"unknown command {' '.join(argv)!r}; examples: {', '.join(FULL)}\n{__doc__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
