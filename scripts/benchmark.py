#!/usr/bin/env python
"""Benchmark (not a test): L-GMVAE training, LAPACE throughput, and the baselines' runtime.

    python scripts/benchmark.py [--part all|training|baselines] [--epochs 20] [--device cpu]

``training``: the time per epoch and to early stop of an L-GMVAE with Table 4's heloc-RF
settings, the decoder's FLOP bound on these cores, then LAPACE's throughput (inputs per second,
5 paths x 21 steps, random-forest black box included) for batches of 1, 100 and 10000 inputs,
full paths and First only; the black box alone on the full paths' rows (a bound whatever the
decoder costs); a segment decoder (the ReLU network's piecewise linearity along a latent path,
a prototype) against the dense one; and one input against one forest call on as many rows.

``first``: how far LAPACE-First (its in-order route) is from its floor on heloc-RF and
compas-RF (the quick profile's models, up to 1000 test inputs predicted 0): the path points it decodes against
the fewest any exact route must (each path's steps up to its First), what that floor costs
in decoder FLOPs, and two inexact shortcuts measured against the issue's bar (>= 99.5% of
First points identical; >= 99.9% of path labels for a lower-precision decoder): a
coarse-to-fine search on tau (every s-th step, then the steps before the first hit) and the
decoder's linear layers in dynamic int8 (bf16, where the device has bf16 units, is measured
in ``baselines``).

``baselines``: seconds per input of NNCE, FACE, RobX, DiCE, DRCE and LAPACE on heloc-RF and
adult-RF (the quick profile's models, ``lapace_book.experiments.profiles.load_pair(..., profile="quick")``),
100 test inputs predicted 0 (``select_inputs``), with each method's ratio to LAPACE-First in fp32
(its fast route).  LAPACE's full paths, First, Middle and Last run in fp32 and, where the device
has bf16 units (the CPU's capability string and flags are printed first), with
``Lapace(precision="bf16")`` too; each LAPACE route is the best of 3 runs after a warm-up, the
baselines one run each.  For bf16, the share of First points identical to fp32's and their
largest difference.  DiCE runs on the first ``--dice-inputs`` of them only, with a
per-query ``--dice-time-limit`` (time-outs count in its seconds).  ``fit s`` is the one-time
cost (for LAPACE: building that route's explainer, centroid repair included, not training the
L-GMVAE).
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
import torch

from lapace import LGMVAE, Lapace, load_dataset, train_classifier
from lapace.explain.explainer import POINTS


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
    box = Replay(clf.predict)                 # the forest, or its recorded answers replayed
    explainer = Lapace(vae).fit(model=box)
    print(f"after repair {explainer.centroid_report_['valid'].mean():.2f}")

    X_test = ds.encode(ds.X_test)
    neg = X_test[clf.predict(X_test) == 0]
    line, per_point, rate = decoder_bound(vae, explainer)
    print(line)
    rng = np.random.default_rng(0)
    routes = {"full paths": lambda b: explainer.explain_paths(b, target=1),
              "First only": lambda b: explainer.first(b, target=1)}
    for n in (1, 100, 10000):
        batch = neg[rng.choice(len(neg), n, replace=n > len(neg))]
        for name, route in routes.items():
            route(batch[:1])                                             # warm-up
            took = best_of(lambda r=route, b=batch: r(b), 1 if n > 100 else 5)
            print(f"LAPACE {name:10s} batch {n:>5}: {took:7.3f} s, {n / took:9.1f} inputs/s")
    batch = neg[rng.choice(len(neg), 10000, replace=10000 > len(neg))]
    print(black_box_bound(explainer, clf, batch))
    print(segment_decoding(explainer, clf, batch[:1000]))
    one = neg[:1]
    box.calls = []                             # (rows, labels) of each black-box call
    explainer.explain_paths(one, target=1)
    calls, own = box.calls, []
    for _ in range(20):
        box.replay = iter([labels for _, labels in calls])   # the same labels, without the forest
        start = time.perf_counter()
        explainer.explain_paths(one, target=1)
        own.append(time.perf_counter() - start)
    box.calls = box.replay = None
    rows = sum(r for r, _ in calls)
    took = best_of(lambda: explainer.explain_paths(one, target=1), 20)
    forest = best_of(lambda: clf.predict(np.repeat(one, rows, 0)), 20)
    print(f"one input: {took * 1e3:.1f} ms in {len(calls)} forest call(s) on {rows} rows (the "
          f"paths, every possible Middle and the input); one forest call on as many rows takes "
          f"{forest * 1e3:.1f} ms; our own work (the forest's answers replayed) "
          f"{min(own) * 1e3:.1f} ms, of which decoding its {rows - 1} points at the matmul rate "
          f"above takes at least {(rows - 1) * per_point / rate * 1e3:.2f} ms")


class Replay:
    """A black box (a callable, so no ``predict`` attribute) that answers with ``labels_of``,
    recording every call into ``calls`` when that is a list, or replays the answers of
    ``replay`` (an iterator) when it is set."""

    def __init__(self, labels_of):
        self.labels_of, self.calls, self.replay = labels_of, None, None

    def __call__(self, A):
        if self.replay is not None:
            return next(self.replay)
        labels = self.labels_of(A)
        if self.calls is not None:
            self.calls.append((len(A), labels))
        return labels


def best_of(f, runs: int) -> float:
    """The fastest of ``runs`` calls of ``f`` (seconds): the least disturbed by a shared machine."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def decoder_bound(vae, explainer) -> tuple[str, float, float]:
    """The decoder's FLOPs per input (every path point) against the fp32 matrix-product rate
    these cores reach: the physical limit of the full paths' decoding.  Returns the line, the
    FLOPs per decoded point and the rate (FLOP/s)."""
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
            f"at most {bound:.0f} inputs/s for the decoder alone"), per_point, rate


def black_box_bound(explainer, clf, batch) -> str:
    """The black box alone on every row the full paths give it (the input, its decoding at
    tau = 0, the paths' inner steps and every Middle; tau = 1 is known from ``fit``): whatever
    the decoder costs, full paths cannot be faster."""
    k, T = len(explainer.vae.clusters(1)), explainer.steps
    rows = np.repeat(batch, 2 + k * (T - 2) + k, axis=0)      # as many rows, same forest
    took = best_of(lambda: clf.predict(rows), 1)
    return (f"black box alone on the full paths' {len(rows) // len(batch)} rows per input "
            f"({len(rows):,} rows): {took:.2f} s, at most {len(batch) / took:.0f} inputs/s "
            "whatever the decoder costs")


def segment_decode(p_x, z_from: np.ndarray, z_to: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """Raw decodings (P, T, d) of the latent segments ``(1 - tau) z_from + tau z_to`` through the
    decoder MLP ``p_x`` (Linear, ReLU, Linear, ReLU, Linear), using its piecewise linearity along a
    segment: the first layer's pre-activation is linear in tau, so each hidden unit switches on or
    off at most once, and the second layer's pre-activation is ``alpha + tau * gamma`` where alpha
    and gamma change only by the switching units' columns.  Two dense products per segment, one
    sparse product for the switches, the last layer dense: exact in exact arithmetic, not in
    float32 (a prototype measured against the dense decoder; not used by :class:`lapace.Lapace`)."""
    import scipy.sparse as sp

    l1, _, l2, _, l3 = p_x
    W1, b1, W2t, b2, W3t, b3 = (a.detach().cpu().numpy() for a in
                                (l1.weight, l1.bias, l2.weight.T.contiguous(), l2.bias,
                                 l3.weight.T.contiguous(), l3.bias))
    U = z_from @ W1.T + b1                         # layer 1 at tau = 0 and its slope in tau
    Wd = z_to @ W1.T + b1 - U
    P, H, T = U.shape[0], U.shape[1], len(taus)
    on0 = U > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        switch_at = -U / Wd                        # where a unit's pre-activation is 0
    step = np.where(~on0 & (Wd > 0), np.searchsorted(taus, switch_at, "right"),
                    np.where(on0 & (Wd < 0), np.searchsorted(taus, switch_at, "left"), T))
    p, j = np.nonzero(step < T)                    # (segment, unit) that switch, at step[p, j]
    sign = np.where(on0[p, j], -1.0, 1.0).astype(np.float32)
    r = p * T + step[p, j]
    S = sp.csr_matrix((np.r_[sign * U[p, j], sign * Wd[p, j]], (np.r_[r, r + P * T], np.r_[j, j])),
                      shape=(2 * P * T, H))
    D = (S @ W2t).reshape(2, P, T, H)              # alpha, gamma: changes at each step
    D[0, :, 0] += (on0 * U) @ W2t + b2
    D[1, :, 0] += (on0 * Wd) @ W2t
    for t in range(1, T):
        D[:, :, t] += D[:, :, t - 1]
    A2 = D[0]
    A2 += taus[:, None] * D[1]
    np.maximum(A2, 0, out=A2)
    return (A2.reshape(-1, H) @ W3t + b3).reshape(P, T, -1)


def segment_decoding(explainer, clf, batch) -> str:
    """:func:`segment_decode` against the dense decoder on the full paths' latent points."""
    vae, taus = explainer.vae, explainer.taus_
    clusters = vae.clusters(1)
    z_x = vae.encode(batch, np.zeros(len(batch), np.int64))
    z_c = explainer.target_latents_[clusters]
    k, h = len(clusters), vae.latent_dim
    zf, zt = np.repeat(z_x, k, 0), np.tile(z_c, (len(batch), 1))
    lat = ((1 - taus)[None, :, None] * zf[:, None] + taus[None, :, None] * zt[:, None]).reshape(-1, h)
    with torch.no_grad():
        Zt = torch.as_tensor(lat)
        dense = best_of(lambda: vae.net_.p_x(Zt), 3)
        ref = vae.net_.p_x(Zt).numpy()
    seg = best_of(lambda: segment_decode(vae.net_.p_x, zf, zt, taus), 3)
    out = segment_decode(vae.net_.p_x, zf, zt, taus).reshape(ref.shape)
    same = (clf.predict(vae.harden(out)) == clf.predict(vae.harden(ref))).mean()
    return (f"segment decoding (ReLU piecewise linear along each path; prototype) of "
            f"{len(batch)} inputs' full paths: {seg / len(batch) * 1e3:.3f} ms/input against the "
            f"dense decoder's {dense / len(batch) * 1e3:.3f} ({dense / seg:.2f}x); largest raw "
            f"difference {np.abs(out - ref).max():.1e}, forest labels agree on {same:.4f}")


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
    """The row counts of every ``vae.decode_raw`` call inside the block (a list, filled in)."""
    counts, decode_raw = [], vae.decode_raw
    vae.decode_raw = lambda Z: counts.append(len(Z)) or decode_raw(Z)
    try:
        yield counts
    finally:
        del vae.decode_raw                  # the class's method again


def first_floor(args) -> None:
    """LAPACE-First against its floor (see the module docstring)."""
    for dataset in ("heloc", "compas"):
        _first_floor_of(dataset)


def _first_floor_of(dataset: str) -> None:
    """:func:`first_floor` on ``dataset``-RF."""
    import copy
    import warnings

    from lapace_book.experiments.pairs import select_inputs
    from lapace_book.experiments.profiles import load_pair

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
        first = lapace.first(X, target=1)
    linears = [m for m in pair.vae.net_.p_x if isinstance(m, torch.nn.Linear)]
    mflop = sum(2 * m.in_features * m.out_features for m in linears) / 1e6
    a, b = first.points, res.first().points
    same = np.all((a == b) | np.isnan(a) & np.isnan(b), -1).mean()
    print(f"{dataset}-RF ({n} inputs x {k} paths x {T} steps): the First route decodes "
          f"{sum(decoded) / n:.1f} points per input (identical to the paths' First: "
          f"{same:.4f}); an exact route must decode {floor:.1f}: "
          f"{floor * mflop:.0f} MFLOP per input ({mflop:.2f} per point)")
    for rows in (16384, 4096, 1024, 512, 256):      # the in-order route's block size, same points
        lapace.first_block_rows = rows
        took = best_of(lambda: lapace.first(X[:100], target=1), 3)
        with _counted_decodes(pair.vae) as decoded:
            lapace.first(X[:100], target=1)
        print(f"  First route, blocks of {rows:>5} points: {sum(decoded) / 100:.1f} decodes per "
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
            fq = lapace.first(X[:100], target=1)
            t8 = best_of(lambda: lapace.first(X[:100], target=1), 3)
        finally:
            pair.vae.net_.p_x = fp32
    t32 = best_of(lambda: lapace.first(X[:100], target=1), 3)
    f32 = lapace.first(X[:100], target=1).points
    print(f"  int8 decoder: path labels agree with fp32 on {(q.labels == res.labels).mean():.4f}, "
          f"First identical on {np.all(fq.points == f32, -1).mean():.4f}; First at 100 inputs "
          f"{t8 * 10:.3f} ms/input (fp32 {t32 * 10:.3f})")


def baselines(args) -> None:
    """Seconds per input of every baseline and of LAPACE (fp32, and bf16 where the device has
    bf16 units) on heloc-RF and adult-RF."""
    import pandas as pd

    from lapace.explain.engine import bf16_units
    from lapace.methods import DRCE, FACE, NNCE, DiCE, RobX
    from lapace_book.experiments.pairs import select_inputs
    from lapace_book.experiments.profiles import load_pair

    units = bf16_units(args.device)
    print(f"CPU capability {torch.backends.cpu.get_cpu_capability()}; bf16 units: "
          f"{units or 'none (LAPACE in fp32 only)'}", flush=True)
    precisions = ["fp32"] + (["bf16"] if units else [])
    rows = []
    for dataset in ("heloc", "adult"):
        pair = load_pair(dataset, "rf", profile="quick")    # the quick book's cached models
        X = pair.X_test[select_inputs(pair, args.inputs)]
        firsts = {}
        for precision in precisions:
            fits, lap = {}, {}
            for point in POINTS:
                start = time.perf_counter()
                lap[point] = Lapace(pair.vae, point=point, precision=precision).fit(
                    model=pair.predict, dataset=pair.ds)
                fits[point] = time.perf_counter() - start
            routes = [("LAPACE full paths", "first", lambda A, e=lap["first"]: e.explain_paths(
                          A, target=1).first()),
                      ("LAPACE-First", "first", lambda A, e=lap["first"]: e.first(A, target=1)),
                      ("LAPACE-Middle", "middle", lambda A, e=lap["middle"]: e.explain(A, target=1)),
                      ("LAPACE-Last", "last", lambda A, e=lap["last"]: e.explain(A, target=1))]
            for name, point, route in routes:
                route(X[:1])                                                 # warm-up
                took = best_of(lambda r=route, A=X: r(A), 3)
                cf = route(X)
                rows.append((dataset, f"{name} ({precision})", len(X), fits[point],
                             took / len(X), cf.valid.any(1).mean()))
                if name == "LAPACE-First":
                    firsts[precision] = cf.points
        if "bf16" in firsts:
            a, b = firsts["bf16"], firsts["fp32"]
            same = np.all((a == b) | np.isnan(a) & np.isnan(b), -1).mean()
            both = ~np.isnan(a).any(-1) & ~np.isnan(b).any(-1)
            print(f"{dataset}-RF: bf16 First points identical to fp32's on {same:.4f} of paths, "
                  f"largest difference {np.abs(a[both] - b[both]).max(initial=0):.3g} (encoded "
                  "units)", flush=True)
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
    lapace_first = table[table.method == "LAPACE-First (fp32)"].set_index("pair")["s/input"]
    table["x LAPACE-First (fp32)"] = table["s/input"] / table.pair.map(lapace_first)
    table["pair"] = table.pair + "-RF"
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
