"""Data sets used by lapace: verified fetching and loaders (the encoder: :mod:`lapace.data.dataset`).

Every data file is listed in ``registry.txt`` (next to this module) with its
published hash and a public download URL. Files are looked up in
:func:`data_dir` (``$LAPACE_DATA_DIR`` or a per-user cache), verified by hash
before use, and downloaded only when missing. A file that is present but does
not match its hash is never overwritten or deleted.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pooch
from sklearn.model_selection import train_test_split

from lapace.data.dataset import TabularDataset
from lapace.validation import check_int, check_real

__all__ = [
    "DATASETS",
    "DataNotAvailableError",
    "REGISTRY",
    "TabularDataset",
    "data_dir",
    "data_source",
    "fetch",
    "load_dataset",
    "load_mnist",
]

ENV_VAR = "LAPACE_DATA_DIR"
_REGISTRY_FILE = Path(__file__).with_name("registry.txt")


class DataNotAvailableError(OSError):
    """A data file is neither in the data folder nor downloadable."""


def _read_registry(path: Path = _REGISTRY_FILE) -> dict[str, tuple[str, str]]:
    """Parse ``registry.txt`` into ``{relpath: (known_hash, url)}``."""
    entries: dict[str, tuple[str, str]] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            relpath, known_hash, url = line.split()
            entries[relpath] = (known_hash, url)
    return entries


#: ``{relative path: (known hash, url)}`` for every data file lapace uses.
REGISTRY: dict[str, tuple[str, str]] = _read_registry()


def data_dir() -> Path:
    """Folder where data files are looked for and downloaded to.

    Returns
    -------
    pathlib.Path
        ``$LAPACE_DATA_DIR`` if set, otherwise ``pooch.os_cache("lapace")``.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(pooch.os_cache("lapace"))


def data_source() -> str:
    """One-line description of where data comes from, for reports."""
    if os.environ.get(ENV_VAR):
        return f"offline cache at {data_dir()} ({ENV_VAR})"
    return f"per-user cache {data_dir()} (downloads from public sources)"


def fetch(relpath: str) -> Path:
    """Return the local path of a verified data file, downloading it if missing.

    Parameters
    ----------
    relpath : str
        Path relative to :func:`data_dir`, as listed in ``registry.txt``
        (e.g. ``"tabular/adult.csv"``).

    Returns
    -------
    pathlib.Path
        Path of a file whose hash matches the registry.

    Raises
    ------
    ValueError
        If ``relpath`` is unknown, or the file exists but its hash does not
        match (the file is left untouched).
    DataNotAvailableError
        If the file is missing and cannot be downloaded.
    """
    if relpath not in REGISTRY:
        raise ValueError(f"Unknown data file {relpath!r}; known files: {', '.join(REGISTRY)}.")
    known_hash, url = REGISTRY[relpath]
    path = data_dir() / relpath
    if path.exists():
        _verify(relpath, path, known_hash)
        return path
    return _download(relpath, path, known_hash, url)


def _verify(relpath: str, path: Path, known_hash: str) -> None:
    alg, expected = known_hash.split(":", 1)
    actual = pooch.file_hash(str(path), alg=alg)
    if actual.lower() != expected.lower():
        raise ValueError(
            f"Data file {relpath!r} found at {path} is not the published file: "
            f"expected {alg} {expected}, got {actual}. The file was left untouched; "
            f"delete it to re-download, or point {ENV_VAR} at a folder with the published file."
        )


def _download(relpath: str, path: Path, known_hash: str, url: str) -> Path:
    where = f"looked for it at {path}, expected hash {known_hash}, source {url}"
    fix = (
        f"Go online so it can be downloaded, or set {ENV_VAR} to a folder laid out like "
        f"shared/data (holding {relpath}) with the published file."
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataNotAvailableError(
            f"Data file {relpath!r} is missing ({where}) and the folder {path.parent} "
            f"cannot be created to download into: {exc}. {fix}"
        ) from exc
    if not os.access(path.parent, os.W_OK):
        raise DataNotAvailableError(
            f"Data file {relpath!r} is missing ({where}) and the folder {path.parent} "
            f"is read-only, so it cannot be downloaded there. {fix}"
        )
    try:
        local = pooch.retrieve(url, known_hash, fname=path.name, path=path.parent)
    except Exception as exc:  # offline, HTTP error, hash mismatch of the download, ...
        raise DataNotAvailableError(
            f"Data file {relpath!r} is missing ({where}) and downloading it failed: "
            f"{type(exc).__name__}: {exc}. {fix}"
        ) from exc
    return Path(local)


# --------------------------------------------------------------------------- tabular



# --------------------------------------------------------------------------- loaders

_TABULAR: dict[str, dict[str, Any]] = {
    "heloc": {
        "file": "tabular/heloc.csv",
        "target": "RiskPerformance",
        "categorical": [],
        "continuous": None,
    },
    "adult": {
        "file": "tabular/adult.csv",
        "target": "income",
        "categorical": [
            "workclass",
            "marital-status",
            "occupation",
            "relationship",
            "race",
            "sex",
            "native-country",
        ],
        "continuous": [
            "age",
            "fnlwgt",
            "education-num",
            "capital-gain",
            "capital-loss",
            "hours-per-week",
        ],
    },
    "compas": {
        "file": "tabular/compas.csv",
        "target": "score",
        "categorical": ["two_year_recid", "c_charge_degree", "race", "sex"],
        "continuous": ["age", "priors_count", "length_of_stay"],
    },
    "wine": {"target": None, "categorical": [], "continuous": None},
}

#: Names accepted by :func:`load_dataset`.
DATASETS = tuple(_TABULAR)


def _subsample(df: pd.DataFrame, target: str, max_rows: int, seed: int) -> pd.DataFrame:
    if max_rows < 2:
        raise ValueError(f"max_rows must be at least 2, got {max_rows}.")
    if max_rows >= len(df):
        return df
    keep, _ = train_test_split(
        np.arange(len(df)), train_size=max_rows, random_state=seed, stratify=df[target]
    )
    return df.iloc[np.sort(keep)].reset_index(drop=True)


def load_dataset(
    name: str,
    seed: int = 0,
    test_size: float = 0.2,
    max_rows: int | None = None,
    **options: Any,
) -> TabularDataset:
    """Load one of the book's tabular data sets as a :class:`TabularDataset`.

    Parameters
    ----------
    name : {"heloc", "wine", "adult", "compas"}
        ``heloc``: FICO HELOC, target ``RiskPerformance``, 23 continuous features.
        ``wine``: UCI Wine Quality, 11 continuous features, binary target
        ``quality>=threshold``. ``adult``: UCI Adult (CARLA version), target
        ``income``, 6 continuous + 7 categorical. ``compas``: ProPublica COMPAS
        (CARLA version), target ``score``, 3 continuous + 4 categorical.
    seed : int, default=0
        Random state of the subsample and the split.
    test_size : float, default=0.2
        Fraction of rows in the test split.
    max_rows : int, optional
        Stratified random subsample of this many rows before splitting.
    **options
        ``wine`` only: ``color="red"`` (or ``"white"``) and ``threshold=6``.

    Returns
    -------
    TabularDataset
    """
    if not isinstance(name, str) or name not in _TABULAR:
        raise ValueError(f"name must be one of the book's data sets {list(DATASETS)}, got "
                         f"{name!r}; for your own data use TabularDataset.from_frame(df, ...).")
    check_int(seed, "seed", minimum=0)
    check_real(test_size, "test_size", low=0.0, high=1.0, low_open=True, high_open=True)
    if max_rows is not None:
        check_int(max_rows, "max_rows", minimum=2)
    spec = _TABULAR[name]
    if name == "wine":
        unknown = sorted(set(options) - {"color", "threshold"})
        if unknown:
            raise ValueError(f"Unknown option(s) {unknown} for 'wine'; use color, threshold.")
        color = options.get("color", "red")
        threshold = options.get("threshold", 6)
        if color not in ("red", "white"):
            raise ValueError(f"color must be 'red' or 'white', got {color!r}.")
        df = pd.read_csv(fetch(f"tabular/winequality-{color}.csv"))
        target = f"quality>={threshold:g}"
        df[target] = (df.pop("quality") >= threshold).astype(np.int64)
    else:
        if options:
            raise ValueError(f"Data set {name!r} takes no options; got {sorted(options)}.")
        df = pd.read_csv(fetch(spec["file"]))
        target = spec["target"]
        if pd.api.types.is_float_dtype(df[target]) and (df[target] % 1 == 0).all():
            df[target] = df[target].astype(np.int64)
    if max_rows is not None:
        df = _subsample(df, target, max_rows, seed)
    return TabularDataset.from_frame(
        df,
        target=target,
        categorical=spec["categorical"],
        continuous=spec["continuous"],
        test_size=test_size,
        seed=seed,
        name=name,
    )


# --------------------------------------------------------------------------- MNIST

_MNIST_FILES = {
    "test": ("mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"),
    "train": ("mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz"),
}
_IDX_IMAGES, _IDX_LABELS = 2051, 2049  # magic numbers: unsigned bytes, 3 or 1 dimensions


def _read_idx(path: str | os.PathLike, magic: int) -> np.ndarray:
    """Read a gzip-compressed IDX file of unsigned bytes, checking its magic number."""
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    found = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else None
    if found != magic:
        raise ValueError(f"{path} has IDX magic number {found}, expected {magic}.")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} holds {data.size} values, header says shape {shape}.")
    return data.reshape(shape)


def load_mnist(split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST images and labels.

    Parameters
    ----------
    split : {"test", "train"}, default="test"
        ``"test"``: the 10000 official test images (available offline).
        ``"train"``: the 60000 training images (downloaded; needs internet
        unless present in :func:`data_dir`).

    Returns
    -------
    X : numpy.ndarray of float32, shape (n, 784)
        Pixel intensities in ``[0, 1]``.
    y : numpy.ndarray of int64, shape (n,)
        Digits 0..9.
    """
    if split not in _MNIST_FILES:
        raise ValueError(f"Unknown MNIST split {split!r}; use one of {list(_MNIST_FILES)}.")
    images_file, labels_file = _MNIST_FILES[split]
    images = _read_idx(fetch(images_file), _IDX_IMAGES)
    labels = _read_idx(fetch(labels_file), _IDX_LABELS)
    if len(images) != len(labels):
        raise ValueError(f"MNIST {split}: {len(images)} images but {len(labels)} labels.")
    X = images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)
    return X, labels.astype(np.int64)
