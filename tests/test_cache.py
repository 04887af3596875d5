"""lapace_book.cache: same parameters reuse the stored artefact, changed ones recompute, a corrupted
entry is recomputed, and keys are stable."""

import json
import logging

import numpy as np
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
