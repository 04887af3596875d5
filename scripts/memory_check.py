#!/usr/bin/env python
"""Peak memory of LAPACE on MNIST (not a test; issue 11).

    /usr/bin/time -v python scripts/memory_check.py --n 3000     # "Maximum resident set size"

Trains a deliberately tiny black box (an MLP, a few iterations) and a tiny L-GMVAE with 3
clusters per digit (hidden width 64, two epochs) on the MNIST test split, then explains ``--n``
inputs not predicted as ``--target`` towards it: 3 paths x 21 steps x 784 pixels per input,
so the result alone takes n x 0.2 MB.  Where n exceeds the available inputs they are
repeated.  Only memory matters here, not the quality of the models.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from lapace import LGMVAE, Lapace, load_mnist


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="inputs to explain")
    parser.add_argument("--target", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=None, help="Lapace batch_size")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    X, y = load_mnist("test")
    fit = slice(0, 5000)
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=5, random_state=0).fit(X[fit], y[fit])
    vae = LGMVAE(n_labels=10, clusters_per_class=3, latent_dim=8, hidden_dim=64, batch_size=256,
                 max_epochs=2, seed=0, verbose=False).fit(X[fit], y[fit])
    kw = {} if args.batch_size is None else {"batch_size": args.batch_size}
    explainer = Lapace(vae, **kw).fit(model=clf.predict)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    pool = X[clf.predict(X) != args.target]
    inputs = pool[np.arange(args.n) % len(pool)]
    start = time.perf_counter()
    res = explainer.explain_paths(inputs, target=args.target)
    took = time.perf_counter() - start
    print(f"explained {args.n} inputs: paths {res.paths.shape}, {res.paths.nbytes / 2**20:.0f} MiB; "
          f"{took:.1f} s; First validity {res.first().valid.mean():.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak RSS: {before:.2f} GiB before explain (data, models, torch), {peak:.2f} GiB in all")


if __name__ == "__main__":
    main()
