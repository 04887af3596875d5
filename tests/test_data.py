import gzip
import hashlib
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from lapace.data import loaders as data
from lapace.data.loaders import (
    REGISTRY,
    DataNotAvailableError,
    TabularDataset,
    data_dir,
    data_source,
    fetch,
    load_dataset,
    load_mnist,
)


@pytest.fixture(scope="module")
def adult():
    return load_dataset("adult", max_rows=4000)


@pytest.fixture(scope="module")
def compas():
    return load_dataset("compas")


@pytest.fixture
def toy():
    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "color": rng.choice(["red", "green", "blue"], size=n),
            "flag": rng.integers(0, 2, size=n),
            "z": rng.integers(0, 100, size=n),
            "label": np.repeat(["no", "yes"], n // 2),
        }
    )
    return TabularDataset.from_frame(df, target="label", categorical=["color", "flag"], seed=1)


@pytest.fixture
def offline(monkeypatch):
    """Make any download attempt fail as it would without network."""
    calls = []

    def no_network(*args, **kwargs):
        calls.append((args, kwargs))
        raise ConnectionError("network is unreachable")

    monkeypatch.setattr(data.pooch, "retrieve", no_network)
    return calls


# --------------------------------------------------------------------------- registry / fetch


def test_registry_lists_published_files():
    assert len(REGISTRY) == 9
    for relpath, (known_hash, url) in REGISTRY.items():
        assert re.fullmatch(r"(sha256:[0-9a-f]{64}|md5:[0-9a-f]{32})", known_hash), relpath
        assert url.startswith("https://") and url.endswith(relpath.split("/")[-1])
    assert REGISTRY["tabular/adult.csv"][1].startswith(
        "https://raw.githubusercontent.com/carla-recourse/cf-data/2d56677095bd"
    )
    assert REGISTRY["mnist/train-labels-idx1-ubyte.gz"][0] == (
        "md5:d53e105ee54ea40749a09fcbcd1e9432"
    )


def test_data_dir_and_source(monkeypatch, tmp_path):
    monkeypatch.setenv("LAPACE_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    assert str(tmp_path) in data_source() and "LAPACE_DATA_DIR" in data_source()
    monkeypatch.delenv("LAPACE_DATA_DIR")
    assert data_dir() != tmp_path
    assert "per-user cache" in data_source()


def test_fetch_returns_verified_file():
    path = fetch("tabular/compas.csv")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert REGISTRY["tabular/compas.csv"][0] == f"sha256:{digest}"


def test_fetch_unknown_file():
    with pytest.raises(ValueError, match=r"known files: .*tabular/heloc\.csv"):
        fetch("tabular/iris.csv")


def test_hash_mismatch_leaves_file_untouched(monkeypatch, tmp_path, offline):
    bad = tmp_path / "tabular" / "heloc.csv"
    bad.parent.mkdir()
    bad.write_bytes(b"a,b\n1,2\n")
    monkeypatch.setenv("LAPACE_DATA_DIR", str(tmp_path))
    expected = REGISTRY["tabular/heloc.csv"][0].split(":")[1]
    with pytest.raises(ValueError, match="heloc.csv") as info:
        fetch("tabular/heloc.csv")
    message = str(info.value)
    assert str(bad) in message and expected in message
    assert hashlib.sha256(b"a,b\n1,2\n").hexdigest() in message
    assert "delete it" in message
    assert bad.read_bytes() == b"a,b\n1,2\n"
    assert offline == []  # no download attempted


def test_missing_file_offline(monkeypatch, tmp_path, offline):
    monkeypatch.setenv("LAPACE_DATA_DIR", str(tmp_path))
    known_hash, url = REGISTRY["tabular/adult.csv"]
    with pytest.raises(DataNotAvailableError) as info:
        fetch("tabular/adult.csv")
    message = str(info.value)
    for part in (str(tmp_path / "tabular" / "adult.csv"), known_hash, url, "LAPACE_DATA_DIR"):
        assert part in message
    assert isinstance(info.value, OSError)
    assert len(offline) == 1
    assert not (tmp_path / "tabular" / "adult.csv").exists()


def test_unwritable_data_dir(monkeypatch, tmp_path, offline):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("LAPACE_DATA_DIR", str(blocker))
    with pytest.raises(DataNotAvailableError, match="cannot be created"):
        fetch("tabular/compas.csv")
    assert offline == []


def test_download_goes_to_data_dir(monkeypatch, tmp_path):
    seen = {}

    def fake_retrieve(url, known_hash, fname, path, **kwargs):
        seen.update(url=url, known_hash=known_hash, fname=fname, path=path)
        target = path / fname
        target.write_text("downloaded")
        return str(target)

    monkeypatch.setattr(data.pooch, "retrieve", fake_retrieve)
    monkeypatch.setenv("LAPACE_DATA_DIR", str(tmp_path))
    path = fetch("tabular/compas.csv")
    assert path == tmp_path / "tabular" / "compas.csv"
    assert (seen["known_hash"], seen["url"]) == REGISTRY["tabular/compas.csv"]
    assert seen["fname"] == "compas.csv" and seen["path"] == tmp_path / "tabular"


# --------------------------------------------------------------------------- load_dataset


@pytest.mark.parametrize(
    ("name", "options", "n_cont", "n_cat", "width"),
    [
        ("heloc", {}, 23, 0, 23),
        ("wine", {}, 11, 0, 11),
        ("wine", {"color": "white"}, 11, 0, 11),
        ("adult", {}, 6, 7, 6 + 2 * 7),
        ("compas", {}, 3, 4, 3 + 2 * 4),
    ],
)
def test_feature_counts(name, options, n_cont, n_cat, width):
    ds = load_dataset(name, max_rows=1000, **options)
    assert ds.name == name
    assert (len(ds.continuous), len(ds.categorical)) == (n_cont, n_cat)
    assert len(ds.features) == n_cont + n_cat
    assert ds.n_features_encoded == width == len(ds.encoded_columns)
    assert ds.encode(ds.X_test).shape == (len(ds.X_test), width)
    assert set(np.unique(ds.y_train)) == {0, 1}


def test_compas_two_year_recid_is_categorical(compas):
    assert "two_year_recid" in compas.categorical
    assert compas.categories_["two_year_recid"] == [0, 1]
    assert compas.continuous == ["age", "priors_count", "length_of_stay"]


def test_wine_label_threshold():
    raw = pd.read_csv(fetch("tabular/winequality-red.csv"))
    for threshold in (6, 7):
        ds = load_dataset("wine", threshold=threshold)
        y = np.concatenate([ds.y_train, ds.y_test])
        assert y.sum() == (raw["quality"] >= threshold).sum()
        assert len(y) == len(raw)


def test_load_dataset_bad_arguments():
    with pytest.raises(ValueError, match="book.s data sets .*compas.*from_frame"):
        load_dataset("iris")
    with pytest.raises(ValueError, match="takes no options"):
        load_dataset("adult", color="red")
    with pytest.raises(ValueError, match="color"):
        load_dataset("wine", color="rose")
    with pytest.raises(ValueError, match="shade"):
        load_dataset("wine", shade="red")


def test_max_rows_is_stratified_and_deterministic():
    a = load_dataset("heloc", max_rows=500, seed=3)
    b = load_dataset("heloc", max_rows=500, seed=3)
    assert len(a.X_train) + len(a.X_test) == 500
    pd.testing.assert_frame_equal(a.X_train, b.X_train)
    full = load_dataset("heloc")
    full_rate = np.concatenate([full.y_train, full.y_test]).mean()
    assert abs(np.concatenate([a.y_train, a.y_test]).mean() - full_rate) < 0.01


# --------------------------------------------------------------------------- split and scaling


def test_split_deterministic_and_stratified(compas):
    again = load_dataset("compas")
    pd.testing.assert_frame_equal(compas.X_train, again.X_train)
    np.testing.assert_array_equal(compas.y_test, again.y_test)
    other = load_dataset("compas", seed=1)
    assert not compas.X_train.equals(other.X_train)
    n_test = len(compas.X_test)
    assert n_test == math.ceil(0.2 * (len(compas.X_train) + n_test))
    assert abs(compas.y_train.mean() - compas.y_test.mean()) < 1.0 / n_test + 1e-9
    assert list(compas.X_train.index) == list(range(len(compas.X_train)))


def test_scaler_fitted_on_train_only():
    df = pd.DataFrame({"x": np.arange(40.0), "y": np.tile([0, 1], 20)})
    for seed in range(50):
        ds = TabularDataset.from_frame(df, target="y", seed=seed, test_size=0.25)
        if {0.0, 39.0} & set(ds.X_test["x"]):
            break
    else:
        pytest.fail("no split put an extreme value in the test set")
    X = ds.encode(ds.X_train)
    assert X.min() == 0.0 and X.max() == 1.0
    assert ds.bounds_["x"] == (ds.X_train["x"].min(), ds.X_train["x"].max())
    X_test = ds.encode(ds.X_test)
    assert X_test.min() < 0.0 or X_test.max() > 1.0


def test_constant_column_scale_one():
    df = pd.DataFrame({"c": [5.0] * 10, "x": np.arange(10.0), "y": [0, 1] * 5})
    ds = TabularDataset.from_frame(df, target="y", continuous=["c", "x"], seed=0)  # named: kept
    assert ds.to_scaled("c", 5.0) == 0.0
    assert ds.to_scaled("c", 7.0) == 2.0
    np.testing.assert_array_equal(ds.encode(ds.X_train)[:, 0], 0.0)


def test_unit_conversions_match_encoding(adult):
    row = adult.X_test.iloc[:5]
    encoded = adult.encode(row)
    for name, index in zip(adult.continuous, adult.continuous_index, strict=True):
        scaled = adult.to_scaled(name, row[name].to_numpy(dtype=float))
        np.testing.assert_allclose(encoded[:, index], scaled, rtol=1e-6, atol=1e-7)
        assert adult.to_original_units(name, adult.to_scaled(name, 37.5)) == pytest.approx(37.5)
    lo, hi = adult.bounds_["age"]
    assert adult.to_original_units("age", 1.0) == pytest.approx(hi)
    with pytest.raises(ValueError, match="'sex' is not a continuous"):
        adult.to_scaled("sex", 1.0)


def test_unseen_test_category_is_dropped_with_warning():
    df = pd.DataFrame(
        {"x": np.arange(40.0), "c": ["a", "b"] * 19 + ["a", "rare"], "y": [0, 1] * 20}
    )
    for seed in range(50):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            ds = TabularDataset.from_frame(df, target="y", seed=seed, test_size=0.5)
        if "rare" not in set(ds.X_train["c"]):
            break
        assert record == []  # rare category in train: nothing dropped
    else:
        pytest.fail("no split put the rare category in the test set")
    assert [str(w.message)[:18] for w in record] == ["Dropped 1 test row"]
    assert ds.categories_["c"] == ["a", "b"]
    assert len(ds.X_test) == 19 == len(ds.y_test)
    assert "rare" not in set(ds.X_test["c"])


# --------------------------------------------------------------------------- encode / decode


@pytest.mark.parametrize("name", ["adult", "compas"])
def test_round_trip(name, request):
    ds = request.getfixturevalue(name)
    for frame in (ds.X_train, ds.X_test):
        decoded = ds.decode(ds.encode(frame))
        assert list(decoded.columns) == list(frame.columns)
        for col in ds.categorical:
            pd.testing.assert_series_equal(decoded[col], frame[col])  # exact, same dtype
        pd.testing.assert_frame_equal(
            decoded[ds.continuous], frame[ds.continuous], check_dtype=False, atol=1e-3
        )


def test_encoding_layout(compas):
    assert compas.encoded_columns[:3] == ["age", "two_year_recid=0", "two_year_recid=1"]
    assert compas.feature_slice("race") == slice(5, 7)
    assert compas.categorical_groups == [slice(1, 3), slice(3, 5), slice(5, 7), slice(7, 9)]
    assert compas.continuous_index == [0, 9, 10]
    X = compas.encode(compas.X_train)
    assert X.dtype == np.float32
    for block in compas.categorical_groups:
        np.testing.assert_array_equal(X[:, block].sum(axis=1), 1.0)
    with pytest.raises(ValueError, match=r"Unknown feature 'gender'.*'sex'"):
        compas.feature_slice("gender")


def test_categories_and_bounds_from_train(adult):
    assert adult.categories_["sex"] == ["Female", "Male"]
    assert adult.bounds_["age"] == (adult.X_train["age"].min(), adult.X_train["age"].max())


def test_decode_non_one_hot_takes_argmax(compas):
    X = np.full((3, compas.n_features_encoded), 0.5)
    race = compas.feature_slice("race")
    sex = compas.feature_slice("sex")
    charge = compas.feature_slice("c_charge_degree")
    X[0, race] = [0.2, 0.8]
    X[1, race] = [0.0, 0.0]
    X[2, race] = [1.0, 1.0]
    X[:, sex] = [[0.9, 0.1], [0.3, 0.31], [0.0, 0.0]]
    X[:, charge] = [[-1.0, 2.0], [1.0, 1.0], [0.4, 0.6]]
    decoded = compas.decode(X)
    assert list(decoded["race"]) == ["Other", "African-American", "African-American"]
    assert list(decoded["sex"]) == ["Female", "Male", "Female"]
    assert list(decoded["c_charge_degree"]) == ["M", "F", "M"]
    for col, values in compas.categories_.items():
        assert set(decoded[col]) <= set(values)
    clean = compas.encode(decoded)  # decoded records are valid input again
    for block in compas.categorical_groups:
        np.testing.assert_array_equal(clean[:, block].sum(axis=1), 1.0)
    single = compas.decode(X[0])
    assert len(single) == 1 and single["race"].iloc[0] == "Other"


def test_toy_inference_and_dtypes(toy):
    assert toy.categorical == ["color", "flag"]
    assert toy.continuous == ["x", "z"]
    assert toy.features == ["x", "color", "flag", "z"]
    assert isinstance(toy.classes_, np.ndarray) and toy.classes_.tolist() == ["no", "yes"]
    decoded = toy.decode(toy.encode(toy.X_test))
    assert decoded["flag"].dtype == toy.X_test["flag"].dtype
    assert decoded["color"].tolist() == toy.X_test["color"].tolist()


def test_categorical_inferred_from_dtype():
    df = pd.DataFrame({"s": ["a", "b"] * 5, "n": np.arange(10), "t": [0, 1] * 5})
    ds = TabularDataset.from_frame(df, target="t")
    assert (ds.categorical, ds.continuous) == (["s"], ["n"])


def test_classes_order():
    df = pd.DataFrame({"x": np.arange(10.0), "t": ["bad", "good"] * 5})
    ds = TabularDataset.from_frame(df, target="t", classes=["good", "bad"])
    labels = ds.classes_[ds.y_train]  # an array, as scikit-learn's classes_
    expected = np.where(ds.X_train["x"] % 2 == 0, "bad", "good")
    np.testing.assert_array_equal(labels, expected)
    with pytest.raises(ValueError, match="classes"):
        TabularDataset.from_frame(df, target="t", classes=["good", "ugly"])


# --------------------------------------------------------------------------- validation


def _frame():
    return pd.DataFrame(
        {"x": np.arange(10.0), "c": ["p", "q"] * 5, "t": [0, 1] * 5}, index=range(10)
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"target": "label"}, r"Target column 'label' not found; available: \['x', 'c', 't'\]"),
        ({"target": "t", "categorical": ["colour"]}, r"\['colour'\] not found.*'c'"),
        ({"target": "t", "continuous": ["y"]}, r"\['y'\] not found"),
        ({"target": "t", "categorical": ["x"], "continuous": ["x"]}, r"\['x'\] are both"),
        ({"target": "t", "continuous": ["c"], "categorical": []}, r"'c' is not numeric"),
    ],
)
def test_from_frame_bad_columns(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TabularDataset.from_frame(_frame(), **kwargs)


def test_from_frame_single_class():
    df = _frame().assign(t=1)
    with pytest.raises(ValueError, match="fewer than 2 classes"):
        TabularDataset.from_frame(df, target="t")


def test_from_frame_nan():
    df = _frame()
    df.loc[[2, 5], "x"] = np.nan
    with pytest.raises(ValueError, match=r"'x': 2.*drop or impute"):
        TabularDataset.from_frame(df, target="t")


@pytest.fixture
def small():
    return TabularDataset.from_frame(_frame(), target="t", seed=0)


def test_encode_missing_and_extra_columns(small):
    with pytest.raises(ValueError, match=r"Missing column\(s\) \['c'\]"):
        small.encode(small.X_test.drop(columns="c"))
    with pytest.raises(ValueError, match=r"Unexpected column\(s\) \['extra'\]"):
        small.encode(small.X_test.assign(extra=1))


def test_encode_nan_names_column_and_row(small):
    df = small.X_test.copy()
    df.loc[1, "x"] = np.nan
    with pytest.raises(ValueError, match=r"Column 'x' .*NaN.*row index 1"):
        small.encode(df)


def test_encode_unseen_category(small):
    df = small.X_test.copy()
    df.loc[0, "c"] = "zzz"
    with pytest.raises(ValueError, match=r"'c' has unseen category 'zzz'.*\['p', 'q'\]"):
        small.encode(df)


def test_encode_non_numeric_continuous(small):
    df = small.X_test.astype({"x": object})
    df.loc[1, "x"] = "ten"
    with pytest.raises(ValueError, match=r"'x' has non-numeric value 'ten' at row index 1"):
        small.encode(df)


def test_encode_column_order_irrelevant(small):
    reordered = small.X_test[["c", "x"]]
    np.testing.assert_array_equal(small.encode(reordered), small.encode(small.X_test))


def test_decode_validation(small):
    with pytest.raises(ValueError, match="3 columns, got shape \\(2, 4\\)"):
        small.decode(np.zeros((2, 4)))
    X = small.encode(small.X_test)
    X[0, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN.*row 0, column 2 \('c=q'\)"):
        small.decode(X)


# --------------------------------------------------------------------------- MNIST


def test_load_mnist_test_split():
    X, y = load_mnist("test")
    assert X.shape == (10000, 784) and X.dtype == np.float32
    assert y.shape == (10000,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    assert y[:5].tolist() == [7, 2, 1, 0, 4]


def test_load_mnist_bad_split():
    with pytest.raises(ValueError, match="'validation'"):
        load_mnist("validation")


def test_load_mnist_train_offline(monkeypatch, tmp_path, offline):
    monkeypatch.setenv("LAPACE_DATA_DIR", str(tmp_path))
    with pytest.raises(DataNotAvailableError, match="train-images-idx3-ubyte.gz"):
        load_mnist("train")


def test_read_idx_checks_magic(tmp_path):
    good = tmp_path / "good.gz"
    header = (2049).to_bytes(4, "big") + (3).to_bytes(4, "big")
    good.write_bytes(gzip.compress(header + bytes([4, 5, 6])))
    assert data._read_idx(good, 2049).tolist() == [4, 5, 6]
    with pytest.raises(ValueError, match="magic number 2049, expected 2051"):
        data._read_idx(good, 2051)
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(header + bytes([4, 5])))
    with pytest.raises(ValueError, match="header says shape"):
        data._read_idx(short, 2049)
