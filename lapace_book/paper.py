"""The paper's constants: Tables 1 and 3 (what it reports), Table 4 (its L-GMVAE settings).

Kept apart from the code that trains and evaluates (:mod:`lapace_book.experiments.pairs`) so that chapters,
tests and the benchmark read the paper's numbers from one place.
"""

from __future__ import annotations

__all__ = ["PAPER_TABLE1", "PAPER_TABLE3", "PAPER_TABLE4"]

from lapace.lgmvae.recipe import PAPER_TABLE4  # noqa: E402  (re-exported for the pages)


def _t1(acc, real, real_sd, synth, synth_sd, centroid=1.0):
    return {"clf_accuracy": acc, "tstr_real_mean": real, "tstr_real_std": real_sd,
            "tstr_synth_mean": synth, "tstr_synth_std": synth_sd, "centroid_accuracy": centroid}


#: Table 1 of the paper as fractions: classifier test accuracy, TSTR accuracy (mean, std over
#: runs) of a random forest trained on real and on synthetic data, and centroid accuracy.
PAPER_TABLE1: dict[tuple[str, str], dict[str, float]] = {
    ("heloc", "rf"): _t1(0.7305, 0.7397, 0.0107, 0.7107, 0.0124),
    ("heloc", "nn"): _t1(0.7358, 0.9182, 0.0055, 0.8999, 0.0050),
    ("wine", "rf"): _t1(0.7513, 0.8970, 0.0166, 0.8742, 0.0146),
    ("wine", "nn"): _t1(0.7695, 0.8588, 0.0085, 0.8421, 0.0168),
    ("adult", "rf"): _t1(0.8115, 0.9382, 0.0094, 0.8113, 0.0381),
    ("adult", "nn"): _t1(0.8204, 0.8883, 0.0116, 0.7586, 0.0331),
    ("compas", "rf"): _t1(0.7817, 0.9079, 0.0163, 0.8503, 0.0154),
    ("compas", "nn"): _t1(0.7770, 0.9226, 0.0170, 0.8400, 0.0326),
}


#: Table 3 of the paper: share of test inputs with a valid counterfactual on a path that
#: satisfies all 5 drawn constraints, per ``(dataset, classifier)`` and method.
PAPER_TABLE3: dict[tuple[str, str], dict[str, float]] = {
    ("heloc", "rf"): {"FACE-Interpolate": 0.92, "FACE-Greedy": 0.96, "LAPACE-Naive": 1.00,
                      "LAPACE-Constrained": 1.00},
    ("heloc", "nn"): {"FACE-Interpolate": 0.82, "FACE-Greedy": 1.00, "LAPACE-Naive": 1.00,
                      "LAPACE-Constrained": 1.00},
    ("wine", "rf"): {"FACE-Interpolate": 0.74, "FACE-Greedy": 0.88, "LAPACE-Naive": 1.00,
                     "LAPACE-Constrained": 1.00},
    ("wine", "nn"): {"FACE-Interpolate": 0.90, "FACE-Greedy": 1.00, "LAPACE-Naive": 1.00,
                     "LAPACE-Constrained": 1.00},
}
