#!/usr/bin/env python
"""Benchmark (not a test): L-GMVAE training, LAPACE throughput, and the baselines' runtime.

    python scripts/benchmark.py [--part all|training|baselines] [--epochs 20] [--device cpu]

``training``: the time per epoch and to early stop of an L-GMVAE with Table 4's heloc-RF
settings, the decoder's FLOP bound on these cores, then LAPACE's throughput (inputs per second,
5 paths x 21 steps, random-forest black box included) for batches of 1, 100 and 10000 inputs,
full paths and First only, and one input against one forest call.

``first``: how far LAPACE-First (its in-order route) is from its floor on heloc-RF and
compas-RF (the quick profile's models, up to 1000 test inputs predicted 0): the path points it decodes against
the fewest any exact route must (each path's steps up to its First), what that floor costs
in decoder FLOPs, and two inexact shortcuts measured against the issue's bar (>= 99.5% of
First points identical; >= 99.9% of path labels for a lower-precision decoder): a
coarse-to-fine search on tau (every s-th step, then the steps before the first hit) and the
decoder's linear layers in dynamic int8 (bf16 has no hardware support without AVX-512 and
runs slower than fp32).

``baselines``: seconds per input of NNCE, FACE, RobX, DiCE, DRCE and LAPACE on heloc-RF and
adult-RF (the quick profile's models, ``lapace.profiles.load_pair(..., profile="quick")``),
100 test inputs predicted 0 (``select_inputs``), one run each, with each
method's ratio to LAPACE-First (its fast route; LAPACE full paths and LAPACE-Last beside
it).  DiCE runs on the first ``--dice-inputs`` of them only, with a
per-query ``--dice-time-limit`` (time-outs count in its seconds).  ``fit s`` is the one-time
cost (for LAPACE: building the explainer, centroid repair included, not training the L-GMVAE).
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
import torch

from lapace import LGMVAE, Lapace, load_dataset, train_classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "training", "first", "baselines"), default="all")
    parser.add_argument("--epochs", type=int, default=300, help="epoch budget for early stopping")
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--inputs", type=int, default=100, help="inputs per method (baselines)")
    parser.add_argument("--dice-inputs", type=int, default=10)
    parser.add_argument("--dice-time-limit", type=float, default=30.0, help="seconds per DiCE query")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    if args.part in ("all", "training"):
        training(args)
    if args.part in ("all", "first"):
        first_floor(args)
    if args.part in ("all", "baselines"):
        baselines(args)


def training(args) -> None:
    """L-GMVAE training time on heloc and LAPACE throughput by batch size."""
    ds = load_dataset("heloc", seed=0)
    X = ds.encode(ds.X_train)
    clf = train_classifier("rf", X, ds.y_train, seed=0)
    y = clf.predict(X)
    print(f"heloc: {X.shape[0]} training rows, {X.shape[1]} columns; "
          f"RF test accuracy {clf.score(ds.encode(ds.X_test), ds.y_test):.4f}")

    start = time.perf_counter()
    vae = LGMVAE(n_labels=2, clusters_per_class=5, latent_dim=18, loss_weights=(0.1, 0.1, 1.0),
                 batch_size=1024, lr=1e-3, max_epochs=args.epochs, patience=args.patience,
                 seed=0, device=args.device, verbose=False).fit(X, y)
    total = time.perf_counter() - start
    print(f"L-GMVAE (Table 4 heloc-RF): {vae.n_epochs_} epochs, {total / vae.n_epochs_:.2f} s/epoch, "
          f"{total:.1f} s to early stop (best epoch {vae.best_epoch_})")
    print(f"centroid accuracy: raw {vae.centroid_accuracy(clf.predict):.2f}", end=", ")
    explainer = Lapace(vae).fit(model=clf.predict)
    print(f"after repair {explainer.centroid_report_['valid'].mean():.2f}")

    X_test = ds.encode(ds.X_test)
    neg = X_test[clf.predict(X_test) == 0]
    print(decoder_bound(vae, explainer))
    rng = np.random.default_rng(0)
    routes = {"full paths": lambda b: explainer.explain_paths(b, target=1),
              "First only": lambda b: explainer.first(b, target=1)}
    for n in (1, 100, 10000):
        batch = neg[rng.choice(len(neg), n, replace=n > len(neg))]
        for name, route in routes.items():
            route(batch[:1])                                             # warm-up
            took = best_of(lambda r=route, b=batch: r(b), 1 if n > 100 else 5)
            print(f"LAPACE {name:10s} batch {n:>5}: {took:7.3f} s, {n / took:9.1f} inputs/s")
    one = neg[:1]
    forest = best_of(lambda: clf.predict(np.repeat(one, 105, 0)), 5)
    took = best_of(lambda: explainer.explain_paths(one, target=1), 5)
    print(f"one input: {took * 1e3:.1f} ms = one forest call on 105 points ({forest * 1e3:.1f} ms) "
          f"+ {(took - forest) * 1e3:.1f} ms")


def best_of(f, runs: int) -> float:
    """The fastest of ``runs`` calls of ``f`` (seconds): the least disturbed by a shared machine."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def decoder_bound(vae, explainer) -> str:
    """The decoder's FLOPs per input (every path point) against the fp32 matrix-product rate
    these cores reach: the physical limit of the full paths' decoding."""
    linears = [m for m in vae.net_.p_x if isinstance(m, torch.nn.Linear)]
    per_point = sum(2 * m.in_features * m.out_features for m in linears)
    k = len(vae.clusters(1))
    points = 1 + k * (explainer.steps - 2)            # tau = 0 once per input, tau = 1 known
    a = torch.randn(4096, 512)
    b = torch.randn(512, 512)
    rate = 2 * 4096 * 512 * 512 / best_of(lambda: a @ b, 10)
    bound = rate / (per_point * points)
    return (f"decoder: {per_point / 1e6:.3f} MFLOP per point x {points} points per input; "
            f"fp32 matmul {rate / 1e9:.0f} GFLOP/s on {torch.get_num_threads()} threads: "
            f"at most {bound:.0f} inputs/s for the decoder alone")


def _coarse_first(hit: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """First of each path (n, k, T) by a coarse-to-fine search: steps 0, s, 2s, ... and the
    last, then the steps between the last coarse miss and the first coarse hit, in order.
    Returns (first index or -1, points evaluated)."""
    n, k, T = hit.shape
    coarse = np.unique(np.r_[np.arange(0, T, stride), T - 1])
    ch = hit[:, :, coarse]
    found = ch.any(-1)
    ci = ch.argmax(-1)
    c = coarse[ci]
    lo = np.where(ci > 0, coarse[np.maximum(ci - 1, 0)] + 1, 0)
    steps = np.arange(T)[None, None]
    window = hit & (steps >= lo[..., None]) & (steps < c[..., None])
    first = np.where(window.any(-1), window.argmax(-1), c)
    exact = np.where(hit.any(-1), hit.argmax(-1), -1)          # no coarse hit: every step
    first = np.where(found, first, exact)
    cost = np.where(found, ci + 1 + (c - lo), T)
    return first, cost


@contextlib.contextmanager
def _counted_decodes(vae):
    """The row counts of every ``vae.decode`` call inside the block (a list, filled in)."""
    counts, decode = [], vae.decode
    vae.decode = lambda Z, offset=None: counts.append(len(Z)) or decode(Z, offset)
    try:
        yield counts
    finally:
        del vae.decode                      # the class's method again


def first_floor(args) -> None:
    """LAPACE-First against its floor (see the module docstring)."""
    for dataset in ("heloc", "compas"):
        _first_floor_of(dataset)


def _first_floor_of(dataset: str) -> None:
    """:func:`first_floor` on ``dataset``-RF."""
    import copy
    import warnings

    from lapace.experiments import select_inputs
    from lapace.profiles import load_pair

    pair = load_pair(dataset, "rf", profile="quick")
    X = pair.X_test[select_inputs(pair, 1000, repetition=1)]
    lapace = Lapace(pair.vae).fit(model=pair.predict, dataset=pair.ds)
    res = lapace.explain_paths(X, target=1)
    hit = res.labels == 1
    exact = np.where(hit.any(-1), hit.argmax(-1), -1)
    n, k, T = hit.shape
    # the fewest decodes of any exact route: tau = 0 once per input, then each path's
    # inner steps up to its First (tau = 1 is the decoded centroid, known from fit)
    inner = np.where(exact < 0, T - 2, np.clip(exact, 0, T - 2))
    floor = 1 + inner.sum(1).mean()
    with _counted_decodes(pair.vae) as decoded:
        first = lapace.explain(X, target=1)
    linears = [m for m in pair.vae.net_.p_x if isinstance(m, torch.nn.Linear)]
    mflop = sum(2 * m.in_features * m.out_features for m in linears) / 1e6
    a, b = first.points, res.first().points
    same = np.all((a == b) | np.isnan(a) & np.isnan(b), -1).mean()
    print(f"{dataset}-RF ({n} inputs x {k} paths x {T} steps): the First route decodes "
          f"{sum(decoded) / n:.1f} points per input (identical to the paths' First: "
          f"{same:.4f}); an exact route must decode {floor:.1f}: "
          f"{floor * mflop:.0f} MFLOP per input ({mflop:.2f} per point)")
    for rows in (4096, 1024, 512, 256):      # the in-order route's block size, same points
        lapace.first_block_rows = rows
        took = best_of(lambda: lapace.explain(X[:100], target=1), 3)
        with _counted_decodes(pair.vae) as decoded:
            lapace.explain(X[:100], target=1)
        print(f"  First route, blocks of {rows:>4} points: {sum(decoded) / 100:.1f} decodes per "
              f"input, {took * 10:.3f} ms/input at 100 inputs")
    del lapace.first_block_rows
    for stride in (2, 3, 4):
        f, cost = _coarse_first(hit, stride)
        print(f"  coarse-to-fine, every {stride}th step: {cost.mean():.1f} points per path "
              f"(in order: {np.where(exact >= 0, exact + 1, T).mean():.1f}), "
              f"First identical on {(f == exact).mean():.4f} of paths "
              f"({(f == exact).all(1).mean():.4f} of inputs)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")            # torch.ao.quantization's deprecation
        from torch.ao.quantization import quantize_dynamic
        fp32 = pair.vae.net_.p_x
        pair.vae.net_.p_x = quantize_dynamic(copy.deepcopy(fp32), {torch.nn.Linear},
                                             dtype=torch.qint8)
        try:
            q = lapace.explain_paths(X, target=1)
            fq = lapace.explain(X[:100], target=1)
            t8 = best_of(lambda: lapace.explain(X[:100], target=1), 3)
        finally:
            pair.vae.net_.p_x = fp32
    t32 = best_of(lambda: lapace.explain(X[:100], target=1), 3)
    f32 = lapace.explain(X[:100], target=1).points
    print(f"  int8 decoder: path labels agree with fp32 on {(q.labels == res.labels).mean():.4f}, "
          f"First identical on {np.all(fq.points == f32, -1).mean():.4f}; First at 100 inputs "
          f"{t8 * 10:.3f} ms/input (fp32 {t32 * 10:.3f})")


def baselines(args) -> None:
    """Seconds per input of every baseline and of LAPACE on heloc-RF and adult-RF."""
    import pandas as pd

    from lapace.baselines import DRCE, FACE, NNCE, DiCE, RobX
    from lapace.experiments import select_inputs
    from lapace.profiles import load_pair

    rows = []
    for dataset in ("heloc", "adult"):
        pair = load_pair(dataset, "rf", profile="quick")    # the quick book's cached models
        X = pair.X_test[select_inputs(pair, args.inputs)]
        start = time.perf_counter()
        lapace = Lapace(pair.vae).fit(model=pair.predict, dataset=pair.ds)
        fit = time.perf_counter() - start
        last = Lapace(pair.vae, point="last").fit(model=pair.predict, dataset=pair.ds)
        for name, route in [("LAPACE-First", lapace.explain),
                            ("LAPACE full paths", lambda A, target: lapace.explain_paths(  # noqa: B023
                                A, target).first()),
                            ("LAPACE-Last", last.explain)]:
            start = time.perf_counter()
            cf = route(X, target=1)
            took = time.perf_counter() - start
            rows.append((dataset, name, len(X), fit, took / len(X), cf.valid.any(1).mean()))
        methods = [("NNCE", NNCE(), X), ("FACE", FACE(), X), ("RobX", RobX(seed=0), X),
                   ("DRCE", DRCE(), X),
                   (f"DiCE ({args.dice_inputs} inputs, {args.dice_time_limit:g} s limit)",
                    DiCE(time_limit=args.dice_time_limit, seed=0), X[:args.dice_inputs])]
        for name, method, inputs in methods:
            start = time.perf_counter()
            method.fit(pair.X_train, pair.clf, dataset=pair.ds)
            fit = time.perf_counter() - start
            start = time.perf_counter()
            cf = method.explain(inputs, target=1)
            took = time.perf_counter() - start
            rows.append((dataset, name, len(inputs), fit, took / len(inputs), cf.valid.any(1).mean()))
            extra = f", {int(cf.info['timeouts'].sum())} time-outs" if "timeouts" in cf.info else ""
            print(f"{dataset}-RF {name}: {took / len(inputs):.4f} s/input{extra}", flush=True)
    table = pd.DataFrame(rows, columns=["pair", "method", "inputs", "fit s", "s/input", "validity"])
    lapace_first = table[table.method == "LAPACE-First"].set_index("pair")["s/input"]
    table["x LAPACE-First"] = table["s/input"] / table.pair.map(lapace_first)
    table["pair"] = table.pair + "-RF"
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
