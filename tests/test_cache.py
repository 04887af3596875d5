"""lapace_book.cache: same parameters reuse the stored artefact, changed ones recompute, a corrupted
entry is recomputed, and keys are stable."""

import json
import logging
import os
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from lapace_book import cache


@pytest.fixture(autouse=True)
def cache_root(tmp_path, monkeypatch):
    monkeypatch.setenv("LAPACE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


class Counter:
    """compute() that counts its calls."""

    def __init__(self, value):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return self.value


def test_cache_dir_from_environment(cache_root):
    assert cache.cache_dir() == cache_root
    assert cache_root.is_dir()


def test_key_is_stable_and_order_independent():
    k = cache.key(epochs=10, lr=1e-3, layers=[512, 512])
    assert k == cache.key(layers=[512, 512], lr=1e-3, epochs=10)
    assert len(k) == 16 and int(k, 16) >= 0
    assert k != cache.key(epochs=11, lr=1e-3, layers=[512, 512])
    # numpy scalars and tuples hash like their plain equivalents
    assert cache.key(n=np.int64(3), shape=(1, 2)) == cache.key(n=3, shape=[1, 2])


def test_key_depends_on_package_version(monkeypatch):
    before = cache.key(a=1)
    monkeypatch.setattr(cache, "package_version", lambda: "999.0")
    assert cache.key(a=1) != before


def test_key_rejects_unstable_values():
    with pytest.raises(TypeError, match="stable cache key"):
        cache.key(model=object())


def test_same_params_reuse_without_recompute(caplog):
    compute = Counter({"weights": [1, 2, 3]})
    params = {"dataset": "heloc", "seed": 0}
    with caplog.at_level(logging.INFO, logger="lapace_book.cache"):
        first = cache.cached("toy", params, compute)
        second = cache.cached("toy", dict(reversed(params.items())), compute)
    assert first == second == {"weights": [1, 2, 3]}
    assert compute.calls == 1
    assert "computed in" in caplog.text and "loaded from cache" in caplog.text
    meta = json.loads(next(cache.cache_dir().glob("toy/*.json")).read_text())
    assert meta["params"] == params and "seconds" in meta


def test_changed_param_recomputes():
    compute = Counter(1)
    cache.cached("toy", {"seed": 0}, compute)
    cache.cached("toy", {"seed": 1}, compute)
    assert compute.calls == 2
    cache.cached("toy", {"seed": 0}, compute)
    assert compute.calls == 2


def test_corrupted_entry_is_recomputed(caplog):
    compute = Counter(np.arange(5))
    cache.cached("toy", {"seed": 0}, compute)
    path = cache.entry_path("toy", {"seed": 0})
    path.write_bytes(b"this is not a joblib file")
    with caplog.at_level(logging.WARNING, logger="lapace_book.cache"):
        value = cache.cached("toy", {"seed": 0}, compute)
    np.testing.assert_array_equal(value, np.arange(5))
    assert compute.calls == 2
    assert "could not be loaded" in caplog.text
    # and the rewritten entry is valid again
    assert np.array_equal(cache.cached("toy", {"seed": 0}, compute), np.arange(5))
    assert compute.calls == 2


def test_entry_without_record_is_not_trusted():
    """An artefact whose .json record is missing (interrupted write) is recomputed."""
    compute = Counter(7)
    cache.cached("toy", {"seed": 0}, compute)
    path = cache.entry_path("toy", {"seed": 0})
    path.with_suffix(".json").unlink()
    assert cache.cached("toy", {"seed": 0}, compute) == 7
    assert compute.calls == 2


def test_custom_save_load_pair_like_a_model():
    class Model:
        def __init__(self, w):
            self.w = w

        def save(self, path):
            path.write_text(str(self.w))

        @classmethod
        def load(cls, path):
            return cls(float(path.read_text()))

    compute = Counter(Model(2.5))
    kwargs = dict(save=lambda m, p: m.save(p), load=Model.load, suffix=".txt")
    assert cache.cached("model", {"h": 8}, compute, **kwargs).w == 2.5
    again = cache.cached("model", {"h": 8}, compute, **kwargs)
    assert isinstance(again, Model) and again.w == 2.5 and compute.calls == 1
    assert cache.entry_path("model", {"h": 8}, ".txt").exists()


def test_refresh_and_clear():
    compute = Counter(1)
    cache.cached("toy", {"a": 1}, compute)
    cache.cached("toy", {"a": 1}, compute, refresh=True)
    assert compute.calls == 2
    cache.clear("toy")
    cache.cached("toy", {"a": 1}, compute)
    assert compute.calls == 3


def test_entry_name_must_be_plain():
    with pytest.raises(ValueError):
        cache.cached("../escape", {}, Counter(1))


def test_key_depends_on_training_code(monkeypatch):
    before = cache.key(a=1)
    monkeypatch.setattr(cache, "code_fingerprint", lambda code=None: "edited")
    assert cache.key(a=1) != before


def test_code_modules_follow_imports_at_any_depth_within_what_counts():
    from lapace_book.fingerprint import code_modules

    mods = code_modules(("lapace_book.experiments.pairs",))
    assert {"lapace_book.experiments.pairs", "lapace.lgmvae.model", "lapace.lgmvae.elbo",
            "lapace.data.loaders", "lapace.classifiers", "lapace.lgmvae.recipe"} <= set(mods)
    assert "lapace.lgmvae.diagnostics" in mods     # imported inside a function: it counts
    assert not any(m.startswith(("lapace_book.show", "lapace_book.cache")) for m in mods)


def test_fingerprint_of_a_missing_module_is_an_error():
    with pytest.raises(FileNotFoundError, match="renamed"):
        cache.code_fingerprint(("lapace.no_such_module",))


def test_fingerprint_changes_only_with_the_code_used(monkeypatch, tmp_path):
    from lapace_book import fingerprint

    before = cache.code_fingerprint(("lapace.lgmvae.elbo",))
    real = fingerprint.module_file
    source = real("lapace.lgmvae.elbo").read_text()

    def edited(text):
        def module_file(module):
            if module == "lapace.lgmvae.elbo":
                copy = tmp_path / "elbo.py"
                copy.write_text(text)
                return copy
            return real(module)
        return module_file

    monkeypatch.setattr(fingerprint, "module_file", edited(source + "\n# edited\n\n"))
    assert cache.code_fingerprint(("lapace.lgmvae.elbo",)) == before       # a comment
    monkeypatch.setattr(fingerprint, "module_file", edited(source.replace('"""', '"""More. ', 1)))
    assert cache.code_fingerprint(("lapace.lgmvae.elbo",)) == before       # the docstring
    monkeypatch.setattr(fingerprint, "module_file", edited(source + "\n_EDITED = 1\n"))
    assert cache.code_fingerprint(("lapace.lgmvae.elbo",)) != before       # a statement
    assert cache.code_fingerprint(("lapace.classifiers",)) == cache.code_fingerprint(("lapace.classifiers",))


# ------------------------------------------------------------------------------------ issue 32
def _outside(tmp_path):
    """Files beside the cache folder and in a folder elsewhere: what clear must never touch."""
    beside = tmp_path / "beside.txt"
    beside.write_text("mine")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "data.csv").write_text("a\n1\n")
    return beside, elsewhere


@pytest.mark.parametrize("name", ["..", ".", "", "a/../..", "../elsewhere", "toy/..", "/ABS"])
def test_clear_refuses_anything_but_an_entry_and_deletes_nothing(tmp_path, name):
    beside, elsewhere = _outside(tmp_path)
    cache.cached("toy", {"a": 1}, Counter(1))
    name = str(elsewhere) if name == "/ABS" else name
    with pytest.raises(ValueError, match="plain folder name"):
        cache.clear(name)
    assert beside.read_text() == "mine" and (elsewhere / "data.csv").is_file()
    assert list(cache.cache_dir().glob("toy/*.json"))           # the cache itself is intact


def test_clear_never_follows_a_symbolic_link_out_of_the_cache(tmp_path):
    beside, elsewhere = _outside(tmp_path)
    (cache.cache_dir() / "link").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ValueError, match="outside the cache folder"):
        cache.clear("link")
    assert (elsewhere / "data.csv").is_file()
    cache.cached("toy", {"a": 1}, Counter(1))
    cache.clear()                                    # everything: the link goes, not its target
    assert not list(cache.cache_dir().iterdir())
    assert (elsewhere / "data.csv").is_file() and beside.read_text() == "mine"


def test_result_tables_are_stored_without_pickle():
    frame = pd.DataFrame({"method": ["NNCE", "LAPACE"], "input_id": [3, 7],
                          "value": [0.25, np.nan], "valid": [True, False]})
    result = {"row": {"dataset": "adult", "n_inputs": 2, "validity": np.float64(0.5)},
              "per_input": frame, "info": {"cell_seconds": 1.5, "shape": (2, 3)}}
    cache.cached("cell", {"seed": 0}, Counter(result))
    path = cache.entry_path("cell", {"seed": 0})
    with zipfile.ZipFile(path) as zf:               # JSON and .npy, nothing to unpickle
        assert all(n.endswith((".json", ".npy")) for n in zf.namelist())
    path.parent.chmod(0o777)                         # safe to read wherever it lies
    back = cache.cached("cell", {"seed": 0}, Counter(None))
    pd.testing.assert_frame_equal(back["per_input"], frame)
    assert back["row"] == result["row"] and type(back["row"]["validity"]) is np.float64
    assert back["info"] == result["info"]


class Planted:
    """A pickle that runs code when loaded: it creates the file ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _plant(tmp_path):
    """A pickled entry (an object the safe format cannot hold) replaced by a planted pickle."""
    cache.cached("clf", {"seed": 0}, Counter(Counter(3)))        # not plain data: pickled
    path = cache.entry_path("clf", {"seed": 0})
    assert not zipfile.is_zipfile(path)
    marker = tmp_path / "code-ran"
    joblib.dump(Planted(marker), path)
    return path, marker


@pytest.mark.parametrize("which, mode", [("root", 0o777), ("root", 0o770), ("entry", 0o777),
                                         ("file", 0o666), ("file", 0o620)])
def test_a_pickle_others_could_have_written_is_refused(tmp_path, which, mode):
    path, marker = _plant(tmp_path)
    where = {"root": cache.cache_dir(), "entry": path.parent, "file": path}[which]
    where.chmod(mode)
    with pytest.raises(cache.CacheDirError, match=r"Refusing to load the pickled cache entry.*"
                                                   r"can be written by.*LAPACE_CACHE_DIR"):
        cache.cached("clf", {"seed": 0}, Counter(None))
    assert not marker.exists() and path.exists()    # nothing ran, nothing was deleted


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_pickle_owned_by_another_user_is_refused(tmp_path):
    path, marker = _plant(tmp_path)
    os.chown(path, 12345, 12345)
    with pytest.raises(cache.CacheDirError, match="owned by another user.*LAPACE_CACHE_DIR"):
        cache.cached("clf", {"seed": 0}, Counter(None))
    assert not marker.exists()


def test_a_sticky_world_writable_cache_folder_like_tmp_is_fine(tmp_path):
    cache.cached("clf", {"seed": 0}, Counter(Counter(3)))
    cache.cache_dir().chmod(0o1777)
    assert cache.cached("clf", {"seed": 0}, Counter(None)).value == 3


def test_the_cache_writes_nothing_others_can_write_even_with_a_lax_umask():
    old = os.umask(0o002)
    try:
        cache.cached("clf", {"seed": 0}, Counter(Counter(3)))
    finally:
        os.umask(old)
    path = cache.entry_path("clf", {"seed": 0})
    for p in (cache.cache_dir(), path.parent, path, path.with_suffix(".json")):
        assert p.stat().st_mode & 0o022 == 0, p
    assert cache.cached("clf", {"seed": 0}, Counter(None)).value == 3


def test_a_model_file_without_a_full_checksum_is_recomputed(caplog):
    """An old-format or unchecked model file in the cache is recomputed, not loaded or a crash."""
    import torch

    from lapace import LGMVAE

    X = np.random.default_rng(0).uniform(size=(20, 3)).astype(np.float32)
    y = np.arange(20) % 2
    compute = Counter(LGMVAE(clusters_per_class=1, latent_dim=2, hidden_dim=4, max_epochs=1,
                             verbose=False).fit(X, y))
    kwargs = dict(save=lambda m, p: m.save(p), load=LGMVAE.load, suffix=".pt")
    cache.cached("vae", {"h": 4}, compute, **kwargs)
    path = cache.entry_path("vae", {"h": 4}, ".pt")
    state = torch.load(path, weights_only=True)
    del state["sha256"]
    torch.save(state, path)
    with caplog.at_level(logging.WARNING, logger="lapace_book.cache"):
        again = cache.cached("vae", {"h": 4}, compute, **kwargs)
    assert compute.calls == 2 and "no SHA-256 checksum" in caplog.text
    assert isinstance(again, LGMVAE) and LGMVAE.load(path).n_features_in_ == 3


def test_cache_dir_that_cannot_be_used_names_the_variable(tmp_path, monkeypatch):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    monkeypatch.setenv("LAPACE_CACHE_DIR", str(a_file))
    with pytest.raises(cache.CacheDirError, match=r"LAPACE_CACHE_DIR=.*a-file' is a file, not a "
                                                   r"folder: point LAPACE_CACHE_DIR at a folder"):
        cache.cached("toy", {}, Counter(1))
    monkeypatch.setenv("LAPACE_CACHE_DIR", str(a_file / "below"))
    with pytest.raises(cache.CacheDirError, match=r"LAPACE_CACHE_DIR=.* cannot be created"):
        cache.cache_dir()
    assert a_file.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to any folder")
def test_an_unwritable_cache_dir_names_the_variable(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv("LAPACE_CACHE_DIR", str(locked))
    with pytest.raises(cache.CacheDirError, match="LAPACE_CACHE_DIR=.*cannot write to"):
        cache.cache_dir()


def test_nan_and_the_string_nan_are_different_keys():
    assert cache.key(x=float("nan")) != cache.key(x="nan")
    assert cache.key(x=float("inf")) != cache.key(x="inf")
    assert cache.key(x=[float("-inf")]) != cache.key(x=["-inf"])
    assert cache.key(x=float("nan")) == cache.key(x=np.float64("nan"))
