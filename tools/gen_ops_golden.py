#!/usr/bin/python3
"""Golden data for the tensor ops and losses of PyTorch's RNN tutorials (softmax, log_softmax,
nll_loss, mse_loss, gather, masked_fill, topk, bmm, cat/stack/chunk/split, one_hot, arange, full,
detach, ...): forward values, the gradient of every input, and PyTorch's error messages.

Run with Debian's python3 and python3-torch (PyTorch 1.13 CPU):

    /usr/bin/python3 tools/gen_ops_golden.py          # writes <repo>/test/fixtures/ops_golden.json
    /usr/bin/python3 tools/gen_ops_golden.py --out X.json

Format (test/ops-golden.test.ts reads it):
  meta:   torch version and the tolerances the test applies per dtype.
  cases:  {name, op, args, inputs, outputs, grad_outputs, grads}. `inputs` are encoded tensors
          ({dtype, shape, data, requires_grad}); `outputs` every returned tensor; `grad_outputs` the
          upstream gradient r_j fed to each differentiable output (null for index outputs), so the
          recorded `grads` are d(Σ_j Σ out_j · r_j)/d(input) (null for inputs without gradient).
  errors: {name, type, message}: the exception PyTorch raises for a bad call; the test makes the
          same call in recur and expects the same message.

Everything is seeded and single-threaded; a re-run rewrites byte-identical JSON.
"""
import argparse
import json
import os
import warnings

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
# mse_loss warns before its broadcast error; the error is the data
warnings.simplefilter("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "test", "fixtures", "ops_golden.json")


def _f32(v):
    # shortest decimal that round-trips a float32
    return float(repr(np.float32(v)))


def enc(t, requires_grad=None):
    t = t.detach().cpu()
    if t.dtype == torch.bool:
        d = {"dtype": "bool", "shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}
    elif t.dtype in (torch.int64, torch.int32):
        d = {"dtype": "int64", "shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}
    elif t.dtype == torch.float32:
        d = {"dtype": "float32", "shape": list(t.shape), "data": [_f32(v) for v in t.reshape(-1).tolist()]}
    else:
        d = {"dtype": "float64", "shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}
    if requires_grad is not None:
        d["requires_grad"] = requires_grad
    return d


GEN = torch.Generator().manual_seed(20260516)


def randn(*shape, dtype=torch.float64):
    return torch.randn(tuple(shape), generator=GEN, dtype=torch.float64).to(dtype)


def randint(high, *shape):
    return torch.randint(0, high, shape, generator=GEN)


def distinct(*shape, dtype=torch.float64):
    """Random values without ties (topk/max order is then unambiguous)."""
    n = int(np.prod(shape))
    perm = torch.randperm(n, generator=GEN).to(torch.float64)
    return ((perm - n / 2) / 4 + torch.rand(n, generator=GEN, dtype=torch.float64) * 0.1).reshape(shape).to(dtype)


CASES = []


def case(name, op, args, inputs, fn):
    """inputs: list of (tensor, requires_grad). fn(*tensors) -> tensor or tuple/list of tensors."""
    leaves = []
    for t, rg in inputs:
        x = t.detach().clone()
        if rg:
            x.requires_grad_(True)
        leaves.append(x)
    out = fn(*leaves)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    grad_outputs = []
    total = None
    for o in outs:
        if o.requires_grad:
            r = randn(*o.shape, dtype=o.dtype)
            grad_outputs.append(enc(r))
            term = (o * r).sum()
            total = term if total is None else total + term
        else:
            grad_outputs.append(None)
    if total is not None:
        total.backward()
    CASES.append({
        "name": name,
        "op": op,
        "args": args,
        "inputs": [enc(t, rg) for t, (_, rg) in zip(leaves, inputs)],
        "outputs": [enc(o) for o in outs],
        "grad_outputs": grad_outputs,
        "grads": [enc(x.grad) if rg and x.grad is not None else None for x, (_, rg) in zip(leaves, inputs)],
    })


def build_cases():
    for dt, tag in ((torch.float32, "f32"), (torch.float64, "f64")):
        # softmax / log_softmax along every dim of a 3-D tensor, and a 1-D tensor
        for fname, f in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
            x = randn(2, 3, 4, dtype=dt) * 3
            for dim in (0, 1, 2, -1):
                case(f"{fname} (2,3,4) dim={dim} {tag}", fname, {"dim": dim}, [(x, True)],
                     lambda a, dim=dim, f=f: f(a, dim=dim))
            case(f"{fname} (5,) dim=0 {tag}", fname, {"dim": 0}, [(randn(5, dtype=dt), True)],
                 lambda a, f=f: f(a, dim=0))
        # elementwise activations
        for fname, f in (("relu", F.relu), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid)):
            case(f"{fname} (3,4) {tag}", fname, {}, [(randn(3, 4, dtype=dt), True)], f)
        # nll_loss: reductions, ignore_index, class weights, 1-D input, (N, C, d) input
        logp = F.log_softmax(randn(5, 4, dtype=dt), dim=1)
        tgt = torch.tensor([0, 3, 1, 1, 2])
        w = torch.rand(4, generator=GEN, dtype=torch.float64).to(dt) + 0.5
        for red in ("mean", "sum", "none"):
            case(f"nll_loss (5,4) {red} {tag}", "nll_loss", {"reduction": red}, [(logp, True), (tgt, False)],
                 lambda a, t, red=red: F.nll_loss(a, t, reduction=red))
            case(f"nll_loss (5,4) weight {red} {tag}", "nll_loss", {"reduction": red},
                 [(logp, True), (tgt, False), (w, False)],
                 lambda a, t, ww, red=red: F.nll_loss(a, t, weight=ww, reduction=red))
            case(f"nll_loss (5,4) ignore_index=1 weight {red} {tag}", "nll_loss", {"reduction": red, "ignore_index": 1},
                 [(logp, True), (tgt, False), (w, False)],
                 lambda a, t, ww, red=red: F.nll_loss(a, t, weight=ww, ignore_index=1, reduction=red))
        case(f"nll_loss (4,) target () {tag}", "nll_loss", {"reduction": "mean"},
             [(logp[0], True), (torch.tensor(2), False)], lambda a, t: F.nll_loss(a, t))
        logp3 = F.log_softmax(randn(2, 4, 3, dtype=dt), dim=1)
        tgt3 = randint(4, 2, 3)
        for red in ("mean", "none"):
            case(f"nll_loss (2,4,3) {red} {tag}", "nll_loss", {"reduction": red}, [(logp3, True), (tgt3, False)],
                 lambda a, t, red=red: F.nll_loss(a, t, reduction=red))
        case(f"nll_loss (5,4) ignore_index=-100 default, target has -100 {tag}", "nll_loss", {"reduction": "mean"},
             [(logp, True), (torch.tensor([0, -100, 1, -100, 2]), False)], lambda a, t: F.nll_loss(a, t))
        # mse_loss: gradients to input and target
        for red in ("mean", "sum", "none"):
            case(f"mse_loss (3,4) {red} {tag}", "mse_loss", {"reduction": red},
                 [(randn(3, 4, dtype=dt), True), (randn(3, 4, dtype=dt), True)],
                 lambda a, b, red=red: F.mse_loss(a, b, reduction=red))
        # gather along each dim, with an index smaller than the input off `dim`
        x = randn(3, 4, dtype=dt)
        case(f"gather dim=1 {tag}", "gather", {"dim": 1}, [(x, True), (torch.tensor([[0, 0, 3], [1, 2, 1], [3, 3, 3]]), False)],
             lambda a, i: torch.gather(a, 1, i))
        case(f"gather dim=0 smaller index {tag}", "gather", {"dim": 0}, [(x, True), (torch.tensor([[2, 0], [2, 2]]), False)],
             lambda a, i: torch.gather(a, 0, i))
        x3 = randn(2, 3, 4, dtype=dt)
        case(f"gather dim=-1 (2,3,4) {tag}", "gather", {"dim": -1}, [(x3, True), (randint(4, 2, 3, 2), False)],
             lambda a, i: torch.gather(a, -1, i))
        # masked_fill with a broadcast mask
        case(f"masked_fill broadcast mask {tag}", "masked_fill", {"value": -1e9 if dt == torch.float64 else -3.5},
             [(randn(2, 3, 4, dtype=dt), True), (torch.tensor([[True, False, False, True]]), False)],
             lambda a, m: a.masked_fill(m, -1e9 if dt == torch.float64 else -3.5))
        case(f"masked_fill same shape {tag}", "masked_fill", {"value": 0.25},
             [(randn(2, 3, dtype=dt), True), (torch.tensor([[True, False, True], [False, False, True]]), False)],
             lambda a, m: a.masked_fill(m, 0.25))
        # topk: dims, largest, k
        xd = distinct(3, 5, dtype=dt)
        for k, dim, largest in ((1, -1, True), (3, 1, True), (2, 0, True), (2, 1, False), (5, 1, True)):
            case(f"topk k={k} dim={dim} largest={largest} {tag}", "topk", {"k": k, "dim": dim, "largest": largest},
                 [(xd, True)], lambda a, k=k, dim=dim, largest=largest: a.topk(k, dim=dim, largest=largest))
        case(f"topk (4,) k=2 {tag}", "topk", {"k": 2, "dim": -1, "largest": True},
             [(distinct(4, dtype=dt), True)], lambda a: torch.topk(a, 2))
        # max / min along a dim ([values, indices]) and over everything
        xm = distinct(3, 4, dtype=dt)
        for fname in ("max", "min"):
            for dim, keepdim in ((1, False), (0, True), (-1, False)):
                case(f"{fname} dim={dim} keepdim={keepdim} {tag}", fname, {"dim": dim, "keepdim": keepdim}, [(xm, True)],
                     lambda a, fname=fname, dim=dim, keepdim=keepdim: tuple(getattr(torch, fname)(a, dim, keepdim)))
            case(f"{fname} all {tag}", fname, {"dim": None}, [(xm, True)], lambda a, fname=fname: getattr(torch, fname)(a))
            ties = torch.tensor([[1.0, 3.0, -2.0], [3.0, -2.0, 3.0]], dtype=dt)
            case(f"{fname} all with ties {tag}", fname, {"dim": None}, [(ties, True)], lambda a, fname=fname: getattr(torch, fname)(a))
        # bmm
        case(f"bmm (2,3,4)x(2,4,5) {tag}", "bmm", {}, [(randn(2, 3, 4, dtype=dt), True), (randn(2, 4, 5, dtype=dt), True)],
             torch.bmm)
        # the attention step of the seq2seq tutorial: bmm, softmax, tanh, cat, squeeze/unsqueeze
        q = randn(2, 1, 4, dtype=dt)
        keys = randn(2, 3, 4, dtype=dt)
        va = randn(4, dtype=dt)

        def attention(q, keys, va):
            scores = torch.tanh(q + keys).matmul(va.unsqueeze(1))      # (2, 3, 1)
            weights = F.softmax(scores.squeeze(2).unsqueeze(1), dim=-1)  # (2, 1, 3)
            context = torch.bmm(weights, keys)                          # (2, 1, 4)
            return torch.cat((q, context), dim=2), weights
        case(f"attention step {tag}", "attention", {}, [(q, True), (keys, True), (va, True)], attention)
        # shape ops
        a, b = randn(2, 3, dtype=dt), randn(2, 2, dtype=dt)
        case(f"cat dim=1 {tag}", "cat", {"dim": 1}, [(a, True), (b, True)], lambda a, b: torch.cat((a, b), dim=1))
        c = randn(2, 3, dtype=dt)
        case(f"stack dim=1 {tag}", "stack", {"dim": 1}, [(a, True), (c, True)], lambda a, c: torch.stack((a, c), dim=1))
        case(f"stack dim=-1 {tag}", "stack", {"dim": -1}, [(a, True), (c, True)], lambda a, c: torch.stack((a, c), dim=-1))
        x = randn(3, 7, dtype=dt)
        for chunks, dim in ((3, 1), (7, 1), (2, 0), (4, 1)):
            case(f"chunk {chunks} dim={dim} {tag}", "chunk", {"chunks": chunks, "dim": dim}, [(x, True)],
                 lambda a, chunks=chunks, dim=dim: a.chunk(chunks, dim=dim))
        case(f"split 3 dim=1 {tag}", "split", {"split": 3, "dim": 1}, [(x, True)], lambda a: a.split(3, dim=1))
        case(f"split [1,4,2] dim=1 {tag}", "split", {"split": [1, 4, 2], "dim": 1}, [(x, True)],
             lambda a: a.split([1, 4, 2], dim=1))
        case(f"view/transpose/squeeze/unsqueeze {tag}", "reshape_chain", {}, [(randn(2, 1, 6, dtype=dt), True)],
             lambda a: a.squeeze(1).view(2, 3, 2).transpose(0, 2).unsqueeze(-1) * 2)
        # detach cuts the graph (truncated BPTT): only the live path carries gradient
        case(f"detach {tag}", "detach", {}, [(randn(3, dtype=dt), True), (randn(3, dtype=dt), True)],
             lambda x, w: (torch.tanh(x * w).detach() * w + x * w).tanh())
        # the tutorials' cell: Linear on cat(input, hidden), then LogSoftmax
        inp, hid = randn(1, 5, dtype=dt), randn(1, 3, dtype=dt)
        wl, bl = randn(4, 8, dtype=dt), randn(4, dtype=dt)
        case(f"linear(cat) log_softmax nll {tag}", "cat_linear_nll", {},
             [(inp, True), (hid, True), (wl, True), (bl, True), (torch.tensor([2]), False)],
             lambda i, h, w, b, t: F.nll_loss(F.log_softmax(F.linear(torch.cat((i, h), 1), w, b), dim=1), t))
    # integer-valued forward-only ops
    idx = torch.tensor([[0, 2], [1, 3]])
    case("one_hot num_classes=-1", "one_hot", {"num_classes": -1}, [(idx, False)], lambda i: F.one_hot(i))
    case("one_hot num_classes=5", "one_hot", {"num_classes": 5}, [(torch.tensor([4, 0, 1]), False)],
         lambda i: F.one_hot(i, num_classes=5))
    case("topk int64", "topk", {"k": 2, "dim": -1, "largest": True}, [(torch.tensor([[3, 9, 1], [4, 0, 7]]), False)],
         lambda a: a.topk(2))
    case("gather int64", "gather", {"dim": 0}, [(torch.tensor([[1, 2], [3, 4]]), False), (torch.tensor([[1, 0]]), False)],
         lambda a, i: torch.gather(a, 0, i))
    case("full (2,) True", "full", {"size": [2], "value": True, "dtype": None}, [], lambda: torch.full((2,), True))
    case("masked_fill bool", "masked_fill", {"value": False},
         [(torch.tensor([True, False, True]), False), (torch.tensor([True, False, False]), False)], lambda a, m: a.masked_fill(m, False))
    case("topk 0-d", "topk", {"k": 1, "dim": -1, "largest": True}, [(torch.tensor(5.0), False)], lambda a: a.topk(1))
    case("max 0-d dim=0", "max", {"dim": 0, "keepdim": False}, [(torch.tensor(5.0), False)], lambda a: tuple(a.max(0)))
    case("gather 0-d", "gather", {"dim": 0}, [(torch.tensor(5.0), False), (torch.tensor(0), False)],
         lambda a, i: torch.gather(a, 0, i))
    case("masked_fill int64", "masked_fill", {"value": 7},
         [(torch.tensor([1, 2, 3]), False), (torch.tensor([False, True, False]), False)], lambda a, m: a.masked_fill(m, 7))
    for args in ([5], [1, 4], [0, 1, 0.1], [1, 2.5, 0.5], [10, 0, -3], [0.5, 3], [-1.0, 1.0, 0.25], [3, 3]):
        case(f"arange{tuple(args)}", "arange", {"args": args}, [], lambda args=args: torch.arange(*args))
    case("arange(0, 1, 0.1) float64", "arange", {"args": [0, 1, 0.1], "dtype": "float64"}, [],
         lambda: torch.arange(0, 1, 0.1, dtype=torch.float64))
    case("arange(5) float32", "arange", {"args": [5], "dtype": "float32"}, [], lambda: torch.arange(5, dtype=torch.float32))
    for value, dtype in ((7, None), (1.5, None), (-2, "float64"), (3, "float32"), (4.0, "int64")):
        td = {None: None, "float64": torch.float64, "float32": torch.float32, "int64": torch.int64}[dtype]
        case(f"full (2,3) {value} dtype={dtype}", "full", {"size": [2, 3], "value": value, "dtype": dtype}, [],
             lambda value=value, td=td: torch.full((2, 3), value, dtype=td))
    case("zeros (2,3)", "zeros", {"size": [2, 3], "dtype": None}, [], lambda: torch.zeros(2, 3))
    case("ones (3,) int64", "ones", {"size": [3], "dtype": "int64"}, [], lambda: torch.ones(3, dtype=torch.int64))
    case("zeros (2,2) float64", "zeros", {"size": [2, 2], "dtype": "float64"}, [], lambda: torch.zeros(2, 2, dtype=torch.float64))


def err(name, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the message is the data
        return {"name": name, "type": type(e).__name__, "message": str(e).split("\n")[0]}
    raise SystemExit(f"expected an error from {name}")


def build_errors():
    x = torch.randn(3, 4, generator=GEN)
    p = torch.tensor([0.2, 0.3, 0.5])
    return [
        err("multinomial 3-D input", lambda: torch.multinomial(torch.ones(2, 2, 2), 1)),
        err("multinomial n > categories without replacement", lambda: torch.multinomial(p, 4)),
        err("multinomial negative weight", lambda: torch.multinomial(torch.tensor([0.5, -0.1]), 1)),
        err("multinomial all-zero weights", lambda: torch.multinomial(torch.tensor([0.0, 0.0]), 1)),
        err("multinomial num_samples 0", lambda: torch.multinomial(p, 0)),
        err("multinomial int64 input", lambda: torch.multinomial(torch.tensor([1, 2]), 1)),
        err("multinomial bool input", lambda: torch.multinomial(torch.tensor([True, False]), 1)),
        err("topk bool input", lambda: torch.tensor([True, False]).topk(1)),
        err("nll_loss bool target", lambda: F.nll_loss(torch.randn(2, 3), torch.tensor([True, False]))),
        err("topk k too large", lambda: x.topk(5)),
        err("topk dim out of range", lambda: x.topk(1, dim=2)),
        err("max over an empty dim", lambda: torch.zeros(2, 0).max(1)),
        err("min of an empty tensor", lambda: torch.zeros(0).min()),
        err("bmm 2-D batch1", lambda: torch.bmm(x, torch.randn(2, 4, 5))),
        err("bmm 2-D batch2", lambda: torch.bmm(torch.randn(2, 3, 4), x)),
        err("bmm batch mismatch", lambda: torch.bmm(torch.randn(2, 3, 4), torch.randn(3, 4, 5))),
        err("bmm inner mismatch", lambda: torch.bmm(torch.randn(2, 3, 4), torch.randn(2, 5, 5))),
        err("gather index ndim", lambda: torch.gather(x, 1, torch.tensor([0, 1]))),
        err("gather float index", lambda: torch.gather(x, 1, torch.tensor([[0.0]]))),
        err("gather index out of bounds", lambda: torch.gather(x, 1, torch.tensor([[0, 4]]))),
        err("gather negative index", lambda: torch.gather(x, 1, torch.tensor([[-1]]))),
        err("gather index larger than input", lambda: torch.gather(x, 1, torch.zeros(4, 1, dtype=torch.long))),
        err("masked_fill mask not broadcastable", lambda: x.masked_fill(torch.tensor([True, False]), 0.0)),
        err("one_hot float input", lambda: F.one_hot(torch.tensor([1.0]))),
        err("one_hot negative class", lambda: F.one_hot(torch.tensor([-1, 0]))),
        err("one_hot class >= num_classes", lambda: F.one_hot(torch.tensor([3]), num_classes=3)),
        err("one_hot empty with num_classes=-1", lambda: F.one_hot(torch.zeros(0, dtype=torch.long))),
        err("nll_loss target out of bounds", lambda: F.nll_loss(x, torch.tensor([0, 1, 4]))),
        err("nll_loss batch mismatch", lambda: F.nll_loss(x, torch.tensor([0, 1]))),
        err("nll_loss float target", lambda: F.nll_loss(x, torch.tensor([0.0, 1.0, 2.0]))),
        err("nll_loss weight wrong size", lambda: F.nll_loss(x, torch.tensor([0, 1, 2]), weight=torch.ones(3))),
        err("nll_loss 2-D target for 2-D input", lambda: F.nll_loss(x, torch.zeros(3, 1, dtype=torch.long))),
        err("nll_loss bad reduction", lambda: F.nll_loss(x, torch.tensor([0, 1, 2]), reduction="avg")),
        err("mse_loss bad reduction", lambda: F.mse_loss(x, x, reduction="avg")),
        err("mse_loss shapes not broadcastable", lambda: F.mse_loss(x, torch.randn(3, 5))),
        err("chunk 0 chunks", lambda: x.chunk(0)),
        err("chunk of a 0-d tensor", lambda: torch.tensor(5.0).chunk(2)),
        err("split of a 0-d tensor", lambda: torch.tensor(5.0).split(1)),
        err("split sizes do not sum", lambda: x.split([1, 2], dim=1)),
        err("arange step 0", lambda: torch.arange(0, 3, 0)),
        err("arange wrong sign", lambda: torch.arange(0, 3, -1)),
        err("softmax dim out of range", lambda: F.softmax(x, dim=2)),
        err("size dim out of range", lambda: x.size(-3)),
        err("cat dim mismatch", lambda: torch.cat((x, torch.randn(2, 5)), dim=0)),
        err("t() of a 3-D tensor", lambda: torch.zeros(2, 3, 4).t()),
        err("fill_ on a leaf that requires grad", lambda: torch.zeros(2, requires_grad=True).fill_(1)),
        err("init.uniform_ a > b", lambda: torch.nn.init.uniform_(torch.zeros(2), 1, 0)),
        err("init.normal_ std < 0", lambda: torch.nn.init.normal_(torch.zeros(2), 0, -1)),
        err("stack shape mismatch", lambda: torch.stack((x, torch.randn(3, 5)))),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    out = ap.parse_args().out
    build_cases()
    errors = build_errors()
    doc = {
        "meta": {
            "torch": torch.__version__,
            "tolerances": {"float32": {"atol": 1e-5, "rtol": 1e-4}, "float64": {"atol": 1e-12, "rtol": 1e-10}},
        },
        "cases": CASES,
        "errors": errors,
    }
    with open(out, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {out}: {len(CASES)} cases, {len(errors)} errors")


if __name__ == "__main__":
    main()
