"""Why repaired targets lower LAPACE-Last's robustness to model changes, and what a margin buys.

Our centroid repair (:class:`lapace.Lapace`, ``repair_centroids=True``) replaces a centroid the
black box rejects by a point of the segment towards the medoid of its accepted members.  With
``repair_margin=0`` that point is the *first* one the black box accepts: it lies next to the
decision boundary, where a retrained black box easily says otherwise.  ``repair_margin=m`` moves
a further share ``m`` of the rest of the segment towards the medoid (1: the medoid).

:func:`repair_margins` measures, per margin, LAPACE-Last's robustness to model changes (the
retrained black boxes of the evaluation grid), its proximity and plausibility on the same
inputs, and how far the repaired targets moved: the evidence the default is chosen by.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lapace import metrics
from lapace.explain.explainer import Lapace

__all__ = ["MARGINS", "repair_margins"]

#: the margins compared (0: the first accepted point, our repair before issue 33; 1: the medoid)
MARGINS = (0.0, 0.25, 0.5, 1.0)


def repair_margins(pair, X: np.ndarray, models: Sequence, lof, margins=MARGINS,
                   target: int = 1) -> pd.DataFrame:
    """One row per margin: ``margin``, ``repaired`` (targets of ``target`` moved),
    ``moved_fraction`` (their mean share of the segment), ``target_robustness_repaired`` and
    ``target_robustness_kept`` (the share of retrained black boxes accepting a repaired target,
    and a target left as trained, averaged over the targets), and LAPACE-Last's ``validity``,
    ``model_robustness``, ``proximity`` and ``plausibility`` on ``X`` (inputs the black box
    predicts otherwise).

    ``models``: retrained black boxes (``predict``); ``lof``: the plausibility model of
    :func:`lapace.metrics.lof_model` fitted on the training inputs predicted ``target``.
    """
    rows = []
    for margin in margins:
        lap = Lapace(pair.vae, point="last", repair_margin=float(margin)).fit(
            pair.X_train, pair.clf, dataset=pair.ds)
        report = lap.centroid_report_[lap.centroid_report_.label == target]
        points, valid = lap.explain(X, target=target)
        # each target's own robustness: the share of retrained black boxes accepting it
        decoded = lap.engine_.records(lap.target_latents_[report.cluster.to_numpy()])
        accepted = np.mean([m.predict(np.asarray(decoded, np.float64)) == target
                            for m in models], axis=0)
        moved = report.repaired.to_numpy()
        rows.append({
            "margin": float(margin),
            "repaired": int(report.repaired.sum()),
            "moved_fraction": float(report.moved_fraction[report.repaired].mean())
            if report.repaired.any() else float("nan"),
            "target_robustness_repaired": float(accepted[moved].mean()) if moved.any()
            else float("nan"),
            "target_robustness_kept": float(accepted[~moved].mean()) if (~moved).any()
            else float("nan"),
            "validity": float(np.mean(metrics.validity(valid))),
            "model_robustness": float(np.nanmean(metrics.model_robustness(
                points, valid, [lambda Z, m=m: m.predict(np.asarray(Z, np.float64))
                                for m in models], target))),
            "proximity": float(np.nanmean(metrics.proximity(X, points, valid))),
            "plausibility": float(np.nanmean(metrics.plausibility(points, valid, lof))),
        })
    return pd.DataFrame(rows)
