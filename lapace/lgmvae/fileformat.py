"""The L-GMVAE's file format: one ``torch.save`` file, versioned and checksummed.

:meth:`lapace.LGMVAE.save` builds the state (configuration, weights, fitted arrays, history and,
optionally, the dataset's encoder) and :func:`write_state` stores it with a format tag, a version
and a SHA-256 checksum of every tensor; :func:`read_state` refuses a file that is not an L-GMVAE,
has another format version, lacks parts, or whose tensors no longer match their checksum.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

__all__ = ["FORMAT", "FORMAT_VERSION", "REQUIRED_KEYS", "checksum", "read_state", "write_state"]

FORMAT = "lapace.LGMVAE"
FORMAT_VERSION = 2
#: what every saved state holds besides the format tag, version and checksum
REQUIRED_KEYS = ("params", "n_features_in", "weights", "history", "best_epoch", "fitted")


def checksum(weights: dict, fitted: dict) -> str:
    """SHA-256 over every saved tensor (its name, dtype, shape and bytes) in name order."""
    digest = hashlib.sha256()
    for group, tensors in (("weights", weights), ("fitted", fitted)):
        for name in sorted(tensors):
            t = tensors[name].detach().cpu().contiguous()
            digest.update(f"{group}/{name}:{t.dtype}:{tuple(t.shape)};".encode())
            digest.update(t.numpy().tobytes())
    return digest.hexdigest()


def write_state(path: str | Path, state: dict) -> Path:
    """Store ``state`` (with :data:`REQUIRED_KEYS`) at ``path`` with its format and checksum."""
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise ValueError(f"an L-GMVAE state needs {list(REQUIRED_KEYS)}; it lacks {missing}.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": FORMAT, "format_version": FORMAT_VERSION, **state,
                "sha256": checksum(state["weights"], state["fitted"])}, path)
    return path


def read_state(path: str | Path) -> dict:
    """The checked contents of a file written by :func:`write_state`.

    Files written before checksums were stored (format version 2 without ``sha256``) are
    read without verification.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No saved LGMVAE at {path}.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # not a torch file at all, or a damaged archive
        raise ValueError(f"{path} is not an LGMVAE file written by LGMVAE.save ({err}).") from err
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not an LGMVAE file written by LGMVAE.save.")
    if state.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} has LGMVAE format version {state.get('format_version')}, this lapace "
            f"reads version {FORMAT_VERSION}: retrain the model or use the matching lapace."
        )
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise ValueError(
            f"{path} is an incomplete LGMVAE file: it lacks {missing}. Save the model again "
            "with LGMVAE.save."
        )
    if "sha256" in state and checksum(state["weights"], state["fitted"]) != state["sha256"]:
        raise ValueError(
            f"{path}: the stored weights do not match their SHA-256 checksum, so the file was "
            "damaged or modified after LGMVAE.save. Restore it from a good copy or retrain."
        )
    return state
