#!/usr/bin/env python3
"""Writes test/fixtures/module.json: what PyTorch's nn.Module does for a set of models recur's
test/nn-module-api.test.ts rebuilds — print(model), state_dict() keys in order, named_modules(),
named_children(), parameter names, and load_state_dict's strict-mode error texts.

Run: /usr/bin/python3 tools/gen_module_fixture.py [--out FILE]   (deterministic)
"""
import argparse
import json
import os

import torch
import torch.nn as nn


class CharLM(nn.Module):
    """A character-level LSTM language model written the PyTorch way (fields, not register_*)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(76, 32)
        self.lstm = nn.LSTM(32, 128, num_layers=2, batch_first=True)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(128, 76)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10, 8, padding_idx=0)
        self.gru = nn.GRU(8, 16, bidirectional=True)


class Seq2Seq(nn.Module):
    """Nested modules, a bare Parameter assigned between modules, a buffer, a shared layer."""

    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.scale = nn.Parameter(torch.ones(3))
        self.decoder = nn.LSTMCell(16, 16)
        self.register_buffer('steps', torch.zeros(1))
        self.out = nn.Linear(16, 10, bias=False)
        self.head = self.out  # the same module under a second name
        self.loss = nn.CrossEntropyLoss()


class Assigned(nn.Module):
    """Assignment order differs from the order a TS class declares its fields in."""

    def __init__(self):
        super().__init__()
        self.b = nn.Linear(2, 3)
        self.a = nn.RNN(3, 4, nonlinearity='relu', bias=False)
        self.c = nn.RNNCell(4, 5, nonlinearity='relu')


def describe(model):
    sd = model.state_dict()
    return {
        'repr': repr(model),
        'state_dict_keys': list(sd.keys()),
        'state_dict_shapes': [list(v.shape) for v in sd.values()],
        'named_parameters': [n for n, _ in model.named_parameters()],
        'named_buffers': [n for n, _ in model.named_buffers()],
        'named_modules': [[n, type(m).__name__] for n, m in model.named_modules()],
        'named_children': [[n, type(m).__name__] for n, m in model.named_children()],
        'apply_order': apply_order(model),
    }


def apply_order(model):
    names = {id(m): n for n, m in model.named_modules()}
    order = []
    model.apply(lambda m: order.append(names[id(m)]))
    return order


def load_errors():
    """load_state_dict's messages for a CharLM given a damaged state dict."""
    m = CharLM()
    out = {}
    sd = dict(m.state_dict())
    del sd['fc.bias']
    sd['fc.extra'] = torch.zeros(2)
    sd['lstm.weight_ih_l0'] = torch.zeros(512, 16)
    for strict in (True, False):
        try:
            m.load_state_dict(sd, strict=strict)
            out[f'strict_{strict}'] = None
        except RuntimeError as e:
            out[f'strict_{strict}'] = str(e)
    sd = dict(m.state_dict())
    del sd['fc.bias']
    sd['fc.extra'] = torch.zeros(2)
    try:
        m.load_state_dict(sd)
    except RuntimeError as e:
        out['keys_only'] = str(e)
    r = m.load_state_dict(sd, strict=False)
    out['non_strict_result'] = {'missing_keys': r.missing_keys, 'unexpected_keys': r.unexpected_keys}
    return out


def single_modules():
    """print() of each built-in module recur has, with and without options."""
    cases = {
        'Linear(128, 76)': nn.Linear(128, 76),
        'Linear(4, 2, bias=False)': nn.Linear(4, 2, bias=False),
        'Embedding(76, 32)': nn.Embedding(76, 32),
        'Embedding(10, 4, padding_idx=0, max_norm=1.0, scale_grad_by_freq=True)':
            nn.Embedding(10, 4, padding_idx=0, max_norm=1.0, scale_grad_by_freq=True),
        'Embedding(10, 4, max_norm=2.0, norm_type=1.0)': nn.Embedding(10, 4, max_norm=2.0, norm_type=1.0),
        'Dropout()': nn.Dropout(),
        'Dropout(0.25)': nn.Dropout(0.25),
        'LSTM(32, 128, num_layers=2, batch_first=True)': nn.LSTM(32, 128, num_layers=2, batch_first=True),
        'LSTM(8, 16, proj_size=4, dropout=0.5, num_layers=2, bidirectional=True, bias=False)':
            nn.LSTM(8, 16, proj_size=4, dropout=0.5, num_layers=2, bidirectional=True, bias=False),
        'GRU(3, 5)': nn.GRU(3, 5),
        'RNN(3, 5, nonlinearity=relu)': nn.RNN(3, 5, nonlinearity='relu'),
        'LSTMCell(3, 5)': nn.LSTMCell(3, 5),
        'GRUCell(3, 5, bias=False)': nn.GRUCell(3, 5, bias=False),
        'RNNCell(3, 5)': nn.RNNCell(3, 5),
        'CrossEntropyLoss()': nn.CrossEntropyLoss(),
        'CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)': nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.1),
        'Module()': nn.Module(),
    }
    return {k: repr(v) for k, v in cases.items()}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=os.path.join(here, '..', 'test', 'fixtures', 'module.json'))
    args = ap.parse_args()
    torch.manual_seed(0)
    doc = {
        'meta': {'torch': torch.__version__, 'generator': 'tools/gen_module_fixture.py'},
        'models': {'CharLM': describe(CharLM()), 'Seq2Seq': describe(Seq2Seq()), 'Assigned': describe(Assigned())},
        'modules': single_modules(),
        'load_errors': load_errors(),
    }
    with open(args.out, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
