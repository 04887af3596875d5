"""scripts/benchmark.py's measuring helpers: the segment decoder it compares with the dense one
and the coarse-to-fine First it measures against the in-order route."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("benchmark_script", REPO / "scripts" / "benchmark.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.mark.parametrize("steps", [2, 5, 21])
def test_segment_decode_matches_the_dense_decoder(steps):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                              torch.nn.ReLU(), torch.nn.Linear(64, 9))
    rng = np.random.default_rng(0)
    z_from, z_to = (rng.normal(size=(40, 6)).astype(np.float32) for _ in range(2))
    taus = np.linspace(0, 1, steps, dtype=np.float32)
    lat = (1 - taus)[None, :, None] * z_from[:, None] + taus[None, :, None] * z_to[:, None]
    with torch.no_grad():
        dense = net(torch.as_tensor(lat.reshape(-1, 6))).numpy().reshape(40, steps, 9)
    seg = bench.segment_decode(net, z_from, z_to, taus)
    assert seg.shape == dense.shape
    np.testing.assert_allclose(seg, dense, atol=1e-4)
    # units do switch along these segments, so the sparse updates are exercised
    pre = lat.reshape(-1, 6) @ net[0].weight.detach().numpy().T + net[0].bias.detach().numpy()
    assert (np.diff(pre.reshape(40, steps, 64) > 0, axis=1)).any()


def test_coarse_first_is_exact_on_monotone_paths_and_can_miss_otherwise():
    T = 9
    hit = np.zeros((1, 3, T), bool)
    hit[0, 0, 5:] = True                  # monotone: found exactly
    hit[0, 1, 3] = True                   # a lone hit between coarse steps 2 and 4: missed
    hit[0, 1, 7:] = True
    first, cost = bench._coarse_first(hit, 2)
    assert first[0, 0] == 5
    assert first[0, 1] == 7               # in order it is 3: coarse-to-fine is not exact
    assert first[0, 2] == -1 and cost[0, 2] == T
