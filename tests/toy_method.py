"""A sixth counterfactual method, to show what adding one takes: this module and one registry
line (tests/test_benchmark.py registers it and runs it through the grid)."""

import numpy as np

from lapace.methods.base import CounterfactualMethod


class FarthestTarget(CounterfactualMethod):
    """The training input predicted as the target that is *farthest* (L1) from the input."""

    def __init__(self, seed: int = 0):
        self.seed = seed

    def _explain_chunk(self, X, target, rows):
        pool = self.X_train_[self._candidates(target)]
        far = np.abs(X[:, None, :] - pool[None]).sum(-1).argmax(1)
        return self._result(pool[far][:, None, :], target)
