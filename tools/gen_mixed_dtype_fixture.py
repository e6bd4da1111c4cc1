#!/usr/bin/env python3
"""Writes test/fixtures/mixed_dtype.json: what PyTorch 1.13 does with float32 and float64 mixed in
one model or one optimizer, for test/mixed-dtype.test.ts —

  errors:  the message of each forward that mixes dtypes (Linear, LSTM/GRU/RNN, the cells);
  adam:    Adam over a list of one float32 and one float64 parameter (the single-tensor path),
           initial values, the gradients of each step, and the values after each step;
  clip:    clip_grad_norm_ over the same mix: the total norm (float64: torch.stack promotes) and
           the clipped gradients.

Run: /usr/bin/python3 tools/gen_mixed_dtype_fixture.py [--out FILE]   (deterministic)
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn


def message(f):
    try:
        f()
    except RuntimeError as e:
        return str(e)
    return None


def errors():
    out = {}
    torch.manual_seed(0)
    x32 = torch.randn(4, 3)
    lin = nn.Linear(3, 2)
    lin.weight = nn.Parameter(lin.weight.double())
    out['linear weight float64, input float32'] = message(lambda: lin(x32))
    lin = nn.Linear(3, 2)
    lin.bias = nn.Parameter(lin.bias.double())
    out['linear bias float64, input float32'] = message(lambda: lin(x32))
    lin = nn.Linear(3, 2).double()
    out['linear float64, input float32'] = message(lambda: lin(x32))
    for mode in ['LSTM', 'GRU', 'RNN']:
        m = getattr(nn, mode)(3, 4, 2, batch_first=True)
        m.weight_hh_l1 = nn.Parameter(m.weight_hh_l1.double())
        out[f'{mode} weight_hh_l1 float64, input float32'] = message(lambda: m(torch.randn(2, 5, 3)))
        out[f'{mode} weight_hh_l1 float64, input float64'] = message(lambda: m(torch.randn(2, 5, 3).double()))
    for cell in ['LSTMCell', 'GRUCell', 'RNNCell']:
        m = getattr(nn, cell)(3, 4)
        m.weight_hh = nn.Parameter(m.weight_hh.double())
        out[f'{cell} weight_hh float64, input float32'] = message(lambda: m(torch.randn(2, 3)))
    return out


def values(n, k, dtype):
    """Deterministic values: sin(k·(i+1)) in the given dtype (float32 values are exact doubles)."""
    return torch.tensor([math.sin(k * (i + 1)) for i in range(n)], dtype=torch.float64).to(dtype)


def adam():
    a = values(5, 1.0, torch.float32).requires_grad_()
    b = values(6, 2.0, torch.float64).reshape(3, 2).requires_grad_()
    init = [a.detach().tolist(), b.detach().flatten().tolist()]
    opt = torch.optim.Adam([a, b], lr=0.01, weight_decay=0.01)
    steps = []
    for s in range(4):
        a.grad = values(5, 3.0 + s, torch.float32)
        b.grad = values(6, 5.0 + s, torch.float64).reshape(3, 2)
        opt.step()
        steps.append({
            'grads': [a.grad.tolist(), b.grad.flatten().tolist()],
            'after': [a.detach().tolist(), b.detach().flatten().tolist()],
        })
    return {
        'init': init, 'lr': 0.01, 'weight_decay': 0.01, 'steps': steps,
        'state_dtypes': [str(opt.state[a]['exp_avg'].dtype), str(opt.state[b]['exp_avg'].dtype)],
    }


def clip():
    a = values(5, 1.0, torch.float32).requires_grad_()
    b = values(6, 2.0, torch.float64).reshape(3, 2).requires_grad_()
    a.grad = values(5, 3.0, torch.float32) * 3
    b.grad = values(6, 5.0, torch.float64).reshape(3, 2) * 3
    grads = [a.grad.tolist(), b.grad.flatten().tolist()]
    total = torch.nn.utils.clip_grad_norm_([a, b], 0.5)
    return {
        'grads': grads, 'max_norm': 0.5, 'total': total.item(), 'total_dtype': str(total.dtype),
        'clipped': [a.grad.tolist(), b.grad.flatten().tolist()],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'mixed_dtype.json'))
    args = ap.parse_args()
    data = {'torch': torch.__version__, 'errors': errors(), 'adam': adam(), 'clip': clip()}
    with open(args.out, 'w') as f:
        json.dump(data, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
