#!/usr/bin/env python
"""Benchmark (not a test): L-GMVAE training time on heloc and LAPACE throughput.

    python scripts/benchmark.py [--epochs 20] [--device cpu]

Prints the time per epoch and to early stop of an L-GMVAE with Table 4's heloc-RF settings,
then LAPACE's throughput (inputs per second, 5 paths x 21 steps, random-forest black box
included) for batches of 1, 100 and 10000 inputs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from lapace import LGMVAE, Lapace, load_dataset, train_classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300, help="epoch budget for early stopping")
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")

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
    explainer = Lapace(vae, clf.predict)
    print(f"after repair {explainer.centroid_report_['valid'].mean():.2f}")

    X_test = ds.encode(ds.X_test)
    neg = X_test[clf.predict(X_test) == 0]
    rng = np.random.default_rng(0)
    for n in (1, 100, 10000):
        batch = neg[rng.choice(len(neg), n, replace=n > len(neg))]
        explainer.explain(batch[:1], target=1)                     # warm-up
        start = time.perf_counter()
        res = explainer.explain(batch, target=1)
        took = time.perf_counter() - start
        print(f"LAPACE batch {n:>5}: {took:7.3f} s, {n / took:9.1f} inputs/s "
              f"({res.paths.shape[1]} paths x {res.paths.shape[2]} steps)")


if __name__ == "__main__":
    main()
