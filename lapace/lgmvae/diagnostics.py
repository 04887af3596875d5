"""Is the trained L-GMVAE what LAPACE stands on?  The three properties of §3.1, measured.

§3.1 asks a well-optimised L-GMVAE for *meaningful centroids* (each decoded centroid is a valid
instance of its label), *diverse representations* (the label's clusters are all used and their
prototypes differ) and a *smooth latent manifold* (an input's reconstruction stays close to it).
Per label, :func:`prototype_report` measures:

- ``spread_ratio``: mean pairwise L1 distance between the label's decoded centroids divided by
  the mean pairwise L1 distance between two random training records of that label (encoded
  columns).  Near 0: the prototypes are copies of one record (collapsed clusters); near 1: they
  differ as much as real records do.
- ``min_usage``: the smallest share of the label's points whose most likely cluster
  (argmax q(c|x,y)) is a given cluster; 0 means a dead cluster.
- ``mean_max_q``: the mean of max_c q(c|x,y); ``1/K_y`` when the assignment ignores x.
- ``reconstruction_label_kept``: share of inputs whose reconstruction Dec(Enc(x, y)) the black
  box still predicts as y; where it does not, LAPACE-First is the reconstruction at tau = 0.
- ``centroid_accuracy_raw``: the pair's share of decoded centroids predicted as their own label
  before any repair (Table 1's "Centroid Acc.").

:func:`latent_report` asks whether z carries anything at all (posterior collapse: when it
does not, every input decodes near its label's mean and the clusters have nothing to tell
apart).  :func:`kmeans_report` gives the spread ratio that a summary of the data by ``K_y``
centres reaches (k-means), and :func:`category_report` says whether the decoded centroids only
ever take a label's most frequent categories.  Where reconstructions lose their label,
:func:`noise_report` asks whether any decoder of that precision could keep it: it perturbs
each input by Gaussian noise as large as the decoder's own error and counts how often
the black box still predicts the label.

:data:`PROTOTYPE_TARGETS` are the thresholds the book holds every label to;
:func:`target_verdicts` and :func:`meets_all_targets` read a report against them, and
:func:`decoded_centroid_table` shows a model's prototypes in original units.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from scipy.spatial.distance import pdist

from lapace.lgmvae import elbo
from lapace.lgmvae.model import LGMVAE
from lapace.validation import chunks, predict_labels, warn

__all__ = ["COLLAPSE_RATIO", "PROTOTYPE_COLUMNS", "PROTOTYPE_TARGETS", "UNDERTRAINED_RATIO",
           "category_report", "cluster_usage", "decoded_centroid_table", "digit_styles",
           "kmeans_report", "latent_report", "meets_all_targets", "noise_reading", "noise_report",
           "prototype_report", "shared_categories_text", "spread_ratio", "target_verdicts",
           "training_warnings"]

#: columns of :func:`prototype_report` (and of the book's ``prototypes.csv``)
PROTOTYPE_COLUMNS = ["label", "spread_ratio", "min_usage", "mean_max_q",
                     "reconstruction_label_kept", "centroid_accuracy_raw"]

#: the least each §3.1 property of :func:`prototype_report` should reach, per label: diverse
#: prototypes (``spread_ratio``), every cluster used (``min_usage``), assignments that depend on
#: the input (``mean_max_q``), a smooth manifold (``reconstruction_label_kept``) and meaningful
#: centroids (``centroid_accuracy_raw``)
PROTOTYPE_TARGETS = {"spread_ratio": 0.3, "min_usage": 0.05, "mean_max_q": 0.7,
                     "reconstruction_label_kept": 0.8, "centroid_accuracy_raw": 0.9}


def _rows(vae: LGMVAE, X, y, reference=None):
    """``X, y`` checked against ``vae``, and the ``reference`` rows ``(X_ref, y_ref)``
    (checked the same way; ``None``: ``X, y`` themselves)."""
    X, y = vae.check_inputs(X, y)
    if reference is None:
        return X, y, X, y
    return (X, y, *vae.check_inputs(reference[0], reference[1], "reference X"))


def _mean_pairwise_l1(X: np.ndarray) -> float:
    return float(pdist(X, metric="cityblock").mean()) if len(X) > 1 else float("nan")


def spread_ratio(prototypes: np.ndarray, records: np.ndarray, n_pairs: int = 20000,
                 seed: int = 0) -> float:
    """Mean pairwise L1 among ``prototypes`` ÷ the mean L1 between two random ``records``.

    The denominator is the expectation of the same statistic for randomly drawn records,
    estimated on ``n_pairs`` random pairs (seeded), so the ratio does not depend on one draw.
    """
    prototypes, records = np.asarray(prototypes, float), np.asarray(records, float)
    if len(records) < 2:
        raise ValueError("spread_ratio needs at least 2 records of the label.")
    rng = np.random.default_rng(seed)
    i = rng.integers(len(records), size=n_pairs)
    j = (i + rng.integers(1, len(records), size=n_pairs)) % len(records)   # never i itself
    baseline = float(np.abs(records[i] - records[j]).sum(1).mean())
    return _mean_pairwise_l1(prototypes) / baseline if baseline > 0 else float("nan")


def cluster_usage(q_c: np.ndarray) -> np.ndarray:
    """Share of points whose most likely cluster is each of the K_y clusters, (K_y,)."""
    q_c = np.asarray(q_c)
    return np.bincount(q_c.argmax(1), minlength=q_c.shape[1]) / len(q_c)


def prototype_report(vae: LGMVAE, X, y, predict: Callable[[np.ndarray], np.ndarray],
                     seed: int = 0) -> pd.DataFrame:
    """The §3.1 diagnostics of a fitted L-GMVAE per label (columns :data:`PROTOTYPE_COLUMNS`).

    Parameters
    ----------
    vae : fitted L-GMVAE.
    X, y : encoded inputs and their black-box labels (held-out data for an honest
        ``reconstruction_label_kept``; training data work for the others).
    predict : the black box, encoded inputs -> labels.
    seed : random state of the random record pairs of :func:`spread_ratio`.
    """
    X, y = vae.check_inputs(X, y)
    q = vae.predict_cluster_proba(X, y)
    kept = predict_labels(predict, vae.reconstruct(X, y), vae.n_labels) == y
    centroid_acc = vae.centroid_accuracy(predict)
    rows = []
    for label in range(vae.n_labels):
        m = y == label
        if m.sum() < 2:
            continue
        rows.append({
            "label": label,
            "spread_ratio": spread_ratio(vae.decoded_centroids(label), X[m], seed=seed),
            "min_usage": float(cluster_usage(q[m]).min()),
            "mean_max_q": float(q[m].max(1).mean()),
            "reconstruction_label_kept": float(kept[m].mean()),
            "centroid_accuracy_raw": centroid_acc,
        })
    return pd.DataFrame(rows, columns=PROTOTYPE_COLUMNS)


def kmeans_report(vae: LGMVAE, X, y, predict: Callable[[np.ndarray], np.ndarray],
                  reference=None, n_init: int = 10, seed: int = 0) -> pd.DataFrame:
    """What ``K_y`` prototypes that summarise the data reach: a reference for the spread ratio.

    Per label, the ``K_y`` k-means centres of the label's rows of ``X`` (scikit-learn's
    ``KMeans``, ``n_init`` starts, seeded), one-hot groups hardened by argmax as the decoded
    centroids are (:meth:`LGMVAE.harden`).  ``kmeans_spread_ratio`` is their
    :func:`spread_ratio` against the label's rows of ``reference`` (``(X_ref, y_ref)``, as
    :func:`prototype_report` is read on held-out rows; ``None``: ``X, y``), and
    ``kmeans_valid`` the share of the centres the black box ``predict`` gives the label.  When
    k-means centres are both valid and spread while the decoded centroids are not, diverse
    valid prototypes exist and the L-GMVAE did not find them.
    """
    from sklearn.cluster import KMeans

    X, y, X_ref, y_ref = _rows(vae, X, y, reference)
    k = vae.clusters_per_class
    rows = []
    for label in range(vae.n_labels):
        m, m_ref = y == label, y_ref == label
        if m.sum() < k or m_ref.sum() < 2:
            continue
        km = KMeans(k, n_init=n_init, random_state=seed).fit(X[m])
        centres = vae.harden(km.cluster_centers_.astype(np.float32))
        rows.append({
            "label": label,
            "kmeans_spread_ratio": spread_ratio(centres, X_ref[m_ref], seed=seed),
            "kmeans_valid": float((predict_labels(predict, centres, vae.n_labels) == label).mean()),
        })
    return pd.DataFrame(rows, columns=["label", "kmeans_spread_ratio", "kmeans_valid"])


def category_report(vae: LGMVAE, X, y) -> pd.DataFrame:
    """Do the decoded centroids only take each label's most frequent categories?

    One row per label and one-hot group (``group``: its index in ``vae.categorical_groups``):
    ``modal_share`` is the share of the label's rows of ``X`` in the group's most frequent
    category, ``other_share`` ``1 - modal_share``, and ``centroids_modal`` the share of the
    label's decoded centroids in that category.  ``centroids_modal = 1`` with a large
    ``other_share``: no prototype stands for the label's other categories.  On the encoded L1
    scale a category differs by 2 and a continuous column by at most 1, so such centroids have
    a small spread ratio however their continuous columns differ.
    """
    X, y, _, _ = _rows(vae, X, y)
    rows = []
    for label in range(vae.n_labels):
        m = y == label
        if not m.any():
            continue
        decoded = vae.decoded_centroids(label)
        for i, g in enumerate(vae.categorical_groups):
            counts = np.bincount(X[m][:, g].argmax(1), minlength=g.stop - g.start)
            modal = int(counts.argmax())
            share = float(counts[modal] / m.sum())
            rows.append({"label": label, "group": i, "modal_share": share,
                         "other_share": 1.0 - share,
                         "centroids_modal": float((decoded[:, g].argmax(1) == modal).mean())})
    return pd.DataFrame(rows, columns=["label", "group", "modal_share", "other_share",
                                       "centroids_modal"])


def noise_report(vae: LGMVAE, X, y, predict: Callable[[np.ndarray], np.ndarray],
                 n_draws: int = 10, seed: int = 0) -> pd.DataFrame:
    """Does a label survive noise as large as the decoder's error?  One row per label.

    For the inputs of each label, ``reconstruction_rmse`` is the root mean squared error of
    their reconstructions on the continuous columns (one-hot columns are decoded exactly or
    not at all, so they are left alone), ``reconstruction_label_kept`` the share of
    reconstructions predicted as the label, and ``noise_label_kept`` the share of ``n_draws``
    noisy copies ``x + e`` (``e`` Gaussian on the continuous columns, per column the label's
    reconstruction RMSE of that column; clipped to the training range) that the black box still
    predicts as the label.  When ``noise_label_kept`` is low too, the label's region is thinner
    than the decoder's resolution: the reconstruction loses the label because the black box's
    region is fragmented, not because the decoder aims at the wrong side.
    """
    X, y = vae.check_inputs(X, y)
    cont = ~vae.categorical_mask(X.shape[1]).numpy()
    residual = vae.reconstruct(X, y) - X
    kept = predict_labels(predict, X + residual, vae.n_labels) == y
    rng = np.random.default_rng(seed)
    rows = []
    for label in range(vae.n_labels):
        m = y == label
        if m.sum() < 2:
            continue
        sd = np.sqrt((residual[m][:, cont] ** 2).mean(0))               # per continuous column
        noisy = np.repeat(X[m], n_draws, axis=0)
        noisy[:, cont] += rng.normal(size=(len(noisy), int(cont.sum()))) * sd
        noisy[:, cont] = np.clip(noisy[:, cont], vae.feature_min_[cont], vae.feature_max_[cont])
        noisy_kept = predict_labels(predict, noisy, vae.n_labels) == label
        rows.append({
            "label": label,
            "reconstruction_rmse": float(np.sqrt((residual[m][:, cont] ** 2).mean())),
            "reconstruction_label_kept": float(kept[m].mean()),
            "noise_label_kept": float(noisy_kept.mean()),
        })
    return pd.DataFrame(rows, columns=["label", "reconstruction_rmse", "reconstruction_label_kept",
                                       "noise_label_kept"])


@torch.no_grad()
def latent_report(vae: LGMVAE, X, y, seed: int = 0, reference=None) -> pd.DataFrame:
    """How much does z carry?  One row per label, averaged over its inputs.

    ``kl_z`` is Eq. 3's KL(z) term (nats; one sample of z per cluster, seeded).  ``rec`` is the
    reconstruction loss of the input's code (the mean of q(z|x,c,y) for its most likely
    cluster, decoded), ``rec_without_z`` that of the best decoder that ignores z: the label's
    column means on continuous columns and its category frequencies on one-hot columns.  Both
    use the fixed likelihood (squared error plus cross-entropy) whatever the model was trained
    with, so that ``rec_ratio = rec / rec_without_z`` compares models: near 1 when z carries
    nothing (posterior collapse), so that every input decodes to its label's mean and the
    clusters' centroids decode alike however the clusters are assigned.

    ``reference`` : ``(X_ref, y_ref)``, the rows whose label means define the decoder without z
    (pass the training rows, as :func:`training_warnings` does); ``None`` takes the evaluated rows
    themselves, which favours that baseline on few rows (a mean fitted to the very rows it
    decodes: a collapsed model then reads about ``1 + 1/n`` instead of 1).
    """
    X, y, X_ref, y_ref = _rows(vae, X, y, reference)
    dev = torch.device(vae.device)
    mask = vae.categorical_mask(X.shape[1]).to(dev)
    gen = torch.Generator(device=dev).manual_seed(seed)
    x_t, y_t = torch.as_tensor(X, device=dev), torch.as_tensor(y, device=dev)
    z = torch.as_tensor(vae.encode(X, y), device=dev)
    kl_z, rec = torch.empty(len(X), device=dev), torch.empty(len(X), device=dev)
    for s in chunks(len(X), vae.chunk_size):        # the model's own chunks: bounded memory
        kl_z[s] = vae.net_(x_t[s], y_t[s], mask, gen)["kl_z"]
        rec[s] = elbo.reconstruction(x_t[s], vae.net_.p_x(z[s]), mask)
    x_ref, y_ref = torch.as_tensor(X_ref, device=dev), torch.as_tensor(y_ref, device=dev)
    rows = []
    for label in range(vae.n_labels):
        m, m_ref = y_t == label, y_ref == label
        if int(m.sum()) < 2 or int(m_ref.sum()) < 1:
            continue
        mean = x_ref[m_ref].mean(0).clamp(1e-6, 1 - 1e-6)
        const = torch.where(mask, torch.logit(mean), mean).expand_as(x_t[m])  # logits on one-hot
        without = elbo.reconstruction(x_t[m], const, mask).mean()
        rows.append({"label": label, "kl_z": float(kl_z[m].mean()), "rec": float(rec[m].mean()),
                     "rec_without_z": float(without), "rec_ratio": float(rec[m].mean() / without)})
    return pd.DataFrame(rows, columns=["label", "kl_z", "rec", "rec_without_z", "rec_ratio"])


#: above this ratio of reconstruction losses (with z / without z, :func:`latent_report`)
#: :func:`training_warnings` says z is unused (posterior collapse)
COLLAPSE_RATIO = 0.95
#: above this ratio the decoder is worse than a label's mean: training stopped too early
UNDERTRAINED_RATIO = 1.05


def training_warnings(vae: LGMVAE, X, y, reference=None) -> list[str]:
    """Warn, after training, when z carries almost nothing for a label or the model is
    undertrained; returns the messages (empty when all is well).

    Posterior collapse makes every centroid of a label decode alike; a decoder worse than the
    label's mean is not collapse but too little training.  ``X, y``: the rows ``fit`` was given
    (its held-out validation rows, ``vae.validation_index_``, are read against the others), or
    held-out rows with ``reference=(X_train, y_train)``.  Whoever trains calls it
    (:func:`lapace_book.experiments.pairs.train_pair`, the README's quick start); ``fit`` does not.
    """
    X, y = vae.check_inputs(X, y)
    if reference is None:
        val = getattr(vae, "validation_index_", None)
        if val is None or len(X) != len(vae.train_labels_):
            raise ValueError("training_warnings needs the rows fit was given, or held-out rows "
                             "with reference=(X_train, y_train).")
        rest = np.setdiff1d(np.arange(len(X)), val)
        X, y, reference = X[val], y[val], (X[rest], y[rest])
    rep = latent_report(vae, X, y, seed=vae.seed, reference=reference)

    def named(rows) -> str:
        return ", ".join(f"{int(r.label)} ({r.rec_ratio:.0%})" for r in rows.itertuples())

    messages = []
    worse = rep[rep["rec_ratio"] > UNDERTRAINED_RATIO]
    if not worse.empty:
        messages.append(
            f"the L-GMVAE reconstructs label(s) {named(worse)} worse than decoding every input "
            "to its label's mean would (that share of its loss, on the held-out validation "
            f"rows): it is undertrained after {vae.n_epochs_} epoch(s). Its centroids and paths "
            "are not meaningful yet; raise max_epochs (or patience, or lr) and fit again.")
    unused = rep[(rep["rec_ratio"] > COLLAPSE_RATIO) & (rep["rec_ratio"] <= UNDERTRAINED_RATIO)]
    if not unused.empty:
        messages.append(
            f"z carries almost nothing for label(s) {named(unused)}: on the held-out validation "
            "rows the reconstruction loss is that share of the loss of decoding every input to "
            "its label's mean (posterior collapse). The clusters of such a label decode to "
            "near-copies of one prototype, so LAPACE's paths to them end at nearly the same "
            "point. Lower the KL(z) weight (loss_weights[0]) or use likelihood='calibrated'; "
            "lapace.lgmvae.diagnostics.latent_report measures it.")
    for message in messages:
        warn(message)
    return messages


def target_verdicts(report: pd.DataFrame, targets: dict | None = None) -> pd.DataFrame:
    """Which rows of a :func:`prototype_report` meet each §3.1 target, (rows, targets) bool.

    ``targets`` maps a column to the least value that meets it (default
    :data:`PROTOTYPE_TARGETS`); a NaN never meets its target.  The index is ``report``'s.
    """
    targets = PROTOTYPE_TARGETS if targets is None else targets
    missing = [k for k in targets if k not in report.columns]
    if missing:
        raise ValueError(f"the report has no column {missing}; it needs {list(targets)} "
                         "(the columns of lapace.lgmvae.diagnostics.prototype_report).")
    return pd.DataFrame({k: report[k] >= v for k, v in targets.items()})


def meets_all_targets(report: pd.DataFrame, targets: dict | None = None) -> pd.Series:
    """Whether each row of a :func:`prototype_report` meets every target of
    :func:`target_verdicts` (all five of :data:`PROTOTYPE_TARGETS` by default)."""
    return target_verdicts(report, targets).all(axis=1)


def decoded_centroid_table(dataset, vae: LGMVAE, centroids: pd.DataFrame) -> pd.DataFrame:
    """The decoded centroids (§3.2's prototypes) in original units, one column per cluster.

    ``dataset`` decodes them (:meth:`~lapace.TabularDataset.decode`); floats are shown to three
    significant digits.  ``centroids`` is :func:`lapace_book.experiments.pairs.centroid_report`'s table
    (``cluster``, ``label``, ``predicted``, ``valid_raw``): columns are named ``c<k> (y=<label>)``
    and a last row says what the classifier predicts, with ✗ where it is not the owning label.
    """
    values = dataset.decode(vae.decoded_centroids())
    table = values.T.map(lambda v: f"{v:.3g}" if isinstance(v, float) else str(v))
    table.columns = [f"c{k} (y={lab})" for k, lab in zip(centroids["cluster"], centroids["label"],
                                                          strict=True)]
    table.loc["classifier predicts"] = [
        f"{pr}" if ok else f"{pr} ✗"
        for pr, ok in zip(centroids["predicted"], centroids["valid_raw"], strict=True)]
    table.index.name = "feature"
    return table


def digit_styles(vae: LGMVAE, predict: Callable[[np.ndarray], np.ndarray], X, y,
                 seed: int = 0) -> tuple[float, float]:
    """Appendix B's "prototypical writing styles", measured: ``(spread, correct)``.

    ``spread`` is the :func:`spread_ratio` of each label's decoded centroids against that
    label's rows of ``X`` (labels ``y``), averaged over labels; ``correct`` the share of all
    decoded centroids that ``predict`` assigns to their own label.
    """
    n, k = vae.n_labels, vae.clusters_per_class
    cs = vae.decoded_centroids().reshape(n, k, -1)
    pred = np.asarray(predict(cs.reshape(-1, cs.shape[-1]))).reshape(n, -1)
    y = np.asarray(y)
    spread = np.mean([spread_ratio(cs[d], X[y == d], seed=seed) for d in range(n)])
    return float(spread), float((pred == np.arange(n)[:, None]).mean())


def shared_categories_text(categories: pd.DataFrame, names, label: int) -> str:
    """A sentence naming the categorical features in which every decoded centroid of ``label``
    takes the label's most frequent category ('' if none).

    ``categories`` is :func:`category_report`'s table, ``names`` the categorical features in
    the order of its ``group`` (``TabularDataset.categorical``).  Features are listed by
    decreasing share of the label's rows in other categories.
    """
    rep = categories[(categories["label"] == label) & (categories["centroids_modal"] == 1.0)]
    rep = rep.sort_values("other_share", ascending=False)
    if rep.empty:
        return ""
    features = ", ".join(names[g] for g in rep["group"])
    shares = ", ".join(f"{100 * x:.0f}%" for x in rep["other_share"])
    return (f" All its decoded centroids take the label's most frequent category of {features}, "
            f"although {shares} of its training rows (in that order) are in other categories.")


def noise_reading(reconstruction_kept: float, noise_kept: float, goal: float) -> str:
    """Why a label loses its label under reconstruction, read off one :func:`noise_report` row.

    The decoder is biased when its reconstructions keep the label at least 0.2 less often than
    noise of the same size does; the label's region is too thin when that noise alone keeps it
    less often than ``goal`` (the target of ``reconstruction_label_kept``).
    """
    parts = []
    if reconstruction_kept < noise_kept - 0.2:
        parts.append("the decoder's error is not random: it pulls the inputs across the boundary")
    if noise_kept < goal:
        parts.append("the region is thinner than the decoder's resolution")
    return " and ".join(parts) or "both causes are weak"
