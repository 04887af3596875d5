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
dependency) is logged, deleted and recomputed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from lapace_book.fingerprint import ALL_CODE, code_fingerprint

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: environment variable that overrides the cache location
CACHE_ENV = "LAPACE_CACHE_DIR"


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
    """Root folder of the artefact cache (created if missing); see the module docstring."""
    env = os.environ.get(CACHE_ENV)
    if env:
        root = Path(env).expanduser()
    else:
        import pooch

        root = Path(pooch.os_cache("lapace")) / "artefacts"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _canonical(value: Any) -> Any:
    """Turn ``value`` into plain JSON types, or raise ``TypeError`` if that is not well defined."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)  # JSON has no NaN/inf; 'nan', 'inf', '-inf' are stable
        return value
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
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _joblib_save(obj: Any, path: Path) -> None:
    import joblib

    joblib.dump(obj, path)


def _joblib_load(path: Path) -> Any:
    import joblib

    return joblib.load(path)


def entry_path(name: str, params: Mapping[str, Any], suffix: str = ".joblib", code=ALL_CODE) -> Path:
    """Where :func:`cached` stores the artefact ``name`` computed with ``params``."""
    if not name or any(sep in name for sep in ("/", "\\", "..")):
        raise ValueError(f"cache entry name must be a plain folder name, got {name!r}")
    return cache_dir() / name / f"{key(_name=name, _code=code, **params)}{suffix}"


def cached(
    name: str,
    params: Mapping[str, Any],
    compute: Callable[[], T],
    save: Callable[[T, Path], Any] = _joblib_save,
    load: Callable[[Path], T] = _joblib_load,
    *,
    suffix: str = ".joblib",
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
        ``load(path)`` reads it back. Default: :func:`joblib.dump` / :func:`joblib.load`.
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
        except Exception as err:  # corrupted or incompatible entry: recompute it
            logger.warning("cache entry %s could not be loaded (%s: %s); recomputing",
                           path, type(err).__name__, err)
            _remove(path)
            meta_path.unlink(missing_ok=True)
        else:
            logger.info("%s loaded from cache %s", name, path)
            return obj

    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    obj = compute()
    seconds = time.perf_counter() - start

    # write under a temporary name, then rename: a crash never leaves a valid-looking entry
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{suffix}")
    _remove(tmp)
    try:
        save(obj, tmp)
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
    logger.info("%s computed in %.1f s, stored in %s", name, seconds, path)
    return obj


def clear(name: str | None = None) -> None:
    """Delete the cached entries of ``name`` (or the whole cache when ``name`` is None)."""
    root = cache_dir()
    target = root / name if name else root
    if target.exists():
        shutil.rmtree(target)
    root.mkdir(parents=True, exist_ok=True)
