#!/usr/bin/python3
"""Move models and training traces between PyTorch and recur.

Run with Debian's python3 + python3-torch (1.13); no pip packages. Sub-commands:

  init     --seed S --out F.safetensors [model flags]       torch.manual_seed(S), build RnnClsNet, save state dict
  predict  --weights F.safetensors [model flags] 1 2 3      load a state dict (e.g. written by recur), print JSON
  trace    --init F.safetensors --seed S --steps N --out F.json [model + training flags]
                                                            train in PyTorch on the Python-random data stream,
                                                            record loss and lr per step and the final weights
  fixtures [--dir test/fixtures]                            regenerate the committed torch_* fixtures

Model flags (the article's): --max_number 9 --embed_dim 10 --hidden_dim 16 --num_layers 1
  --cell rnn|lstm|gru --nonlinearity tanh|relu --dropout 0.0 --bidirectional
Training flags: --min_seq_len 2 --max_seq_len 5 --batch_size 16 --lr 0.001 --min_lr 0.0001
  --warmup_step 0 --total_steps 20000  (+ --snapshot_steps 1,10: also record weights after those steps)

The safetensors reader/writer here is a plain struct + json implementation that produces the same
bytes as src/io/safetensors.ts (sorted names, compact JSON, __metadata__ first with sorted keys,
space padding to 8 bytes), so a file can round-trip through either side unchanged.
"""
import argparse
import json
import os
import random
import struct
import sys
import warnings

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

try:
    import numpy as np
except ImportError:  # numpy only speeds up (de)serialisation; struct does the same job
    np = None

warnings.simplefilter("ignore")  # SequentialLR's "epoch parameter" deprecation warning is expected
torch.set_num_threads(1)  # deterministic reductions and fair speed comparisons

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ----------------------------------------------------------------------------------------
# safetensors (format: 8-byte LE header length, JSON header, data buffer; see src/io/safetensors.ts)
# ----------------------------------------------------------------------------------------
ST_DTYPES = {  # file tag -> (torch dtype, bytes per element, struct code)
    "F32": (torch.float32, 4, "f"), "F64": (torch.float64, 8, "d"),
    "I32": (torch.int32, 4, "i"), "I64": (torch.int64, 8, "q"),
    "F16": (torch.float16, 2, None), "BF16": (torch.bfloat16, 2, None), "BOOL": (torch.bool, 1, "?"),
}
TORCH_TO_TAG = {torch.float32: "F32", torch.float64: "F64", torch.int32: "I32", torch.int64: "I64", torch.bool: "BOOL"}


def _tensor_bytes(t):
    t = t.detach().cpu().contiguous()
    tag = TORCH_TO_TAG[t.dtype]
    if np is not None and sys.byteorder == "little":
        return t.numpy().tobytes()
    code = ST_DTYPES[tag][2]
    return struct.pack("<%d%s" % (t.numel(), code), *t.reshape(-1).tolist())


def save_safetensors(path, tensors, metadata=None):
    names = sorted(tensors)
    fields = []
    if metadata is not None:
        meta = {k: metadata[k] for k in sorted(metadata)}
        assert all(isinstance(v, str) for v in meta.values()), "metadata values must be strings"
        fields.append('"__metadata__":' + json.dumps(meta, separators=(",", ":"), ensure_ascii=False))
    blobs, off = [], 0
    for name in names:
        t = tensors[name]
        if t.dtype not in TORCH_TO_TAG:
            raise ValueError(f"tensor {name!r}: unsupported dtype {t.dtype}")
        b = _tensor_bytes(t)
        info = {"dtype": TORCH_TO_TAG[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        fields.append(json.dumps(name, ensure_ascii=False) + ":" + json.dumps(info, separators=(",", ":")))
        blobs.append(b)
        off += len(b)
    header = ("{" + ",".join(fields) + "}").encode("utf-8")
    header += b" " * ((8 - len(header) % 8) % 8)
    data = struct.pack("<Q", len(header)) + header + b"".join(blobs)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_safetensors(path):
    """Returns ({name: tensor}, metadata). F16/BF16 are widened to float32."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError(f"{path}: truncated ({len(buf)} bytes)")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > len(buf) - 8:
        raise ValueError(f"{path}: header length {n} beyond end of file")

    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError(f"{path}: duplicate keys in header")
        return dict(pairs)

    header = json.loads(buf[8:8 + n].decode("utf-8"), object_pairs_hook=no_dupes)
    metadata = header.pop("__metadata__", {}) or {}
    data = buf[8 + n:]
    out, spans = {}, []
    for name, info in header.items():
        tdt, size, _ = ST_DTYPES[info["dtype"]]
        shape = info["shape"]
        b, e = info["data_offsets"]
        numel = 1
        for d in shape:
            numel *= d
        if e - b != numel * size or e > len(data):
            raise ValueError(f"{path}: tensor {name!r}: bad data_offsets {b, e} for shape {shape}")
        spans.append((b, e))
        if numel == 0:
            t = torch.empty(shape, dtype=tdt)
        else:
            t = torch.frombuffer(bytearray(data[b:e]), dtype=tdt).reshape(shape).clone()
        if tdt in (torch.float16, torch.bfloat16):
            t = t.float()
        out[name] = t
    cursor = 0
    for b, e in sorted(spans):
        if b != cursor:
            raise ValueError(f"{path}: tensors overlap or leave a gap at byte {cursor}")
        cursor = e
    if cursor != len(data):
        raise ValueError(f"{path}: {len(data) - cursor} trailing bytes not covered by any tensor")
    return out, metadata


# ----------------------------------------------------------------------------------------
# the article's model
# ----------------------------------------------------------------------------------------
class RnnClsNet(nn.Module):
    """Embedding(max_number+2, E, padding_idx=-1) -> RNN/LSTM/GRU on the packed batch -> Linear(H, max_number+1)
    on h_n[-1]. For bidirectional nets h_n[-1] is the top layer's *reverse* direction, as in the article
    (so fc stays Linear(hidden_dim, ...))."""

    def __init__(self, max_number=9, embed_dim=10, hidden_dim=16, num_layers=1, cell="rnn",
                 nonlinearity="tanh", dropout=0.0, bidirectional=False):
        super().__init__()
        self.cell = cell
        self.embedding = nn.Embedding(max_number + 2, embed_dim, padding_idx=-1)
        kw = dict(num_layers=num_layers, batch_first=True, dropout=dropout, bidirectional=bidirectional)
        if cell == "rnn":
            self.rnn = nn.RNN(embed_dim, hidden_dim, nonlinearity=nonlinearity, **kw)
        elif cell == "lstm":
            self.rnn = nn.LSTM(embed_dim, hidden_dim, **kw)
        elif cell == "gru":
            self.rnn = nn.GRU(embed_dim, hidden_dim, **kw)
        else:
            raise ValueError(f"unknown cell {cell!r}")
        self.fc = nn.Linear(hidden_dim, max_number + 1)

    def forward(self, x, lengths):
        emb = self.embedding(x)  # (B, T, E)
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        _, h = self.rnn(packed)
        h_n = h[0] if self.cell == "lstm" else h  # (L*D, B, H), in the batch's original order
        return self.fc(h_n[-1])


def model_config(a):
    return {"max_number": a.max_number, "embed_dim": a.embed_dim, "hidden_dim": a.hidden_dim,
            "num_layers": a.num_layers, "cell": a.cell, "nonlinearity": a.nonlinearity,
            "dropout": a.dropout, "bidirectional": a.bidirectional}


def build_model(cfg):
    return RnnClsNet(**cfg)


def load_weights(model, path):
    sd, _ = load_safetensors(path)
    sd = {k: v.to(torch.float32) for k, v in sd.items()}
    model.load_state_dict(sd, strict=True)  # names/shapes must match exactly; errors list the mismatches


def _f32(v):
    """Shortest decimal that round-trips a float32 (Math.fround(parseFloat(s)) gives it back)."""
    if np is not None:
        return float(repr(np.float32(v)))
    for p in range(1, 10):
        s = float("%.*g" % (p, v))
        if struct.unpack("<f", struct.pack("<f", s))[0] == v:
            return s
    return float(v)


def enc_state(model):
    return {k: {"shape": list(v.shape), "data": [_f32(x) for x in v.detach().reshape(-1).tolist()]}
            for k, v in model.state_dict().items()}


# ----------------------------------------------------------------------------------------
# data stream and training loop (the article's train_cls_rnn.py with a seeded random.Random)
# ----------------------------------------------------------------------------------------
def sample_batch(rng, a):
    seqs, lens, ys = [], [], []
    for _ in range(a.batch_size):
        n = rng.randint(a.min_seq_len, a.max_seq_len)
        seq = [rng.randint(0, a.max_number) for _ in range(n)]
        seqs.append(torch.tensor(seq, dtype=torch.int64))
        lens.append(n)
        ys.append(sum(seq) % (a.max_number + 1))
    x = pad_sequence(seqs, batch_first=True, padding_value=a.max_number + 1)
    return x, torch.tensor(lens, dtype=torch.int64), torch.tensor(ys, dtype=torch.int64)


def make_scheduler(opt, a):
    if a.warmup_step <= 0:
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.total_steps, eta_min=a.min_lr)
    # constructed in this order on purpose: each constructor applies its step 0 to the optimizer's lr,
    # exactly as the article's script does
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=a.warmup_step)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.total_steps, eta_min=a.min_lr)
    return torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[a.warmup_step])


def run_trace(a):
    cfg = model_config(a)
    model = build_model(cfg)
    load_weights(model, a.init)
    initial_state = enc_state(model)
    torch.manual_seed(a.seed)  # only dropout draws from torch's generator; the data comes from rng
    rng = random.Random(a.seed)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sched = make_scheduler(opt, a)
    crit = nn.CrossEntropyLoss()
    snaps = {int(s) for s in a.snapshot_steps.split(",") if s.strip()} if a.snapshot_steps else set()
    model.train()
    losses, lrs, snapshots, first_grads = [], [], {}, None
    for step in range(1, a.steps + 1):
        x, lengths, y = sample_batch(rng, a)
        lrs.append(opt.param_groups[0]["lr"])  # the lr this step's update uses
        opt.zero_grad()
        loss = crit(model(x, lengths), y)
        loss.backward()
        if step == 1:
            first_grads = {k: {"shape": list(p.grad.shape), "data": [_f32(v) for v in p.grad.reshape(-1).tolist()]}
                           for k, p in model.named_parameters()}
        opt.step()
        sched.step()
        losses.append(_f32(loss.item()))
        if step in snaps:
            snapshots[str(step)] = enc_state(model)
    train_cfg = {k: getattr(a, k) for k in ("min_seq_len", "max_seq_len", "batch_size", "lr", "min_lr",
                                            "warmup_step", "total_steps")}
    return {
        "meta": {"generator": "tools/torch_interchange.py trace", "torch_version": torch.__version__,
                 "python": sys.version.split()[0], "init_file": os.path.basename(a.init),
                 "loop": "per step: lr=param_groups[0].lr; zero_grad; loss=CE(model(x,lengths),y); backward; "
                         "opt.step(); sched.step()",
                 "data": "rng=random.Random(seed); per sample n=randint(min_seq_len,max_seq_len), n x randint(0,max_number); "
                         "target=sum%(max_number+1); pad value max_number+1, batch_first"},
        "config": {**cfg, **train_cfg, "steps": a.steps},
        "seed": a.seed,
        "param_names": [k for k, _ in model.named_parameters()],
        "losses": losses,
        "lrs": lrs,
        "initial_state": initial_state,
        "first_step_grads": first_grads,
        "snapshots": snapshots,
        "final_state": enc_state(model),
    }


# ----------------------------------------------------------------------------------------
# sub-commands
# ----------------------------------------------------------------------------------------
def cmd_init(a):
    torch.manual_seed(a.seed)
    model = build_model(model_config(a))
    meta = {"format": "pt", "generator": "tools/torch_interchange.py init", "torch_seed": str(a.seed),
            "torch_version": torch.__version__,
            "model_config": json.dumps(model_config(a), sort_keys=True, separators=(",", ":"))}
    save_safetensors(a.out, dict(model.state_dict()), meta)
    print(f"wrote {a.out}: {sum(p.numel() for p in model.parameters())} parameters")


def cmd_predict(a):
    model = build_model(model_config(a))
    load_weights(model, a.weights)
    model.eval()
    seq = a.digits
    bad = [d for d in seq if not 0 <= d <= a.max_number]
    if not seq or bad:
        sys.exit(f"predict: need at least one digit, each in 0..{a.max_number}; got {seq}")
    with torch.no_grad():
        logits = model(torch.tensor([seq]), torch.tensor([len(seq)]))[0]
    print(json.dumps({"sequence": seq, "logits": [_f32(v) for v in logits.tolist()],
                      "prediction": int(logits.argmax()), "true_answer": sum(seq) % (a.max_number + 1)}))


def cmd_trace(a):
    doc = run_trace(a)
    with open(a.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {a.out}: {a.steps} steps, final loss {doc['losses'][-1]}")


# The committed fixtures, as argv lists of this script (tools/README.md shows them as commands).
def fixture_commands(d):
    sota = ["--hidden_dim", "32", "--num_layers", "3", "--embed_dim", "10", "--max_number", "9", "--cell", "rnn"]
    return [
        ["init", "--seed", "0", "--out", f"{d}/torch_init_sota_warmup.safetensors"] + sota,
        ["trace", "--init", f"{d}/torch_init_sota_warmup.safetensors", "--seed", "0", "--steps", "500",
         "--batch_size", "64", "--lr", "0.005", "--warmup_step", "2000", "--total_steps", "20000",
         "--min_lr", "1e-4", "--snapshot_steps", "1", "--out", f"{d}/torch_trace_sota_warmup.json"] + sota,
        ["init", "--seed", "0", "--out", f"{d}/torch_init_baseline.safetensors"],
        ["trace", "--init", f"{d}/torch_init_baseline.safetensors", "--seed", "0", "--steps", "200",
         "--snapshot_steps", "1", "--out", f"{d}/torch_trace_baseline.json"],
    ]


def cmd_fixtures(a):
    for argv in fixture_commands(a.dir):
        print("$ tools/torch_interchange.py " + " ".join(argv))
        main(argv)


def add_model_flags(p):
    # the article's flag names, kebab-case accepted too
    p.add_argument("--max_number", "--max-number", type=int, default=9)
    p.add_argument("--embed_dim", "--embed-dim", type=int, default=10)
    p.add_argument("--hidden_dim", "--hidden-dim", type=int, default=16)
    p.add_argument("--num_layers", "--num-layers", type=int, default=1)
    p.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="rnn")
    p.add_argument("--nonlinearity", choices=["tanh", "relu"], default="tanh")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--bidirectional", action="store_true")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="torch_interchange.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("init", help="seeded PyTorch init -> safetensors")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    add_model_flags(p)
    p.set_defaults(fn=cmd_init)
    p = sub.add_parser("predict", help="load weights, print logits for one sequence as JSON")
    p.add_argument("--weights", required=True)
    add_model_flags(p)
    p.add_argument("digits", type=int, nargs="*")
    p.set_defaults(fn=cmd_predict)
    p = sub.add_parser("trace", help="train from given weights, record per-step loss/lr and final weights")
    p.add_argument("--init", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--out", required=True)
    add_model_flags(p)
    p.add_argument("--min_seq_len", "--min-seq-len", type=int, default=2)
    p.add_argument("--max_seq_len", "--max-seq-len", type=int, default=5)
    p.add_argument("--batch_size", "--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--min_lr", "--min-lr", type=float, default=0.0001)
    p.add_argument("--warmup_step", "--warmup-step", type=int, default=0)
    p.add_argument("--total_steps", "--total-steps", type=int, default=20000)
    p.add_argument("--snapshot_steps", "--snapshot-steps", default="",
                   help="comma-separated steps after which to record the full state dict")
    p.set_defaults(fn=cmd_trace)
    p = sub.add_parser("fixtures", help="regenerate the committed torch_* fixtures")
    p.add_argument("--dir", default=os.path.join(REPO_ROOT, "test", "fixtures"))
    p.set_defaults(fn=cmd_fixtures)
    a = ap.parse_args(argv)
    a.fn(a)


if __name__ == "__main__":
    main()
