"""The L-GMVAE's file format: one ``torch.save`` file, versioned and checksummed.

:meth:`lapace.LGMVAE.save` builds the state (configuration, weights, fitted arrays, history and,
optionally, the dataset's encoder) and :func:`write_state` stores it with a format tag, a version
and a SHA-256 checksum of *everything* it holds (every tensor, and every other value: parameters,
history, the dataset's categories, bounds and dtypes); :func:`read_state` refuses a file that is
not an L-GMVAE, has another format version, lacks parts, has no checksum, or whose contents no
longer match it.  The checksum detects damage and edits, not a forger: a file from someone you
do not trust can hold any weights.

Version 2 files (lapace before issue 32) checksummed their tensors only, so their dataset encoder
could be edited unnoticed; they are refused unless read with ``verify=False`` (re-save one you
trust: ``LGMVAE.load(path, verify=False).save(path)``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from lapace.validation import check_bool

__all__ = ["FORMAT", "FORMAT_VERSION", "REQUIRED_KEYS", "UNVERIFIED_VERSIONS", "checksum", "read_state",
           "write_state"]

FORMAT = "lapace.LGMVAE"
FORMAT_VERSION = 3
#: older versions :func:`read_state` still reads, with ``verify=False`` only
UNVERIFIED_VERSIONS = (2,)
#: what every saved state holds besides the format tag, version and checksum
REQUIRED_KEYS = ("params", "n_features_in", "weights", "history", "best_epoch", "fitted")


def _feed(digest, value) -> None:
    """Add ``value`` to ``digest`` unambiguously (type-tagged, length-prefixed, keys sorted)."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        data = t.numpy().tobytes()
        digest.update(f"tensor:{t.dtype}:{tuple(t.shape)}:{len(data)};".encode())
        digest.update(data)
    elif isinstance(value, dict):
        keys = sorted(value, key=lambda k: (type(k).__name__, repr(k)))
        digest.update(f"dict:{len(keys)};".encode())
        for k in keys:
            _feed(digest, k)
            _feed(digest, value[k])
    elif isinstance(value, list | tuple):
        digest.update(f"{type(value).__name__}:{len(value)};".encode())
        for v in value:
            _feed(digest, v)
    else:  # None, bool, int, float, str, ...: repr is exact for these
        text = repr(value)
        digest.update(f"{type(value).__name__}:{len(text)}:{text};".encode())


def checksum(state: dict) -> str:
    """SHA-256 over everything in ``state`` but its ``sha256`` entry: tensors by name, dtype,
    shape and bytes, every other value by type and ``repr``, dictionaries in key order."""
    digest = hashlib.sha256()
    _feed(digest, {k: v for k, v in state.items() if k != "sha256"})
    return digest.hexdigest()


def write_state(path: str | Path, state: dict) -> Path:
    """Store ``state`` (with :data:`REQUIRED_KEYS`) at ``path`` with its format and checksum."""
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise ValueError(f"an L-GMVAE state needs {list(REQUIRED_KEYS)}; it lacks {missing}.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {**state, "format": FORMAT, "format_version": FORMAT_VERSION}
    state.pop("sha256", None)
    torch.save({**state, "sha256": checksum(state)}, path)
    return path


def read_state(path: str | Path, verify: bool = True) -> dict:
    """The checked contents of a file written by :func:`write_state`.

    ``verify=False`` skips the checksum (and reads version 2 files, whose checksum covered the
    tensors only): only for a file you trust, to save it again with a full checksum.
    """
    path, verify = Path(path), check_bool(verify, "verify")
    if not path.is_file():
        raise FileNotFoundError(f"No saved LGMVAE at {path}.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # not a torch file at all, or a damaged archive
        raise ValueError(f"{path} is not an LGMVAE file written by LGMVAE.save ({err}).") from err
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not an LGMVAE file written by LGMVAE.save.")
    version = state.get("format_version")
    resave = ("If you trust this file, read it without verification and save it again, which "
              "stores a checksum of everything: LGMVAE.load(path, verify=False).save(path) "
              "(with its dataset: vae, ds = LGMVAE.load_with_dataset(path, verify=False); "
              "vae.save(path, dataset=ds)); otherwise retrain the model.")
    if version != FORMAT_VERSION and not (version in UNVERIFIED_VERSIONS and not verify):
        if version in UNVERIFIED_VERSIONS:
            raise ValueError(
                f"{path} has LGMVAE format version {version}, whose checksum covers the weights "
                f"but not the rest of the file (parameters, dataset encoder), so edits there "
                f"would go unnoticed. {resave}")
        raise ValueError(
            f"{path} has LGMVAE format version {version}, this lapace "
            f"reads version {FORMAT_VERSION}: retrain the model or use the matching lapace."
        )
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise ValueError(
            f"{path} is an incomplete LGMVAE file: it lacks {missing}. Save the model again "
            "with LGMVAE.save."
        )
    if verify:
        if "sha256" not in state:
            raise ValueError(
                f"{path} holds no SHA-256 checksum, so nothing shows whether it was modified "
                f"after LGMVAE.save. {resave}")
        if checksum(state) != state["sha256"]:
            raise ValueError(
                f"{path}: the stored contents (weights, parameters or dataset encoder) do not "
                "match their SHA-256 checksum, so the file was damaged or modified after "
                "LGMVAE.save. Restore it from a good copy or retrain.")
    return state
