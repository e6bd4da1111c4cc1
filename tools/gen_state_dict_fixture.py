#!/usr/bin/env python3
"""Writes test/fixtures/torch_state_dict.safetensors and torch_state_dict.json: a PyTorch model's
state_dict() — float32 parameters, a float64 parameter, an int64 and a bool buffer — saved as
safetensors (the bytes safetensors.torch.save_file writes: sorted names, compact header JSON; the
writer is tools/torch_interchange.py's), and the same values as JSON. test/io-save-load.test.ts
checks that recur's load() reads these values and that recur's save() writes the same bytes.

Run: /usr/bin/python3 tools/gen_state_dict_fixture.py   (deterministic)
"""
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_interchange import save_safetensors  # noqa: E402


class CharLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(7, 3, padding_idx=0)
        self.lstm = nn.LSTM(3, 4, num_layers=2, batch_first=True)
        self.fc = nn.Linear(4, 7)
        self.scale = nn.Parameter(torch.tensor([0.5, -1.25], dtype=torch.float64))
        self.register_buffer('steps', torch.tensor([3, -2, 2**31 - 1], dtype=torch.int64))
        self.register_buffer('mask', torch.tensor([[True, False], [False, True]]))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, '..', 'test', 'fixtures')
    torch.manual_seed(0)
    sd = CharLM().state_dict()
    save_safetensors(os.path.join(out, 'torch_state_dict.safetensors'), dict(sd))
    doc = {
        'meta': {'torch': torch.__version__, 'generator': 'tools/gen_state_dict_fixture.py'},
        'keys': list(sd.keys()),
        'tensors': {k: {'dtype': str(v.dtype).replace('torch.', ''), 'shape': list(v.shape),
                        'values': [float(x) if v.is_floating_point() else int(x) for x in v.reshape(-1).tolist()]}
                    for k, v in sd.items()},
    }
    with open(os.path.join(out, 'torch_state_dict.json'), 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
