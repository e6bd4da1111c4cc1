#!/usr/bin/env python3
"""Fixture for src/data/pyrandom.ts: outputs of CPython's random.Random for several seeds.

Plain python3 (no torch, no numpy). Run from anywhere:

    python3 tools/gen_pyrandom_fixture.py            # writes <repo>/test/fixtures/pyrandom.json
    python3 tools/gen_pyrandom_fixture.py --out X.json

Integers that do not fit a JS number exactly (> 2**53) are written as decimal strings; seeds are
always strings. Each category below starts from a fresh Random(seed), so a mismatch points at one
method, and "mixed" interleaves calls across several MT twists to test that the state carries over.
The "article_stream" section is the article's data pipeline: per sample
n = randint(min_seq_len, max_seq_len), then n values randint(0, max_number); target sum % (max_number+1).
"""
import argparse
import json
import os
import random
import sys

SAFE = 2 ** 53


def num(v):
    return v if -SAFE < v < SAFE else str(v)


SEEDS = [0, 1, 42, 2 ** 32 + 5, -7, 2 ** 53 - 1, 2 ** 100 + 12345]
BITS = [1, 8, 31, 32, 33, 53, 64, 100]
RANGES = [(2, 5), (0, 9), (0, 1), (-5, 5), (0, 2 ** 32 - 1), (0, 2 ** 32), (0, 2 ** 40), (0, 2 ** 60)]


def per_seed(seed, with_state):
    out = {"seed": str(seed)}
    r = random.Random(seed)
    out["random"] = [r.random() for _ in range(20)]
    out["getrandbits"] = {}
    for k in BITS:
        r = random.Random(seed)
        out["getrandbits"][str(k)] = [num(r.getrandbits(k)) for _ in range(10)]
    out["randint"] = []
    for a, b in RANGES:
        r = random.Random(seed)
        out["randint"].append({"a": num(a), "b": num(b), "values": [num(r.randint(a, b)) for _ in range(20)]})
    r = random.Random(seed)
    xs = list(range(20))
    r.shuffle(xs)
    ys = list(range(7))
    r.shuffle(ys)
    out["shuffle"] = [{"n": 20, "output": xs}, {"n": 7, "output": ys}]
    r = random.Random(seed)
    out["choice"] = {"seq": list("abcdefg"), "values": [r.choice("abcdefg") for _ in range(15)]}
    # randrange with steps, including negative ones (floor-division path)
    r = random.Random(seed)
    out["randrange"] = [{"args": list(a), "value": r.randrange(*a)} for a in
                        [(10,), (3, 30, 4), (30, 3, -4), (-10, 10, 3), (0, 1000, 7), (5, 6), (100,)]]
    # mixed calls: 700 randint(0, 9) cross one twist (624 words), then other methods
    r = random.Random(seed)
    mixed = [r.randint(0, 9) for _ in range(700)]
    mixed += [r.random(), num(r.getrandbits(33)), num(r.getrandbits(70)), r.randint(0, 2 ** 40), r.randint(2, 5)]
    out["mixed"] = mixed
    if with_state:
        v, internal, gauss = r.getstate()
        out["state_after_mixed"] = {"version": v, "internalstate": list(internal), "gaussNext": gauss}
        out["after_state"] = [r.randint(0, 9) for _ in range(10)] + [r.random()]
    return out


def article_stream(seed, batch_size, n_batches, min_seq_len=2, max_seq_len=5, max_number=9):
    rng = random.Random(seed)
    batches = []
    for _ in range(n_batches):
        samples = []
        for _ in range(batch_size):
            n = rng.randint(min_seq_len, max_seq_len)
            seq = [rng.randint(0, max_number) for _ in range(n)]
            samples.append({"seq": seq, "length": n, "target": sum(seq) % (max_number + 1)})
        # collate as the training scripts do: pad_sequence(batch_first=True, padding_value=max_number+1)
        t = max(s["length"] for s in samples)
        x = [s["seq"] + [max_number + 1] * (t - s["length"]) for s in samples]
        batches.append({"samples": samples, "x": x, "lengths": [s["length"] for s in samples],
                        "y": [s["target"] for s in samples]})
    v, internal, gauss = rng.getstate()
    return {"seed": seed, "batch_size": batch_size, "min_seq_len": min_seq_len, "max_seq_len": max_seq_len,
            "max_number": max_number, "pad_value": max_number + 1, "batches": batches,
            "state_after": {"version": v, "internalstate": list(internal), "gaussNext": gauss}}


def main():
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(repo_root, "test", "fixtures", "pyrandom.json"))
    a = ap.parse_args()
    doc = {
        "meta": {"generator": "tools/gen_pyrandom_fixture.py", "python": sys.version.split()[0],
                 "note": "ints beyond 2**53 and all seeds are decimal strings"},
        "seeds": [per_seed(s, with_state=s in (0, 42)) for s in SEEDS],
        "article_stream": [article_stream(0, 16, 3), article_stream(1, 16, 3), article_stream(0, 64, 3)],
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {a.out}: {os.path.getsize(a.out)} bytes")


if __name__ == "__main__":
    main()
