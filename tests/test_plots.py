"""lapace.plots and lapace.images: the image grid and the pixel-region constraint."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from lapace.images import region_ink, region_mask, region_penalty
from lapace.plots import image_grid


def test_image_grid_layout_and_titles():
    imgs = np.random.default_rng(0).random((2, 3, 784))
    fig = image_grid(imgs, row_labels=["a", "b"], col_labels=["x", "y", "z"],
                     titles=[["1", "2", "3"], ["4", "5", "6"]],
                     title_colors=[["red"] * 3, ["green"] * 3], suptitle="t")
    axes = np.array(fig.axes).reshape(2, 3)
    assert axes[1, 2].get_title() == "6"
    assert axes[1, 0].get_ylabel() == "b"
    assert np.allclose(axes[0, 1].images[0].get_array(), imgs[0, 1].reshape(28, 28))
    matplotlib.pyplot.close(fig)


def test_image_grid_rejects_bad_shapes():
    with pytest.raises(ValueError, match="row_labels"):
        image_grid(np.zeros((2, 2, 784)), row_labels=["a"])
    with pytest.raises(ValueError, match="images must"):
        image_grid(np.zeros((2, 784)))


def test_region_penalty_and_ink():
    mask = region_mask(slice(12, 18), slice(7, 14))
    assert mask.sum() == 6 * 7 and mask.reshape(28, 28)[12, 7] and not mask.reshape(28, 28)[18, 7]
    x = np.zeros((2, 784), dtype=np.float32)
    x[1, mask] = 0.51
    np.testing.assert_allclose(region_ink(x, mask), [0.0, 42 * 0.5], rtol=1e-5)
    g = region_penalty(mask, tolerance=1.0)
    xt = torch.tensor(x, requires_grad=True)
    out = g(xt)
    np.testing.assert_allclose(out.detach().numpy(), [-1.0, 20.0], rtol=1e-5)
    out.sum().backward()
    assert xt.grad[1, mask].eq(1).all() and xt.grad[:, ~mask].eq(0).all()
