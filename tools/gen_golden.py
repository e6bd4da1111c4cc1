#!/usr/bin/python3
"""Golden-data generator for a TypeScript re-implementation of PyTorch's recurrent stack.

Run with the system python that has torch 1.13 (CPU):

    /usr/bin/python3 tools/gen_golden.py      # writes <repo>/test/fixtures/golden.json
    /usr/bin/python3 tools/gen_golden.py --out X.json

The default output path is resolved from this file's location, so the working directory does
not matter.

Everything is seeded; re-running gives byte-identical output on the same torch build.
The format is documented in tools/FORMAT.md. Every float64 RNN case is additionally checked
against an independent NumPy re-implementation of PyTorch's documented RNN/LSTM/GRU equations
(`ref_rnn_forward`), so the golden data and the equations agree.
"""
import argparse
import json
import math
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import (pack_padded_sequence, pad_packed_sequence, pad_sequence,
                                pack_sequence, unpack_sequence, unpad_sequence)

warnings.simplefilter("ignore")  # scheduler deprecation / dropout warnings are documented, not data
torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


# ----------------------------------------------------------------------------------------
# tensor encoding
# ----------------------------------------------------------------------------------------
def _f32(v):
    # shortest decimal that round-trips a float32 (Math.fround(parseFloat(s)) gives it back)
    return float(repr(np.float32(v)))


def enc(t, dtype=None):
    """Encode a tensor / list as {"dtype","shape","data"} (row-major flat data)."""
    if t is None:
        return None
    if not torch.is_tensor(t):
        t = torch.as_tensor(t)
    t = t.detach().cpu()
    if t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool):
        return {"dtype": "int64", "shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}
    if t.dtype == torch.float32:
        return {"dtype": "float32", "shape": list(t.shape), "data": [_f32(v) for v in t.reshape(-1).tolist()]}
    return {"dtype": "float64", "shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def enc_packed(ps):
    return {"data": enc(ps.data), "batch_sizes": enc(ps.batch_sizes),
            "sorted_indices": enc(ps.sorted_indices), "unsorted_indices": enc(ps.unsorted_indices)}


# ----------------------------------------------------------------------------------------
# independent NumPy reference: PyTorch's documented RNN/LSTM/GRU cell equations, layer by layer
# ----------------------------------------------------------------------------------------
def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_cell(mode, x, h, c, p, bias, proj):
    """One step. x (B,In), h (B,Hout), c (B,H) or None. p: dict of numpy params for this layer/dir."""
    gi = x @ p["w_ih"].T
    gh = h @ p["w_hh"].T
    if bias:
        gi = gi + p["b_ih"]
        gh = gh + p["b_hh"]
    if mode == "RNN_TANH":
        return np.tanh(gi + gh), None
    if mode == "RNN_RELU":
        return np.maximum(gi + gh, 0.0), None
    if mode == "GRU":
        H = h.shape[1]
        r = _sig(gi[:, :H] + gh[:, :H])
        z = _sig(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])  # r multiplies (W_hn h + b_hn)
        return (1.0 - z) * n + z * h, None
    if mode == "LSTM":
        g = gi + gh
        H = c.shape[1]
        i, f, gg, o = _sig(g[:, :H]), _sig(g[:, H:2 * H]), np.tanh(g[:, 2 * H:3 * H]), _sig(g[:, 3 * H:])
        c2 = f * c + i * gg
        h2 = o * np.tanh(c2)
        if proj:
            h2 = h2 @ p["w_hr"].T
        return h2, c2
    raise ValueError(mode)


def ref_rnn_forward(mode, cfg, params, x_tm, lengths, h0, c0, dropout_zero_between_layers=False):
    """x_tm: time-major (T,B,In) numpy; lengths: per-batch lengths (None = all T, i.e. padded input
    processed in full); h0 (L*D,B,Hout), c0 (L*D,B,H) numpy (zeros if not given).
    Returns out (T,B,D*Hout) with zeros after each sequence's length, h_n, c_n."""
    T, B, _ = x_tm.shape
    L, D = cfg["num_layers"], 2 if cfg["bidirectional"] else 1
    H = cfg["hidden_size"]
    proj = cfg.get("proj_size", 0)
    Hout = proj if proj > 0 else H
    lens = [T] * B if lengths is None else list(lengths)
    layer_in = x_tm
    hn = np.zeros((L * D, B, Hout))
    cn = np.zeros((L * D, B, H))
    for l in range(L):
        out = np.zeros((T, B, D * Hout))
        for d in range(D):
            sfx = "_reverse" if d == 1 else ""
            p = {"w_ih": params[f"weight_ih_l{l}{sfx}"], "w_hh": params[f"weight_hh_l{l}{sfx}"]}
            if cfg["bias"]:
                p["b_ih"] = params[f"bias_ih_l{l}{sfx}"]
                p["b_hh"] = params[f"bias_hh_l{l}{sfx}"]
            if proj:
                p["w_hr"] = params[f"weight_hr_l{l}{sfx}"]
            for b in range(B):  # per sequence: each one is independent
                h = h0[l * D + d, b:b + 1].copy()
                c = c0[l * D + d, b:b + 1].copy() if mode == "LSTM" else None
                steps = range(lens[b]) if d == 0 else range(lens[b] - 1, -1, -1)
                for t in steps:
                    h, c = ref_cell(mode, layer_in[t, b:b + 1], h, c, p, cfg["bias"], proj)
                    out[t, b, d * Hout:(d + 1) * Hout] = h[0]
                hn[l * D + d, b] = h[0]
                if mode == "LSTM":
                    cn[l * D + d, b] = c[0]
        # inter-layer dropout acts on the input of the next layer only (never after the last layer,
        # never on h_n); with p=1 in training mode that input is all zeros
        layer_in = np.zeros_like(out) if (dropout_zero_between_layers and l < L - 1) else out
    return out, hn, cn


# ----------------------------------------------------------------------------------------
# RNN / LSTM / GRU cases
# ----------------------------------------------------------------------------------------
def make_module(mode, cfg, dtype):
    kw = dict(num_layers=cfg["num_layers"], bias=cfg["bias"], batch_first=cfg["batch_first"],
              dropout=cfg.get("dropout", 0.0), bidirectional=cfg["bidirectional"])
    if mode in ("RNN_TANH", "RNN_RELU"):
        m = nn.RNN(cfg["input_size"], cfg["hidden_size"], nonlinearity="tanh" if mode == "RNN_TANH" else "relu", **kw)
    elif mode == "LSTM":
        m = nn.LSTM(cfg["input_size"], cfg["hidden_size"], proj_size=cfg.get("proj_size", 0), **kw)
    else:
        m = nn.GRU(cfg["input_size"], cfg["hidden_size"], **kw)
    return m.to(dtype)


def rnn_case(name, mode, cfg, kind, with_h0, lengths=None, enforce_sorted=False, dtype=torch.float64,
             training=True, seed=0, T=4, B=3, note=None):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # module init (PyTorch default uniform(-1/sqrt(H), 1/sqrt(H)))
    m = make_module(mode, cfg, dtype)
    m.train(training)
    D = 2 if cfg["bidirectional"] else 1
    L = cfg["num_layers"]
    H = cfg["hidden_size"]
    proj = cfg.get("proj_size", 0)
    Hout = proj if proj > 0 else H
    In = cfg["input_size"]
    bf = cfg["batch_first"]

    def rnd(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)

    # ---- input
    if kind == "unbatched":
        x = rnd(T, In).requires_grad_(True)
    else:
        x = (rnd(B, T, In) if bf else rnd(T, B, In)).requires_grad_(True)
    h0 = c0 = None
    if with_h0:
        if kind == "unbatched":
            h0 = rnd(L * D, Hout).requires_grad_(True)
            c0 = rnd(L * D, H).requires_grad_(True) if mode == "LSTM" else None
        else:
            h0 = rnd(L * D, B, Hout).requires_grad_(True)
            c0 = rnd(L * D, B, H).requires_grad_(True) if mode == "LSTM" else None
    hx = None if h0 is None else ((h0, c0) if mode == "LSTM" else h0)

    rec = {"name": name, "mode": mode, "dtype": "float64" if dtype == torch.float64 else "float32",
           "training": training, "input_kind": kind,
           "config": {"input_size": In, "hidden_size": H, "num_layers": L, "bias": cfg["bias"],
                      "batch_first": bf, "dropout": cfg.get("dropout", 0.0), "bidirectional": cfg["bidirectional"]}}
    if mode in ("RNN_TANH", "RNN_RELU"):
        rec["config"]["nonlinearity"] = "tanh" if mode == "RNN_TANH" else "relu"
    if mode == "LSTM":
        rec["config"]["proj_size"] = proj
    if note:
        rec["note"] = note
    rec["param_order"] = list(m._flat_weights_names)
    rec["params"] = {n: enc(getattr(m, n)) for n in m._flat_weights_names}
    rec["inputs"] = {"x": enc(x), "h0": enc(h0), "c0": enc(c0) if mode == "LSTM" else None}

    packed_in = None
    if kind == "packed":
        packed_in = pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
        # a second, leaf copy of the packed data to get d loss / d packed.data directly
        pdata_leaf = packed_in.data.detach().clone().requires_grad_(True)
        packed_leaf = type(packed_in)(pdata_leaf, packed_in.batch_sizes, packed_in.sorted_indices,
                                      packed_in.unsorted_indices)
        rec["inputs"]["lengths"] = list(lengths)
        rec["inputs"]["enforce_sorted"] = enforce_sorted
        rec["inputs"]["packed"] = enc_packed(packed_in)
        out, hid = m(packed_in, hx)
        out_data = out.data
    else:
        out, hid = m(x, hx)
        out_data = out
    hn, cn = (hid if mode == "LSTM" else (hid, None))

    # ---- fixed scalar loss
    w_out = rnd(*out_data.shape)
    w_h = rnd(*hn.shape)
    w_c = rnd(*cn.shape) if cn is not None else None
    loss = (out_data * w_out).sum() + (hn * w_h).sum()
    if cn is not None:
        loss = loss + (cn * w_c).sum()
    params = [getattr(m, n) for n in m._flat_weights_names]
    leaves = params + [x] + ([h0] if h0 is not None else []) + ([c0] if c0 is not None else [])
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    gd = {}
    for n, gr in zip(m._flat_weights_names, grads[:len(params)]):
        gd[n] = enc(gr)
    k = len(params)
    gd["x"] = enc(grads[k] if grads[k] is not None else torch.zeros_like(x)); k += 1
    gd["h0"] = enc(grads[k]) if h0 is not None else None
    if h0 is not None:
        k += 1
    gd["c0"] = enc(grads[k]) if c0 is not None else None

    rec["outputs"] = {"h_n": enc(hn), "c_n": enc(cn) if cn is not None else None}
    if kind == "packed":
        rec["outputs"]["output_packed"] = enc_packed(out)
        padded, out_lens = pad_packed_sequence(out, batch_first=bf)
        rec["outputs"]["output_padded"] = enc(padded)
        rec["outputs"]["output_lengths"] = enc(out_lens)
        # d loss / d packed.data (same loss, through the leaf copy)
        out2, hid2 = m(packed_leaf, hx)
        hn2, cn2 = (hid2 if mode == "LSTM" else (hid2, None))
        loss2 = (out2.data * w_out).sum() + (hn2 * w_h).sum() + ((cn2 * w_c).sum() if cn2 is not None else 0)
        gd["packed_data"] = enc(torch.autograd.grad(loss2, pdata_leaf)[0])
    else:
        rec["outputs"]["output"] = enc(out)
    rec["loss"] = {"formula": "sum(OUT * w_out) + sum(h_n * w_h)" + (" + sum(c_n * w_c)" if cn is not None else ""),
                   "OUT": "output_packed.data" if kind == "packed" else "output",
                   "w_out": enc(w_out), "w_h": enc(w_h), "w_c": enc(w_c) if w_c is not None else None,
                   "value": float(loss.detach())}
    rec["grads"] = gd

    # ---- self-check against the NumPy reference (float64 only; dropout only p=0 or p=1)
    p_drop = cfg.get("dropout", 0.0)
    if dtype == torch.float64 and (p_drop == 0 or not training or p_drop == 1.0):
        npp = {n: getattr(m, n).detach().numpy() for n in m._flat_weights_names}
        xx = x.detach().numpy()
        if kind == "unbatched":
            xtm = xx[:, None, :]
        else:
            xtm = xx.transpose(1, 0, 2) if bf else xx
        Bn = xtm.shape[1]
        if h0 is not None:
            h0n = h0.detach().numpy()
            h0n = h0n[:, None, :] if kind == "unbatched" else h0n
        else:
            h0n = np.zeros((L * D, Bn, Hout))
        if c0 is not None:
            c0n = c0.detach().numpy()
            c0n = c0n[:, None, :] if kind == "unbatched" else c0n
        else:
            c0n = np.zeros((L * D, Bn, H))
        o_ref, hn_ref, cn_ref = ref_rnn_forward(mode, rec["config"] | ({"proj_size": proj}), npp, xtm,
                                                lengths if kind == "packed" else None, h0n, c0n,
                                                dropout_zero_between_layers=(training and p_drop == 1.0))
        if kind == "packed":
            o_t = pad_packed_sequence(out, batch_first=False)[0].detach().numpy()
            o_ref = o_ref[:max(lengths)]  # pad_packed_sequence returns max(lengths) steps, not T
        elif kind == "unbatched":
            o_t = out.detach().numpy()[:, None, :]
        else:
            o_t = out.detach().numpy().transpose(1, 0, 2) if bf else out.detach().numpy()
        hn_t = hn.detach().numpy()
        hn_t = hn_t[:, None, :] if kind == "unbatched" else hn_t
        err = max(np.abs(o_ref - o_t).max(), np.abs(hn_ref - hn_t).max())
        if cn is not None:
            cn_t = cn.detach().numpy()
            cn_t = cn_t[:, None, :] if kind == "unbatched" else cn_t
            err = max(err, np.abs(cn_ref - cn_t).max())
        assert err < 1e-12, (name, err)
        rec["selfcheck_max_abs_err_vs_numpy_reference"] = float(err)
    return rec


def build_rnn_cases():
    cases = []
    kinds = ["padded", "packed_unsorted", "packed_equal", "unbatched"]
    for mi, mode in enumerate(MODES):
        i = 0
        for kind in kinds:
            for L in (1, 3):
                for bidir in (False, True):
                    j = (i + 3 * mi) % 8
                    bf, bias, with_h0 = bool(j & 1), not bool(j & 2), bool(j & 4)
                    cfg = {"input_size": 3, "hidden_size": 3, "num_layers": L, "bias": bias,
                           "batch_first": bf, "bidirectional": bidir}
                    seed = 1000 * mi + i
                    name = f"{mode}_{kind}_L{L}_{'bi' if bidir else 'uni'}_{'bf' if bf else 'tm'}_{'bias' if bias else 'nobias'}_{'h0' if with_h0 else 'noh0'}"
                    if kind == "packed_unsorted":
                        # the [4,2,1] batch, given in unsorted order (sorted_indices = [1,0,2])
                        rec = rnn_case(name, mode, cfg, "packed", with_h0, lengths=[2, 4, 1],
                                       enforce_sorted=False, seed=seed, T=4, B=3)
                    elif kind == "packed_equal":
                        rec = rnn_case(name, mode, cfg, "packed", with_h0, lengths=[3, 3, 3],
                                       enforce_sorted=False, seed=seed, T=3, B=3)
                    else:
                        rec = rnn_case(name, mode, cfg, kind, with_h0, seed=seed, T=4, B=3)
                    cases.append(rec)
                    i += 1
    # ---- extra coverage
    base = {"input_size": 3, "hidden_size": 3, "bias": True}
    cases.append(rnn_case("LSTM_packed_sorted_enforce_L2_bi_tm", "LSTM",
                          dict(base, num_layers=2, batch_first=False, bidirectional=True), "packed", True,
                          lengths=[4, 2, 1], enforce_sorted=True, seed=7001,
                          note="enforce_sorted=True: sorted_indices/unsorted_indices are null"))
    cases.append(rnn_case("GRU_packed_ties_B5_bi_bf", "GRU",
                          dict(base, num_layers=2, batch_first=True, bidirectional=True), "packed", True,
                          lengths=[2, 4, 2, 4, 1], enforce_sorted=False, seed=7002, T=4, B=5,
                          note="length ties; torch.sort(descending) is stable for batch <= 16 on CPU"))
    cases.append(rnn_case("RNN_TANH_packed_len1_all", "RNN_TANH",
                          dict(base, num_layers=2, batch_first=False, bidirectional=True), "packed", False,
                          lengths=[1, 1, 1], enforce_sorted=False, seed=7003, T=2, B=3,
                          note="all lengths 1 with padded T=2 (T > max length is allowed)"))
    # LSTM with projections
    cases.append(rnn_case("LSTM_proj2_padded_L2_bi_tm_h0", "LSTM",
                          dict(base, hidden_size=4, proj_size=2, num_layers=2, batch_first=False, bidirectional=True),
                          "padded", True, seed=7010))
    cases.append(rnn_case("LSTM_proj2_packed_L1_uni_bf_noh0", "LSTM",
                          dict(base, hidden_size=4, proj_size=2, num_layers=1, batch_first=True, bidirectional=False),
                          "packed", False, lengths=[1, 4, 3], enforce_sorted=False, seed=7011))
    # dropout: p=1 in training mode is deterministic (inputs of layers >= 1 are all zero)
    cases.append(rnn_case("RNN_TANH_dropout1_train_L3_uni_tm_h0", "RNN_TANH",
                          dict(base, num_layers=3, batch_first=False, bidirectional=False, dropout=1.0),
                          "padded", True, seed=7020, training=True,
                          note="dropout=1.0, training: layer-0 output (input of layer 1, 2) is zeroed; h_n of layer 0 is NOT"))
    cases.append(rnn_case("LSTM_dropout1_train_packed_L2_bi_bf", "LSTM",
                          dict(base, num_layers=2, batch_first=True, bidirectional=True, dropout=1.0),
                          "packed", True, lengths=[3, 1, 4], enforce_sorted=False, seed=7021, training=True))
    cases.append(rnn_case("GRU_dropout05_eval_L3_bi_tm", "GRU",
                          dict(base, num_layers=3, batch_first=False, bidirectional=True, dropout=0.5),
                          "padded", True, seed=7022, training=False,
                          note="eval mode: dropout is a no-op"))
    # bigger feature sizes (in != hidden) once per mode
    for k, mode in enumerate(MODES):
        cases.append(rnn_case(f"{mode}_in5_h4_packed_L2_bi_bf_h0", mode,
                              {"input_size": 5, "hidden_size": 4, "num_layers": 2, "bias": True,
                               "batch_first": True, "bidirectional": True},
                              "packed", True, lengths=[3, 5, 1, 2], enforce_sorted=False, seed=7100 + k, T=5, B=4))
    # float32
    f32 = [("RNN_TANH", "unbatched", None, {"num_layers": 2, "bidirectional": True, "batch_first": False}),
           ("RNN_RELU", "padded", None, {"num_layers": 1, "bidirectional": False, "batch_first": True}),
           ("LSTM", "packed", [2, 4, 1], {"num_layers": 2, "bidirectional": True, "batch_first": True}),
           ("GRU", "padded", None, {"num_layers": 3, "bidirectional": True, "batch_first": False})]
    for k, (mode, kind, lens, c) in enumerate(f32):
        cfg = dict(base, **c)
        cases.append(rnn_case(f"f32_{mode}_{kind}_L{c['num_layers']}", mode, cfg, kind, True, lengths=lens,
                              enforce_sorted=False, dtype=torch.float32, seed=7200 + k))
    return cases


# ----------------------------------------------------------------------------------------
# packing utilities
# ----------------------------------------------------------------------------------------
def build_pack_cases():
    g = torch.Generator().manual_seed(42)
    cases = []

    def rnd(*s):
        return torch.randn(*s, generator=g)

    def ppc(name, T, B, feat, lengths, batch_first, enforce_sorted, padding_value=0.0, total_length=None):
        x = rnd(*((B, T) if batch_first else (T, B)), *feat)
        p = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        padded, lens = pad_packed_sequence(p, batch_first=batch_first, padding_value=padding_value,
                                           total_length=total_length)
        # gradient of sum(packed.data * w) w.r.t. x (zero at padding positions)
        xr = x.clone().requires_grad_(True)
        p2 = pack_padded_sequence(xr, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        w = rnd(*p2.data.shape)
        gx = torch.autograd.grad((p2.data * w).sum(), xr)[0]
        cases.append({"name": name, "fn": "pack_padded_sequence+pad_packed_sequence",
                      "args": {"lengths": list(lengths), "batch_first": batch_first, "enforce_sorted": enforce_sorted,
                               "padding_value": padding_value, "total_length": total_length},
                      "input": enc(x), "packed": enc_packed(p), "padded": enc(padded), "lengths_out": enc(lens),
                      "grad_check": {"w": enc(w), "grad_input": enc(gx),
                                     "formula": "grad of sum(packed.data * w) w.r.t. input"}})

    ppc("ppc_sorted_tm", 4, 3, (2,), [4, 2, 1], False, True)
    ppc("ppc_unsorted_tm", 4, 3, (2,), [2, 4, 1], False, False)
    ppc("ppc_unsorted_bf", 4, 3, (2,), [1, 2, 4], True, False)
    ppc("ppc_unsorted_bf_padval_total", 4, 3, (2,), [1, 2, 4], True, False, padding_value=-7.5, total_length=6)
    ppc("ppc_T_larger_than_maxlen", 6, 3, (2,), [3, 1, 2], False, False, padding_value=1.25)
    ppc("ppc_equal_lengths", 3, 3, (2,), [3, 3, 3], False, False)
    ppc("ppc_single_sequence", 5, 1, (3,), [5], True, True)
    ppc("ppc_2d_input_no_feature_dim", 4, 3, (), [2, 4, 3], False, False)
    ppc("ppc_4d_input", 3, 4, (2, 2), [3, 1, 3, 2], True, False, padding_value=9.0, total_length=5)
    ppc("ppc_ties_B6", 4, 6, (1,), [2, 4, 2, 4, 1, 2], False, False)
    ppc("ppc_ties_B20_unstable_sort", 3, 20, (1,), [1, 2, 3, 2, 1] * 4, False, False)

    # pad_sequence
    for name, shapes, bf, pv in [("pad_seq_tm", [(3, 2), (1, 2), (4, 2)], False, 0.0),
                                 ("pad_seq_bf_padval", [(3, 2), (1, 2), (4, 2)], True, -1.0),
                                 ("pad_seq_1d", [(2,), (5,), (3,)], True, 0.5),
                                 ("pad_seq_zero_len_member", [(0, 2), (2, 2)], False, 3.0),
                                 ("pad_seq_3d_items", [(2, 2, 2), (3, 2, 2)], True, 0.0)]:
        seqs = [rnd(*s) for s in shapes]
        cases.append({"name": name, "fn": "pad_sequence", "args": {"batch_first": bf, "padding_value": pv},
                      "sequences": [enc(s) for s in seqs], "output": enc(pad_sequence(seqs, bf, pv))})
    # pack_sequence / unpack_sequence
    for name, shapes, es in [("pack_seq_sorted", [(4, 2), (2, 2), (1, 2)], True),
                             ("pack_seq_unsorted", [(2, 2), (4, 2), (1, 2)], False),
                             ("pack_seq_1d_unsorted", [(1,), (3,), (2,)], False)]:
        seqs = [rnd(*s) for s in shapes]
        p = pack_sequence(seqs, enforce_sorted=es)
        cases.append({"name": name, "fn": "pack_sequence+unpack_sequence", "args": {"enforce_sorted": es},
                      "sequences": [enc(s) for s in seqs], "packed": enc_packed(p),
                      "unpacked": [enc(s) for s in unpack_sequence(p)]})
    # unpad_sequence (note: batch_first=False transposes its argument IN PLACE in torch 1.13; we pass a clone)
    for name, bf in [("unpad_seq_tm", False), ("unpad_seq_bf", True)]:
        seqs = [rnd(3, 2), rnd(1, 2), rnd(4, 2)]
        padded = pad_sequence(seqs, bf)
        lens = torch.tensor([3, 1, 4])
        outs = unpad_sequence(padded.clone(), lens, batch_first=bf)
        cases.append({"name": name, "fn": "unpad_sequence", "args": {"batch_first": bf},
                      "padded": enc(padded), "lengths": [3, 1, 4], "output": [enc(o) for o in outs]})
    return cases


# ----------------------------------------------------------------------------------------
# Embedding
# ----------------------------------------------------------------------------------------
def build_embedding_cases():
    cases = []
    g = torch.Generator().manual_seed(5)
    for name, num, dim, pidx, idx, max_norm in [
            ("emb_padidx_neg1", 6, 3, -1, [[0, 5, 2], [5, 5, 1]], None),
            ("emb_padidx_0", 5, 2, 0, [0, 1, 0, 4, 3, 0], None),
            ("emb_no_pad", 4, 3, None, [[3, 1], [1, 1]], None),
            ("emb_max_norm_1", 5, 3, None, [1, 3, 3, 0], 1.0),
            ("emb_max_norm_pad_neg2", 5, 3, -2, [1, 3, 3, 4], 0.5)]:
        torch.manual_seed(11)
        e = nn.Embedding(num, dim, padding_idx=pidx, max_norm=max_norm)
        with torch.no_grad():
            e.weight.mul_(3.0)  # make rows big enough for max_norm to act; padding row stays zero
        w_before = e.weight.detach().clone()
        ix = torch.tensor(idx)
        out = e(ix)
        gw_out = torch.randn(*out.shape, generator=g)
        grad = torch.autograd.grad((out * gw_out).sum(), e.weight)[0]
        cases.append({"name": name, "num_embeddings": num, "embedding_dim": dim, "padding_idx_arg": pidx,
                      "padding_idx_resolved": e.padding_idx, "max_norm": max_norm,
                      "weight_before": enc(w_before), "indices": enc(ix), "output": enc(out),
                      "weight_after_forward": enc(e.weight),
                      "loss": {"formula": "sum(output * w_out)", "w_out": enc(gw_out)},
                      "grad_weight": enc(grad)})
    return cases


# ----------------------------------------------------------------------------------------
# CrossEntropyLoss
# ----------------------------------------------------------------------------------------
def build_ce_cases():
    cases = []
    g = torch.Generator().manual_seed(9)
    x = torch.randn(6, 4, generator=g)
    t = torch.tensor([0, 3, -100, 1, 2, 3])
    w = torch.tensor([0.5, 1.0, 2.0, 0.25])
    for red in ("mean", "sum", "none"):
        for ls in (0.0, 0.1):
            for weight in (None, w):
                for ii, tt in ((-100, t), (3, torch.tensor([0, 3, 1, 1, 2, 3]))):
                    xx = x.clone().requires_grad_(True)
                    crit = nn.CrossEntropyLoss(weight=weight, reduction=red, ignore_index=ii, label_smoothing=ls)
                    out = crit(xx, tt)
                    go = torch.randn(*out.shape, generator=g) if red == "none" else torch.tensor(1.0)
                    gx = torch.autograd.grad((out * go).sum(), xx)[0]
                    cases.append({"name": f"ce_{red}_ls{ls}_{'w' if weight is not None else 'now'}_ii{ii}",
                                  "args": {"reduction": red, "label_smoothing": ls, "ignore_index": ii,
                                           "weight": enc(weight)},
                                  "input": enc(x), "target": enc(tt), "output": enc(out),
                                  "grad": {"formula": "grad of sum(output * g_out) w.r.t. input", "g_out": enc(go),
                                           "grad_input": enc(gx)}})
    # all targets ignored: mean -> nan (encoded as null? no: we record the string "nan")
    xx = x[:2].clone().requires_grad_(True)
    out = nn.CrossEntropyLoss()(xx, torch.tensor([-100, -100]))
    cases.append({"name": "ce_all_ignored_mean_is_nan", "args": {"reduction": "mean", "label_smoothing": 0.0,
                                                                 "ignore_index": -100, "weight": None},
                  "input": enc(x[:2]), "target": enc(torch.tensor([-100, -100])),
                  "output": {"dtype": "float64", "shape": [], "data": ["nan" if math.isnan(out.item()) else out.item()]}})
    # probability targets and K-dim input (N, C, d1)
    xp = torch.randn(3, 4, generator=g).requires_grad_(True)
    tp = torch.softmax(torch.randn(3, 4, generator=g), 1)
    out = nn.CrossEntropyLoss(label_smoothing=0.2)(xp, tp)
    cases.append({"name": "ce_prob_targets_ls0.2_mean", "args": {"reduction": "mean", "label_smoothing": 0.2,
                                                                 "ignore_index": -100, "weight": None},
                  "input": enc(xp), "target": enc(tp), "output": enc(out),
                  "grad": {"formula": "grad of output w.r.t. input", "g_out": enc(torch.tensor(1.0)),
                           "grad_input": enc(torch.autograd.grad(out, xp)[0])}})
    xk = torch.randn(2, 3, 4, generator=g).requires_grad_(True)
    tk = torch.tensor([[0, 2, 1, -100], [2, 2, 0, 1]])
    out = nn.CrossEntropyLoss()(xk, tk)
    cases.append({"name": "ce_kdim_N2_C3_d4_mean", "args": {"reduction": "mean", "label_smoothing": 0.0,
                                                            "ignore_index": -100, "weight": None},
                  "input": enc(xk), "target": enc(tk), "output": enc(out),
                  "grad": {"formula": "grad of output w.r.t. input", "g_out": enc(torch.tensor(1.0)),
                           "grad_input": enc(torch.autograd.grad(out, xk)[0])}})
    xu = torch.randn(4, generator=g).requires_grad_(True)
    out = nn.CrossEntropyLoss()(xu, torch.tensor(2))
    cases.append({"name": "ce_unbatched_C4", "args": {"reduction": "mean", "label_smoothing": 0.0,
                                                      "ignore_index": -100, "weight": None},
                  "input": enc(xu), "target": enc(torch.tensor(2)), "output": enc(out),
                  "grad": {"formula": "grad of output w.r.t. input", "g_out": enc(torch.tensor(1.0)),
                           "grad_input": enc(torch.autograd.grad(out, xu)[0])}})
    return cases


# ----------------------------------------------------------------------------------------
# schedulers and Adam
# ----------------------------------------------------------------------------------------
def _opt(lr):
    return torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=lr)


def sched_trace(make, steps, lr):
    """lr_before[k] = lr used by optimizer step k (k=1..steps); last_lr[k] = get_last_lr() after sched step k."""
    o = _opt(lr)
    s = make(o)
    init = [gr["lr"] for gr in o.param_groups][0]
    used, last = [], []
    for _ in range(steps):
        used.append(o.param_groups[0]["lr"])
        o.step()
        s.step()
        last.append(s.get_last_lr()[0])
    return init, used, last


def build_scheduler_cases():
    cases = []
    L = torch.optim.lr_scheduler
    specs = [
        ("linear_default", lambda o: L.LinearLR(o), 8, 0.1,
         {"start_factor": 1 / 3, "end_factor": 1.0, "total_iters": 5}),
        ("linear_0.01_to_1_T10", lambda o: L.LinearLR(o, start_factor=0.01, end_factor=1.0, total_iters=10), 14, 0.005,
         {"start_factor": 0.01, "end_factor": 1.0, "total_iters": 10}),
        ("linear_1_to_0.1_T4", lambda o: L.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=4), 6, 0.2,
         {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 4}),
        ("cosine_T10_eta0", lambda o: L.CosineAnnealingLR(o, T_max=10), 25, 0.1, {"T_max": 10, "eta_min": 0.0}),
        ("cosine_T50_eta1e-4", lambda o: L.CosineAnnealingLR(o, T_max=50, eta_min=1e-4), 50, 0.005,
         {"T_max": 50, "eta_min": 1e-4}),
        ("sequential_linear10_cosine50_ms10", lambda o: L.SequentialLR(
            o, [L.LinearLR(o, start_factor=0.01, end_factor=1.0, total_iters=10),
                L.CosineAnnealingLR(o, T_max=50, eta_min=1e-4)], milestones=[10]), 60, 0.005,
         {"schedulers": ["LinearLR(start_factor=0.01,end_factor=1.0,total_iters=10)",
                         "CosineAnnealingLR(T_max=50,eta_min=1e-4)"], "milestones": [10]}),
        ("sequential_linear3_cosine5_ms3", lambda o: L.SequentialLR(
            o, [L.LinearLR(o, start_factor=0.5, total_iters=3),
                L.CosineAnnealingLR(o, T_max=5, eta_min=0.01)], milestones=[3]), 15, 0.1,
         {"schedulers": ["LinearLR(start_factor=0.5,end_factor=1.0,total_iters=3)",
                         "CosineAnnealingLR(T_max=5,eta_min=0.01)"], "milestones": [3]}),
    ]
    for name, make, steps, lr, args in specs:
        init, used, last = sched_trace(make, steps, lr)
        rec = {"name": name, "base_lr": lr, "args": args, "steps": steps, "lr_after_construction": init,
               "lr_used_by_step": used, "get_last_lr_after_step": last}
        if name.startswith("cosine"):
            T, eta = args["T_max"], args["eta_min"]
            closed = [eta + (lr - eta) * (1 + math.cos(math.pi * e / T)) / 2 for e in range(1, steps + 1)]
            rec["closed_form_after_step"] = closed
            rec["max_abs_recursive_minus_closed"] = max(abs(a - b) for a, b in zip(last, closed))
        cases.append(rec)
    return cases


def build_adam_cases():
    """A tiny softmax-regression problem trained with Adam; optional LinearLR+Cosine SequentialLR."""
    cases = []
    g = torch.Generator().manual_seed(123)
    X = torch.randn(8, 3, generator=g)
    y = torch.tensor([0, 1, 2, 1, 0, 2, 2, 1])
    W0 = torch.randn(3, 3, generator=g) * 0.5
    b0 = torch.randn(3, generator=g) * 0.1
    L = torch.optim.lr_scheduler
    for name, steps, adam_kw, sched in [
            ("adam_default_seqlr_linear10_cosine50", 50, {"lr": 0.05}, "seq"),
            ("adam_amsgrad_wd_noschedule", 20, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6,
                                               "weight_decay": 0.1, "amsgrad": True}, None),
            ("adam_default_constant_lr", 20, {"lr": 0.01}, None)]:
        W = nn.Parameter(W0.clone())
        b = nn.Parameter(b0.clone())
        opt = torch.optim.Adam([W, b], **adam_kw)
        sch = None
        if sched == "seq":
            sch = L.SequentialLR(opt, [L.LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=10),
                                       L.CosineAnnealingLR(opt, T_max=50, eta_min=1e-4)], milestones=[10])
        trace = []
        for k in range(1, steps + 1):
            lr_used = opt.param_groups[0]["lr"]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(X @ W.T + b, y)
            loss.backward()
            gW, gb = W.grad.clone(), b.grad.clone()
            opt.step()
            if sch is not None:
                sch.step()
            st = opt.state[W]
            trace.append({"step": k, "lr_used": lr_used, "loss_before_step": float(loss.detach()),
                          "grad": {"W": enc(gW), "b": enc(gb)},
                          "params_after": {"W": enc(W), "b": enc(b)},
                          "exp_avg_W_after": enc(st["exp_avg"]), "exp_avg_sq_W_after": enc(st["exp_avg_sq"]),
                          "lr_after_scheduler_step": opt.param_groups[0]["lr"]})
        kw = dict(adam_kw)
        if "betas" in kw:
            kw["betas"] = list(kw["betas"])
        full = {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
        full.update(kw)
        cases.append({"name": name, "adam": full,
                      "schedule": ({"type": "SequentialLR", "milestones": [10],
                                    "schedulers": [{"type": "LinearLR", "start_factor": 0.01, "end_factor": 1.0,
                                                    "total_iters": 10},
                                                   {"type": "CosineAnnealingLR", "T_max": 50, "eta_min": 1e-4}]}
                                   if sched == "seq" else None),
                      "problem": {"description": "loss = cross_entropy(X @ W^T + b, y), mean reduction; "
                                                 "param order [W, b]; one optimizer step then one scheduler step per iteration",
                                  "X": enc(X), "y": enc(y), "W0": enc(W0), "b0": enc(b0)},
                      "trace": trace})
    return cases


# ----------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser()
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out", default=os.path.join(repo_root, "test", "fixtures", "golden.json"))
    a = ap.parse_args()
    doc = {
        "meta": {
            "generator": "gen_golden.py", "torch_version": torch.__version__, "python": sys.version.split()[0],
            "default_dtype": "float64",
            "tolerances": {"float64": {"atol": 1e-9, "rtol": 1e-9}, "float32": {"atol": 1e-5, "rtol": 1e-4}},
            "format_doc": "FORMAT.md",
        },
        "rnn_cases": build_rnn_cases(),
        "pack_cases": build_pack_cases(),
        "embedding_cases": build_embedding_cases(),
        "cross_entropy_cases": build_ce_cases(),
        "scheduler_cases": build_scheduler_cases(),
        "adam_cases": build_adam_cases(),
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
    sz = os.path.getsize(a.out)
    print(f"wrote {a.out}: {sz/1e6:.2f} MB; rnn={len(doc['rnn_cases'])} pack={len(doc['pack_cases'])} "
          f"emb={len(doc['embedding_cases'])} ce={len(doc['cross_entropy_cases'])} "
          f"sched={len(doc['scheduler_cases'])} adam={len(doc['adam_cases'])}")


if __name__ == "__main__":
    main()
