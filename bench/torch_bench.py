#!/usr/bin/python3
"""PyTorch side of `npm run bench` (bench/run.mjs): one case per process, JSON on stdout.

The article's setup, single-threaded: RnnClsNet (Embedding(padding_idx=-1) -> RNN/LSTM/GRU on
pack_padded_sequence(enforce_sorted=False) -> Linear on h_n[-1]), cross-entropy, Adam, cosine
schedule; every step draws a fresh batch with Python's `random` and pads it (the article's
collate_fn). Rates are medians of timed windows after a warm-up.

  /usr/bin/python3 bench/torch_bench.py --case '{"kind":"train",...}' --windows 5 --window_sec 1
"""
import argparse
import json
import os
import random
import resource
import sys
import time
import warnings

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

warnings.simplefilter("ignore")
torch.set_num_threads(1)


class RnnClsNet(nn.Module):
    def __init__(self, max_number, embed_dim, hidden_dim, num_layers, cell):
        super().__init__()
        self.cell = cell
        self.embedding = nn.Embedding(max_number + 2, embed_dim, padding_idx=-1)
        Cell = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = Cell(embed_dim, hidden_dim, num_layers=num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_dim, max_number + 1)

    def forward(self, x, lengths):
        emb = self.embedding(x)
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        _, h = self.rnn(packed)
        h_n = h[0] if self.cell == "lstm" else h
        return self.fc(h_n[-1])


CHARLM = dict(vocab=76, embed=32, hidden=128, layers=2, batch=32, window=64, min_len=10, lr=2e-3, clip=1.0)


def corpus(vocab):
    """The README's characters as class indices: the vocab-1 most frequent (ties: lower code point
    first) as 0..vocab-2 in that order, every other character as vocab-1 (as bench/charlm.mjs)."""
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md"), encoding="utf-8") as f:
        text = f.read()
    count = {}
    for ch in text:
        count[ch] = count.get(ch, 0) + 1
    order = sorted(count, key=lambda ch: (-count[ch], ord(ch)))
    index = {ch: i for i, ch in enumerate(order[: vocab - 1])}
    return torch.tensor([index.get(ch, vocab - 1) for ch in text], dtype=torch.int64)


class CharLM(nn.Module):
    """Embedding -> LSTM/GRU (batch_first) -> Linear over every time step (bench/charlm.mjs)."""

    def __init__(self, cell):
        super().__init__()
        c = CHARLM
        self.embedding = nn.Embedding(c["vocab"], c["embed"])
        Cell = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = Cell(c["embed"], c["hidden"], num_layers=c["layers"], batch_first=True)
        self.fc = nn.Linear(c["hidden"], c["vocab"])


def charlm_step(cell, variable, rng):
    """One training step of the char-LM: 32 windows of 64 characters (variable: lengths 10-64,
    packed with enforce_sorted=False), cross-entropy, backward, clip_grad_norm_ 1.0, Adam."""
    c = CHARLM
    data = corpus(c["vocab"])
    model = CharLM(cell)
    opt = torch.optim.Adam(model.parameters(), lr=c["lr"])
    B, T = c["batch"], c["window"]
    model.train()

    def step():
        starts = torch.tensor([rng.randrange(len(data) - T - 1) for _ in range(B)])
        idx = starts[:, None] + torch.arange(T)[None, :]
        x, y = data[idx], data[idx + 1]
        emb = model.embedding(x)
        if variable:
            lengths = torch.tensor([rng.randint(c["min_len"], T) for _ in range(B)])
            packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
            out, _ = model.rnn(packed)
            logits = model.fc(out.data)
            target = pack_padded_sequence(y, lengths, batch_first=True, enforce_sorted=False).data
        else:
            out, _ = model.rnn(emb)
            logits = model.fc(out.reshape(B * T, c["hidden"]))
            target = y.reshape(B * T)
        loss = nn.functional.cross_entropy(logits, target)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), c["clip"])
        opt.step()
        return 1
    return step


def charlm_generate(cell):
    """One character of greedy generation from the char-LM: the last character -> one step of the
    recurrent layers from the carried state -> Linear -> softmax -> argmax, the next input; under
    no_grad, batch 1 (bench/charlm.mjs charlmGenerate)."""
    model = CharLM(cell)
    model.eval()
    s = {"prev": 0, "state": None}

    def next_char():
        with torch.no_grad():
            x = torch.tensor([[s["prev"]]], dtype=torch.int64)
            out, s["state"] = model.rnn(model.embedding(x), s["state"])
            probs = torch.softmax(model.fc(out.reshape(1, CHARLM["hidden"])), 1)
            s["prev"] = int(probs.argmax(1).item())
        return 1
    return next_char


def blas_library():
    """The BLAS shared object this process has mapped after a matrix product (the library that
    actually runs PyTorch's products), by its real path; None if none is mapped."""
    (torch.ones(64, 64) @ torch.ones(64, 64)).sum().item()
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return None
    real = sorted({os.path.realpath(p) for p in paths})
    return real[0] if real else None


def batch(rng, c, n):
    seqs, lens, ys = [], [], []
    for _ in range(n):
        k = rng.randint(c["min_seq_len"], c["max_seq_len"])
        seq = [rng.randint(0, c["max_number"]) for _ in range(k)]
        seqs.append(torch.tensor(seq, dtype=torch.int64))
        lens.append(k)
        ys.append(sum(seq) % (c["max_number"] + 1))
    x = pad_sequence(seqs, batch_first=True, padding_value=c["max_number"] + 1)
    return x, torch.tensor(lens, dtype=torch.int64), torch.tensor(ys, dtype=torch.int64)


def timed(fn, windows, window_sec, warmup_sec):
    """Runs fn() (one unit of work, returns units done) for warmup_sec, then `windows` windows of at
    least window_sec (and at least one call) each; returns the per-window rates (units/s)."""
    t_end = time.perf_counter() + warmup_sec
    fn()
    while time.perf_counter() < t_end:
        fn()
    rates = []
    for _ in range(windows):
        t0 = time.perf_counter()
        done = fn()
        while time.perf_counter() - t0 < window_sec:
            done += fn()
        rates.append(done / (time.perf_counter() - t0))
    return rates


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True)
    ap.add_argument("--windows", type=int, default=5)
    ap.add_argument("--window_sec", type=float, default=1.0)
    ap.add_argument("--warmup_sec", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (the bench runs 1 and 2)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    c = json.loads(a.case)
    torch.manual_seed(0)
    rng = random.Random(0)
    model = RnnClsNet(c["max_number"], c["embed_dim"], c["hidden_dim"], c["num_layers"], c["cell"]) if "embed_dim" in c else None
    kind = c["kind"]
    if kind == "blas":
        json.dump({"blas": blas_library(), "torch": torch.__version__, "threads": torch.get_num_threads()}, sys.stdout)
        return
    if kind == "gemm":
        out = []
        for sh in c["shapes"]:
            M, K, N = sh["M"], sh["K"], sh["N"]
            A = torch.rand(K, M) if sh["kind"] == "atb" else torch.rand(M, K)
            B, C = torch.rand(K, N), torch.zeros(M, N)
            fn = (lambda: C.addmm_(A.t(), B)) if sh["kind"] == "atb" else (lambda: torch.mm(A, B, out=C))
            rates = timed(lambda: (fn(), 1)[1], a.windows, a.window_sec, a.warmup_sec)
            out.append(sorted(rates)[len(rates) // 2] * 2 * M * K * N / 1e9)
        json.dump({"gflops": out, "torch": torch.__version__}, sys.stdout)
        return
    if kind == "generate":
        rates = timed(charlm_generate(c["cell"]), a.windows, a.window_sec, a.warmup_sec)
        unit = "calls/s"
    elif kind == "charlm":
        rates = timed(charlm_step(c["cell"], c.get("variable", False), rng), a.windows, a.window_sec, a.warmup_sec)
        unit = "steps/s"
    elif kind in ("train", "composed"):
        opt = torch.optim.Adam(model.parameters(), lr=c["lr"])
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=c["total_steps"], eta_min=c["min_lr"])
        loss_fn = nn.CrossEntropyLoss()
        model.train()

        def step():
            x, lengths, y = batch(rng, c, c["batch_size"])
            opt.zero_grad()
            loss = loss_fn(model(x, lengths), y)
            loss.backward()
            opt.step()
            sched.step()
            return 1
        rates = timed(step, a.windows, a.window_sec, a.warmup_sec)
        unit = "steps/s"
    elif kind == "predict":
        model.eval()
        seq = [rng.randint(0, c["max_number"]) for _ in range(c["length"])]

        def one():
            with torch.no_grad():
                x = torch.tensor([seq], dtype=torch.int64)
                probs = torch.softmax(model(x, torch.tensor([len(seq)], dtype=torch.int64)), 1)
                int(probs.argmax(1).item())
            return 1
        rates = timed(one, a.windows, a.window_sec, a.warmup_sec)
        unit = "calls/s"
    elif kind == "eval":
        model.eval()
        n = c["eval_samples"]

        def ev():
            with torch.no_grad():
                for i in range(0, n, c["eval_batch"]):
                    x, lengths, y = batch(rng, c, min(c["eval_batch"], n - i))
                    (model(x, lengths).argmax(1) == y).sum().item()
            return n
        rates = timed(ev, a.windows, a.window_sec, a.warmup_sec)
        unit = "samples/s"
    else:
        raise SystemExit(f"unknown kind {kind}")
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    json.dump({"rates": rates, "unit": unit, "maxRssKB": rss_kb, "torch": torch.__version__}, sys.stdout)


if __name__ == "__main__":
    main()
