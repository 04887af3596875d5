"""DiCE: diverse counterfactuals by model-agnostic sampling, through ``dice-ml`` itself.

Definition (Mothilal, Sharma & Tan, "Explaining machine learning classifiers through diverse
counterfactual explanations", FAT* 2020; the package ``dice-ml`` 0.12): find ``total_cfs``
points predicted as the target that are close to the input and diverse.  The model-agnostic
``method="random"`` (our default) samples ``sample_size`` copies of the input with one, then two,
... features redrawn from the training ranges/levels and keeps valid ones; ``method="genetic"``
optimises proximity, sparsity and diversity by a genetic search.

How we call it: DiCE receives the *raw* frame (``dataset.decode``, continuous features rounded to
the raw data's decimals, which DiCE's post-hoc search steps by) with the black box's predicted
labels as outcome, so categorical features are handled natively, and a model wrapper that encodes
with our dataset before calling the black box (sklearn-like ``predict``/``predict_proba`` on data
frames).  Every returned record is re-encoded and re-predicted by our model (``valid``); DiCE's
own validity is never used.  Each query runs under a wall-clock ``time_limit`` (a ``SIGALRM``
timer in the main thread; elsewhere the limit is checked after the query): a time-out is a
failure, NaN rows, recorded in ``cf.info["timeouts"]`` (n,) bool; ``cf.info["seconds"]`` holds
each query's time.  Query i is seeded with ``seed + i``; DiCE draws from the global NumPy and
``random`` states (it has no generator of its own to pass), which we seed for the query and
restore afterwards, whatever happens.  DiCE's progress bar, prints and warnings are suppressed
(the querying thread's output only; warning filters, being process-wide, for the query's
duration); ``cf.info["found"]`` counts what DiCE returned per query (0
where it found nothing: dice-ml raises then, and we record NaN rows instead).

The time (measured on heloc-RF with the quick profile's models, 5 queries, 2 busy cores, one
run: seconds per query): sampling alone (``posthoc_sparsity_param=None``) 1.0 s on average,
DiCE's default post-hoc sparsity step with its *linear* search 1.7 s, the *binary* search 7.9 s.
A profile of two queries shows where it goes: calls of the black box (about 0.1 s each for the
random forest, whatever the number of rows), about 5 per query for the sampling rounds and 10
for the post-hoc step, which calls the model once per search step (up to ``limit_steps_ls`` =
10000 per continuous feature and counterfactual for the linear search).  So the post-hoc step is
the setting that costs the time, and its cost is unbounded: a query whose counterfactuals sit
far from the input in wide-ranged features can take minutes, the likely source of the long tail
seen earlier on heloc-RF (18.9 s mean, one query 185 s), which these 5 queries did not
reproduce.  We keep DiCE's defaults (``posthoc_sparsity_param=0.1``, ``"linear"``), so that
DiCE is the method the paper compared with, and bound the tail with ``time_limit``;
``posthoc_sparsity_param=None`` gives the sampling alone.

**Threads.** Because dice-ml uses the process's global random states, its queries are
serialised by a module-level lock (``_DICE_LOCK``, held for a whole ``explain``): ``explain``
may be called from several threads at once, and each gets the results a serial call gives, but
the calls do not run in parallel (use processes for that, as the benchmark grid does).  Python
(before 3.14) keeps one set of warning filters for the process: while a query runs, warnings of
other threads are silenced too, and a library that enters ``warnings.catch_warnings`` in
another thread at that moment can interleave with ours.  Code in other threads that
draws from NumPy's global state (``np.random.rand``) while a query runs sees DiCE's seeded draws
and gets its state back after; a ``np.random.default_rng`` generator is not affected.

Where we differ from CARLA/RobustX: CARLA wraps DiCE's *gradient* method for its own PyTorch
models and one-hot frames; we use the model-agnostic method on the raw frame with any black box.
"""

from __future__ import annotations

import contextlib
import random
import signal
import sys
import threading
import time
import warnings

import numpy as np
import pandas as pd

from lapace.methods.base import CounterfactualMethod
from lapace.validation import SEED, check_choice, choice, integer, optional_import, real

__all__ = ["DiCE"]


class _Timeout(Exception):
    pass


class _EncodedModel:
    """A sklearn-like classifier on raw data frames: encodes with the dataset, then the black box."""

    def __init__(self, model, dataset, n_labels: int):
        self.model = model
        self.dataset = dataset
        self.n_labels = n_labels

    def _encode(self, df: pd.DataFrame) -> np.ndarray:
        return self.dataset.encode(_restore_categories(df[self.dataset.features], self.dataset))

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model.predict(self._encode(df)))

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray:
        X = self._encode(df)
        if callable(getattr(self.model, "predict_proba", None)):
            return np.asarray(self.model.predict_proba(X))
        labels = np.asarray(self.model.predict(X), dtype=np.int64)   # a label-only black box
        return np.eye(self.n_labels)[labels]


def _restore_categories(df: pd.DataFrame, dataset) -> pd.DataFrame:
    """DiCE may hand categories back as strings; map them to the dataset's own values."""
    df = df.copy()
    for name in dataset.categorical:
        known = {str(c): c for c in dataset.categories_[name]}
        df[name] = pd.Series([known.get(str(v), v) for v in df[name]], index=df.index,
                             dtype=object).astype(dataset.X_train[name].dtype)
    for name in dataset.continuous:
        if not pd.api.types.is_numeric_dtype(df[name]):   # DiCE's frames are mostly numeric
            df[name] = pd.to_numeric(df[name])
    return df


def _precisions(dataset) -> dict[str, int]:
    """Decimals of each continuous feature in the raw training frame (0 for whole numbers).

    DiCE infers them from the frame it gets, and its post-hoc search steps by 10**-decimals; our
    decoded frame carries float noise (34.0000019...), so we state the raw data's precision.
    """
    out = {}
    for name in dataset.continuous:
        values = dataset.X_train[name].to_numpy(dtype=np.float64)
        if np.all(values == np.round(values)):
            out[name] = 0
            continue
        modes = pd.Series(values).mode()
        out[name] = max(len(repr(float(v)).split(".")[1]) if "." in repr(float(v)) else 0 for v in modes)
    return out


def _round(df: pd.DataFrame, precisions: dict[str, int]) -> pd.DataFrame:
    """Continuous columns rounded to the raw data's precision (the frame DiCE sees)."""
    for name, decimals in precisions.items():
        df[name] = df[name].round(decimals)
    return df


#: serialises DiCE's queries in this process: dice-ml draws from NumPy's and ``random``'s global
#: states, so a query seeds them (and restores them after), which two queries at once would mix
_DICE_LOCK = threading.RLock()


class _ThreadSink:
    """A stand-in for ``sys.stdout``/``sys.stderr`` while a DiCE query runs: what the querying
    thread writes (dice-ml's prints and progress bars) is dropped, other threads' output goes to
    the stream as before."""

    def __init__(self, stream, owner: int):
        self._stream, self._owner = stream, owner

    def write(self, text):
        if threading.get_ident() == self._owner:
            return len(text)
        return self._stream.write(text)

    def flush(self):
        if threading.get_ident() != self._owner:
            self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _quiet():
    """Silence this thread's stdout/stderr and every warning; process state restored after,
    whatever happens (held under :data:`_DICE_LOCK`: warning filters are process-wide)."""
    owner = threading.get_ident()
    saved = sys.stdout, sys.stderr
    sinks = _ThreadSink(saved[0], owner), _ThreadSink(saved[1], owner)
    sys.stdout, sys.stderr = sinks
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        if sys.stdout is sinks[0]:          # unless someone replaced it meanwhile
            sys.stdout = saved[0]
        if sys.stderr is sinks[1]:
            sys.stderr = saved[1]


@contextlib.contextmanager
def _global_seed(seed: int):
    """Seed NumPy's and ``random``'s global states (DiCE uses them) and restore them after."""
    np_state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(seed)
    random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise :class:`_Timeout` after ``seconds`` (main thread only; no-op elsewhere)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _alarm(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _features_to_vary(value, name: str) -> None:
    """ "all" or a list of feature names (checked against the dataset in ``fit``)."""
    if isinstance(value, str):
        check_choice(value, name, ("all",))
    elif not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f'{name} must be "all" or a list of feature names, got {value!r}.')


class DiCE(CounterfactualMethod):
    """DiCE counterfactuals (``total_cfs`` per input) through ``dice-ml``.

    Parameters
    ----------
    total_cfs : int, default=5
    method : {"random", "genetic"}, default="random"
    sample_size : int, default=1000
        Samples per round of the random method.
    features_to_vary : "all" or list of str, default="all"
        Features DiCE may change (the others are immutable).
    posthoc_sparsity_param : float or None, default=0.1
        DiCE's post-hoc sparsity step (its default); ``None`` switches it off.
    posthoc_sparsity_algorithm : {"linear", "binary"}, default="linear"
    time_limit : float or None, default=60.0
        Seconds per query; a time-out is a failure (NaN rows, ``cf.info["timeouts"]``).
    seed : int, default=0

    Calls from several threads are serialised (a module-level lock; see the module docstring):
    each gets the results of a serial call, and the process's stdout, stderr, warning filters
    and global random states are as they were after every call, whatever happens.
    """

    params = {"total_cfs": integer(), "method": choice("random", "genetic"),
              "sample_size": integer(), "features_to_vary": _features_to_vary,
              "posthoc_sparsity_param": real(0, 1, none=True),
              "posthoc_sparsity_algorithm": choice("linear", "binary"),
              "time_limit": real(0, low_open=True, none=True), "seed": SEED}

    def __init__(self, total_cfs: int = 5, method: str = "random", sample_size: int = 1000,
                 features_to_vary="all", posthoc_sparsity_param: float | None = 0.1,
                 posthoc_sparsity_algorithm: str = "linear", time_limit: float | None = 60.0,
                 seed: int = 0):
        self.total_cfs = total_cfs
        self.method = method
        self.sample_size = sample_size
        self.features_to_vary = features_to_vary
        self.posthoc_sparsity_param = posthoc_sparsity_param
        self.posthoc_sparsity_algorithm = posthoc_sparsity_algorithm
        self.time_limit = time_limit
        self.seed = seed

    @property
    def n_cfs(self) -> int:
        return int(self.total_cfs)

    def _fit(self) -> None:
        dice_ml = optional_import("dice_ml", "dice", "DiCE")

        ds = self.dataset_
        if ds is None:
            raise ValueError("DiCE needs the dataset (feature types and categories): "
                             "fit(X_train, model, dataset=ds).")
        if self.features_to_vary != "all":
            unknown = [f for f in self.features_to_vary if f not in ds.features]
            if unknown:
                raise ValueError(f"features_to_vary names unknown feature(s) {unknown}; "
                                 f"features: {ds.features}.")
        self.outcome_ = "__label__" if ds.target in ds.features else ds.target
        self.precisions_ = _precisions(ds)
        frame = _round(ds.decode(self.X_train_), self.precisions_)
        frame[self.outcome_] = self.labels_
        data = dice_ml.Data(dataframe=frame, continuous_features=list(ds.continuous),
                            outcome_name=self.outcome_,
                            continuous_features_precision=self.precisions_)
        self.wrapper_ = _EncodedModel(self.model_, ds, self.n_labels_)
        model = dice_ml.Model(model=self.wrapper_, backend="sklearn")
        self.explainer_ = dice_ml.Dice(data, model, method=self.method)

    def explain(self, X, target: int = 1, **options):
        """DiCE counterfactuals of every row of ``X`` (see the class); calls from several
        threads run one after the other (the module's lock: dice-ml uses global state)."""
        with _DICE_LOCK:          # the checks and black-box calls too: sklearn's own warning
            return super().explain(X, target, **options)    # contexts must not interleave

    def _query(self, row: pd.DataFrame, target: int, seed: int):
        """DiCE's records for one query (a frame in original units) or None."""
        kwargs = {"posthoc_sparsity_param": self.posthoc_sparsity_param,
                  "posthoc_sparsity_algorithm": self.posthoc_sparsity_algorithm,
                  "features_to_vary": self.features_to_vary}
        if self.method == "random":
            kwargs.update(sample_size=int(self.sample_size), random_seed=int(seed))
        from raiutils.exceptions import UserConfigValidationException

        with _global_seed(seed), _quiet():
            try:
                res = self.explainer_.generate_counterfactuals(
                    row, total_CFs=int(self.total_cfs), desired_class=int(target), **kwargs)
            except UserConfigValidationException as err:   # dice-ml's way of saying "none found"
                if "No counterfactuals found" in str(err):
                    return None
                raise
        ex = res.cf_examples_list[0]
        df = ex.final_cfs_df_sparse if ex.final_cfs_df_sparse is not None else ex.final_cfs_df
        return None if df is None or len(df) == 0 else df

    def _explain_chunk(self, X, target, rows):
        """DiCE counterfactuals, points (n, total_cfs, d); NaN rows where fewer were found."""
        ds, m = self.dataset_, self.n_cfs
        points = np.full((len(X), m, X.shape[1]), np.nan, dtype=np.float32)
        timeouts = np.zeros(len(X), dtype=bool)
        seconds = np.zeros(len(X))
        found = np.zeros(len(X), dtype=np.int64)
        for i in range(len(X)):                     # one query at a time: memory is one query's
            row = _round(ds.decode(X[i:i + 1]), self.precisions_)
            with _DICE_LOCK:                        # one query at a time in the process
                start = time.perf_counter()
                try:
                    with _time_limit(self.time_limit):
                        df = self._query(row, target, int(self.seed) + rows.start + i)
                except _Timeout:
                    df = None
                    timeouts[i] = True
                seconds[i] = time.perf_counter() - start
            if self.time_limit is not None and seconds[i] > self.time_limit:
                df, timeouts[i] = None, True        # soft limit outside the main thread
            if df is None:
                continue
            records = _restore_categories(df[ds.features].reset_index(drop=True), ds)
            enc = ds.encode(records)[:m]
            points[i, :len(enc)] = enc
            found[i] = len(enc)
        reasons = np.where(timeouts, f"DiCE's query ran past time_limit={self.time_limit} s "
                           "(a time-out is a failure); raise time_limit", np.where(
                               found == 0, "DiCE found no counterfactual (dice-ml: no "
                               "counterfactuals found); raise sample_size or allow more "
                               "features_to_vary", "")).astype(object)
        return self._result(points, target, info={"timeouts": timeouts, "seconds": seconds,
                                                  "found": found, "not_found": reasons})
