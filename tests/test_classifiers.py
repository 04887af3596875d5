import numpy as np
import pytest

from lapace.classifiers import CLASSIFIERS, train_classifier


def _blobs(n=300, n_classes=2, seed=0):
    """Well separated Gaussian blobs in 4 dimensions."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    centers = 3.0 * np.eye(n_classes, 4)
    X = centers[y] + rng.normal(scale=0.5, size=(n, 4))
    return X.astype(np.float32), y


@pytest.mark.parametrize("kind", ["rf", "nn"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_accuracy_on_separable_problem(kind, n_classes):
    X, y = _blobs(n_classes=n_classes)
    X_new, y_new = _blobs(n_classes=n_classes, seed=1)
    model = train_classifier(kind, X, y)
    assert model.score(X_new, y_new) > 0.9
    assert model.predict_proba(X_new).shape == (len(X_new), n_classes)


@pytest.mark.parametrize("kind", ["rf", "nn"])
def test_deterministic_under_seed(kind):
    X, y = _blobs()
    probe = _blobs(n=50, seed=2)[0]
    first = train_classifier(kind, X, y, seed=3).predict_proba(probe)
    second = train_classifier(kind, X, y, seed=3).predict_proba(probe)
    np.testing.assert_array_equal(first, second)
    other = train_classifier(kind, X, y, seed=4).predict_proba(probe)
    assert not np.array_equal(first, other)


def test_defaults_and_overrides():
    X, y = _blobs()
    nn = train_classifier("nn", X, y, seed=5)
    assert nn.hidden_layer_sizes == (64, 32) and nn.early_stopping
    assert nn.random_state == 5
    rf = train_classifier("rf", X, y, n_estimators=7, max_depth=2)
    assert len(rf.estimators_) == 7 and rf.max_depth == 2
    assert CLASSIFIERS["rf"]["n_estimators"] == 100
    assert CLASSIFIERS["nn"]["max_iter"] == 500
    assert "random_state" not in CLASSIFIERS["rf"]  # defaults must not pin the seed


def test_bad_inputs():
    X, y = _blobs(n=20)
    with pytest.raises(ValueError, match=r"Unknown classifier kind 'svm'.*'rf', 'nn'"):
        train_classifier("svm", X, y)
    with pytest.raises(ValueError, match="19 labels"):
        train_classifier("rf", X[:19], y)
    with pytest.raises(ValueError, match="2-D"):
        train_classifier("rf", X[:, 0], y)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="1 NaN"):
        train_classifier("rf", X_nan, y)
    with pytest.raises(ValueError, match="y contains NaN"):
        train_classifier("rf", X, np.where(y == 1, np.nan, 0.0))
