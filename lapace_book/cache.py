"""On-disk cache for expensive artefacts (trained L-GMVAEs, classifiers, result tables).

An artefact is stored under ``cache_dir() / name / <key><suffix>``, where the key is a hash of
every parameter that affects it *and* the package version, so a changed hyper-parameter or a new
release of :mod:`lapace` never silently reuses a stale model.

Where the cache lives (first match wins):

1. ``$LAPACE_CACHE_DIR`` -- the book build (``scripts/build_book.py``) sets it to
   ``<repo>/.cache/artefacts`` so that later chapters reuse what earlier chapters trained and
   ``make clean-cache`` can remove it;
2. otherwise the per-user cache of the operating system, ``pooch.os_cache("lapace")/"artefacts"``
   (e.g. ``~/.cache/lapace/artefacts`` on Linux).

Example::

    from lapace_book.cache import cached

    model = cached(
        "lgmvae",
        {"dataset": "heloc", "latent_dim": 18, "epochs": 50, "seed": 0},
        compute=lambda: LGMVAE(latent_dim=18).fit(X, y),
        save=lambda m, path: m.save(path),
        load=LGMVAE.load,
        suffix=".pt",
    )

Each entry is written next to a ``<key>.json`` record (parameters, version, compute time). An
entry counts as present only once that record exists, and files are written under a temporary
name and renamed, so an interrupted run never leaves a half-written artefact that looks valid.
An entry that exists but cannot be loaded (corrupted, written by an incompatible version of a
dependency, a model file an older lapace wrote) is logged, deleted and recomputed.

What the cache trusts.  The default ``save`` stores plain data (numbers, strings, lists, dicts,
NumPy arrays, data frames of numbers and strings: result tables) in a safe format, a zip of JSON
and ``.npy`` files read without pickle; models go through their own checked file
(``LGMVAE.save``, read with ``torch.load(weights_only=True)``).  Anything else (scikit-learn
classifiers) is a joblib pickle, and loading a pickle runs whatever code it holds, so such an
entry is loaded only if no other user could have written it: the cache folder, the entry's
folder and the file must be yours (or root's) and not writable by group or others (a folder
with the sticky bit, like ``/tmp``, is fine).  Otherwise :class:`CacheDirError` refuses it, as
ssh refuses a key file others can write.  The cache creates its folders ``rwx------`` and its
files without group or other write permission.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import math
import os
import shutil
import stat
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from lapace_book.fingerprint import ALL_CODE, code_fingerprint

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: environment variable that overrides the cache location
CACHE_ENV = "LAPACE_CACHE_DIR"
#: file-name suffix of an entry written by the default ``save`` (safe format or pickle)
SUFFIX = ".artefact"
#: the member of a safe-format entry (a zip file) holding its tree of values
_TREE = "lapace-cache.json"


class CacheDirError(ValueError):
    """The cache folder cannot be used: not a folder, not writable, or (for a pickled entry)
    writable by other users."""


def package_version() -> str:
    """Version of :mod:`lapace` that goes into every key (``"unknown"`` if not installed)."""
    try:
        import lapace

        version = getattr(lapace, "__version__", None)
        if version:
            return str(version)
    except ImportError:  # pragma: no cover - we are inside the package
        pass
    try:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as dist_version

        return dist_version("lapace")
    except PackageNotFoundError:
        return "unknown"


def cache_dir() -> Path:
    """Root folder of the artefact cache (created if missing, ``rwx------``); see the module
    docstring.  A :class:`CacheDirError` names ``LAPACE_CACHE_DIR`` when it cannot be used."""
    env = os.environ.get(CACHE_ENV)
    if env:
        root = Path(env).expanduser()
        where = f"{CACHE_ENV}={env!r}"
        fix = (f"point {CACHE_ENV} at a folder you can write to (it is created if missing), "
               "or unset it to use the per-user cache")
    else:
        import pooch

        root = Path(pooch.os_cache("lapace")) / "artefacts"
        where = f"the artefact cache {str(root)!r} ({CACHE_ENV} is not set)"
        fix = f"set {CACHE_ENV} to a folder you can write to"
    if root.exists() and not root.is_dir():
        raise CacheDirError(f"{where} is a file, not a folder: {fix}.")
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as err:
        raise CacheDirError(f"{where} cannot be created ({err.strerror or err}): {fix}.") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise CacheDirError(f"{where} is a folder you cannot write to: {fix}.")
    return root


def _canonical(value: Any) -> Any:
    """Turn ``value`` into plain JSON types, or raise ``TypeError`` if that is not well defined."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value  # NaN and inf hash as the bare tokens NaN, Infinity: never as a string 'nan'
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"cache parameter keys must be strings, got {k!r}")
            out[k] = _canonical(v)
        return out
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dataclass__": type(value).__name__, **_canonical(dataclasses.asdict(value))}
    # numpy scalars and arrays, without importing numpy here
    if hasattr(value, "tolist") and callable(value.tolist):
        return _canonical(value.tolist())
    raise TypeError(
        f"cannot build a stable cache key from {type(value).__name__} value {value!r}; "
        "pass plain numbers, strings, lists, dicts or dataclasses"
    )


def key(*, _name: str | None = None, _code=ALL_CODE, **params: Any) -> str:
    """Stable 16-hex-digit hash of ``params`` (sorted JSON), the package version and the
    fingerprint of the code it depends on (:func:`code_fingerprint` of ``_code``).

    >>> key(epochs=10, lr=1e-3) == key(lr=1e-3, epochs=10)
    True
    """
    payload = {"name": _name, "params": _canonical(params), "lapace": package_version(),
               "code": code_fingerprint(_code)}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


# ---------------------------------------------------------------------- the safe format
class _NotPlain(Exception):
    """The value holds something the safe format cannot store exactly (it is pickled)."""


def _plain(value: Any, arrays: list) -> Any:
    """``value`` as a JSON tree; arrays appended to ``arrays``.  Every JSON object in the tree
    is a tag (dicts are tagged too), so no user value reads as a tag."""
    import numpy as np
    import pandas as pd

    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if type(value) is list:
        return [_plain(v, arrays) for v in value]
    if type(value) is tuple:
        return {"tuple": [_plain(v, arrays) for v in value]}
    if type(value) is dict:
        return {"dict": [[_plain(k, arrays), _plain(v, arrays)] for k, v in value.items()]}
    if isinstance(value, np.generic) or type(value) is np.ndarray:  # not np.matrix, masked
        a = np.asarray(value)
        if a.dtype.kind not in "biufcmMU" or a.dtype.hasobject:
            raise _NotPlain
        arrays.append(a)
        return {"scalar" if isinstance(value, np.generic) else "array": len(arrays) - 1}
    if type(value) is pd.Series:
        return {"series": [_column(value, arrays), _index(value.index, arrays),
                           _plain(value.name, arrays)]}
    if type(value) is pd.DataFrame:
        if value.attrs:
            raise _NotPlain
        return {"frame": [[_column(value.iloc[:, j], arrays) for j in range(value.shape[1])],
                          _index(value.index, arrays), _index(value.columns, arrays)]}
    raise _NotPlain


def _column(values, arrays: list) -> Any:
    """A Series' or Index's values: NumPy numbers, booleans and dates, or strings (with missing
    values where the dtype is pandas' ``str``)."""
    import numpy as np
    import pandas as pd

    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        a = np.asarray(values, dtype=object)
        missing = np.zeros(len(a), dtype=bool)
        if isinstance(values.dtype, pd.StringDtype):
            missing = np.asarray(pd.isna(a), dtype=bool)
        if not all(type(v) is str and not v.endswith("\0") for v in a[~missing]):
            raise _NotPlain                              # mixed objects: pickled
        text = np.asarray(np.where(missing, "", a).tolist(), dtype=str)
        return {"strings": [_plain(text, arrays), _plain(missing, arrays), str(values.dtype)]}
    if not isinstance(values.dtype, np.dtype):          # other pandas dtypes: pickled
        raise _NotPlain
    return _plain(np.asarray(values), arrays)


def _index(index, arrays: list) -> Any:
    import pandas as pd

    if type(index) is pd.RangeIndex:
        return {"range": [index.start, index.stop, index.step, _plain(index.name, arrays)]}
    if type(index) is pd.Index:
        return {"index": [_column(index, arrays), _plain(index.name, arrays)]}
    raise _NotPlain


def _unplain(tree: Any, array: Callable[[int], Any]) -> Any:
    """The value :func:`_plain` turned into ``tree``."""
    import pandas as pd

    if isinstance(tree, list):
        return [_unplain(v, array) for v in tree]
    if not isinstance(tree, dict):
        return tree
    (tag, body), = tree.items()

    def column(t):
        if not (isinstance(t, dict) and "strings" in t):
            return _unplain(t, array)
        text, missing, dtype = (_unplain(v, array) for v in t["strings"])
        values = text.astype(object)
        values[missing] = None
        return values if dtype == "object" else pd.array(values, dtype=pd.api.types.pandas_dtype(dtype))

    def index(t):
        if "range" in t:
            start, stop, step, name = t["range"]
            return pd.RangeIndex(start, stop, step, name=_unplain(name, array))
        values, name = t["index"]
        values = column(values)
        return pd.Index(values, name=_unplain(name, array), dtype=values.dtype)

    if tag == "float":
        return float(body)
    if tag == "tuple":
        return tuple(_unplain(v, array) for v in body)
    if tag == "dict":
        return {_unplain(k, array): _unplain(v, array) for k, v in body}
    if tag == "array":
        return array(body)
    if tag == "scalar":
        return array(body)[()]
    if tag == "series":
        values, idx, name = body
        values = column(values)
        return pd.Series(values, index=index(idx), name=_unplain(name, array), dtype=values.dtype)
    if tag == "frame":
        columns, idx, labels = body
        rows = index(idx)
        frame = pd.DataFrame({j: pd.Series(c, index=rows, dtype=c.dtype)
                              for j, c in enumerate(map(column, columns))}, index=rows)
        frame.columns = index(labels)
        return frame
    raise ValueError(f"unknown tag {tag!r} in a cache entry")


def _save(obj: Any, path: Path) -> None:
    """The default ``save``: the safe format where ``obj`` is plain data, else a joblib pickle."""
    import numpy as np

    arrays: list = []
    try:
        tree = _plain(obj, arrays)
    except _NotPlain:
        import joblib

        joblib.dump(obj, path)
        return
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(_TREE, json.dumps(tree, allow_nan=False))
        for i, a in enumerate(arrays):
            buffer = io.BytesIO()
            np.save(buffer, a, allow_pickle=False)
            zf.writestr(f"{i}.npy", buffer.getvalue())


def _load(path: Path) -> Any:
    """The default ``load``: a safe-format entry without pickle; a pickle only where no other
    user could have written it (:func:`check_private`)."""
    import numpy as np

    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            if _TREE in zf.namelist():
                tree = json.loads(zf.read(_TREE))
                return _unplain(tree, lambda i: np.load(io.BytesIO(zf.read(f"{int(i)}.npy")),
                                                        allow_pickle=False))
    check_private(path)
    import joblib

    return joblib.load(path)


# ---------------------------------------------------------------------- who can write
def _writable_by_others(path: Path) -> str | None:
    """Why another user could have written ``path`` (a file or folder), or None."""
    if os.name != "posix":  # pragma: no cover - POSIX permissions only
        return None
    info = path.stat()
    if info.st_uid not in (os.geteuid(), 0):
        return f"is owned by another user (uid {info.st_uid})"
    sticky = stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not sticky:
        who = "every user" if info.st_mode & stat.S_IWOTH else "its group"
        return f"can be written by {who} ({stat.filemode(info.st_mode)})"
    return None


def check_private(path: Path) -> None:
    """Refuse to unpickle the entry ``path`` unless only you (or root) could have written it:
    its file, its entry folder and the cache folder above (:class:`CacheDirError` otherwise)."""
    path = Path(path)
    root = path.parent.parent
    for where in (root, path.parent, path):
        if where is not root and not where.resolve().is_relative_to(root.resolve()):
            problem = f"is a symbolic link to {where.resolve()}, outside the cache folder"
        else:
            problem = _writable_by_others(where)
        if problem:
            fix = f"if every file there is yours, chmod -R go-w {where}; or " \
                if "written by" in problem else ""
            raise CacheDirError(
                f"Refusing to load the pickled cache entry {path}: {where} {problem}, so someone "
                f"else could have put it there, and loading a pickle runs any code it holds. "
                f"Use a cache folder only you can write to: {fix}set {CACHE_ENV} to a folder of "
                f"your own (e.g. made with mkdir -m 700).")


def _private(path: Path) -> None:
    """Take group and other write permission off ``path`` (a file, or a folder and its files)."""
    if os.name != "posix":  # pragma: no cover
        return
    for p in [path, *(path.rglob("*") if path.is_dir() and not path.is_symlink() else ())]:
        if not p.is_symlink():
            p.chmod(stat.S_IMODE(p.stat().st_mode) & ~0o022)


def _check_name(name: Any) -> str:
    """``name`` if it is a plain folder name (an entry of the cache), else ``ValueError``."""
    if not isinstance(name, str) or name in ("", ".", "..") or any(
            bad in name for bad in ("/", "\\", "..", "\0")) or Path(name).is_absolute():
        raise ValueError(f"cache entry name must be a plain folder name (e.g. 'lgmvae'), "
                         f"got {name!r}: it names a folder directly inside the cache folder.")
    return name


def entry_path(name: str, params: Mapping[str, Any], suffix: str = SUFFIX, code=ALL_CODE) -> Path:
    """Where :func:`cached` stores the artefact ``name`` computed with ``params``."""
    _check_name(name)
    return cache_dir() / name / f"{key(_name=name, _code=code, **params)}{suffix}"


def cached(
    name: str,
    params: Mapping[str, Any],
    compute: Callable[[], T],
    save: Callable[[T, Path], Any] = _save,
    load: Callable[[Path], T] = _load,
    *,
    suffix: str = SUFFIX,
    refresh: bool = False,
    code=ALL_CODE,
) -> T:
    """Return the artefact ``name`` for ``params``: loaded from disk, or computed and stored.

    Parameters
    ----------
    name : str
        Kind of artefact, e.g. ``"lgmvae"``; a sub-folder of :func:`cache_dir`.
    params : mapping
        *Every* setting that affects the artefact (data set, split seed, architecture, training
        settings...). Together with the package version it forms the key.
    compute : callable
        ``compute()`` builds the artefact; called only when no valid entry exists.
    save, load : callable
        ``save(obj, path)`` writes the artefact to ``path`` (a file or a folder);
        ``load(path)`` reads it back (it must be safe on a file someone else wrote). Default:
        plain data in a safe format, anything else a joblib pickle loaded only from folders
        no other user can write (see the module docstring).
        For models use e.g. ``save=lambda m, p: m.save(p), load=LGMVAE.load``.
    suffix : str
        File-name suffix of the stored artefact.
    refresh : bool
        Recompute and overwrite even if a valid entry exists.
    code : sequence of module names (or modules)
        The lapace modules ``compute`` runs; their source, and that of every lapace module they
        import at module level, goes into the key.  Default: the whole package.
    """
    path = entry_path(name, params, suffix, code)
    meta_path = path.with_name(path.name.removesuffix(suffix) + ".json")
    if meta_path.exists() and path.exists() and not refresh:
        try:
            obj = load(path)
        except CacheDirError:     # a pickle others could have written: never load, never delete
            raise
        except Exception as err:  # corrupted or incompatible entry: recompute it
            logger.warning("cache entry %s could not be loaded (%s: %s); recomputing",
                           path, type(err).__name__, err)
            _remove(path)
            meta_path.unlink(missing_ok=True)
        else:
            logger.info("%s loaded from cache %s", name, path)
            return obj

    path.parent.mkdir(exist_ok=True, mode=0o700)
    start = time.perf_counter()
    obj = compute()
    seconds = time.perf_counter() - start

    # write under a temporary name, then rename: a crash never leaves a valid-looking entry
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{suffix}")
    _remove(tmp)
    try:
        save(obj, tmp)
        _private(tmp)
        meta_path.unlink(missing_ok=True)
        _remove(path)
        os.replace(tmp, path)
    finally:
        _remove(tmp)
    record = {
        "name": name,
        "params": _canonical(dict(params)),
        "lapace": package_version(),
        "seconds": round(seconds, 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    meta_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    _private(meta_path)
    logger.info("%s computed in %.1f s, stored in %s", name, seconds, path)
    return obj


def clear(name: str | None = None) -> None:
    """Delete the cached entries of ``name`` (or every entry when ``name`` is None).

    ``name`` must be an entry of the cache, a plain folder name (as in :func:`entry_path`);
    nothing outside the cache folder is ever deleted: a symbolic link is removed, not followed.
    """
    root = cache_dir()
    if name is None:
        for child in root.iterdir():
            _remove(child)
        return
    target = root / _check_name(name)
    if target.is_symlink():
        if not target.resolve().is_relative_to(root.resolve()):
            raise ValueError(f"cache entry {name!r} is a symbolic link to {target.resolve()}, "
                             f"outside the cache folder {root}: clear deletes nothing outside "
                             f"it; remove the link yourself if you mean to.")
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
