"""The paper's five baselines (§4.1, Table 2) behind one interface (:mod:`lapace.methods.base`).

::

    from lapace.methods import NNCE, FACE, RobX, DiCE, DRCE
    m = NNCE().fit(X_train, model, dataset=ds)   # encoded training inputs, fitted black box
    cf = m.explain(X, target=1)                  # Counterfactuals: points (n, m, d), valid (n, m)

``m`` is 1 for NNCE, FACE and RobX and ``total_cfs`` (default 5) for DiCE and DRCE.  Each module's
docstring gives the definition, its citation and where we differ from CARLA/RobustX.
"""

from lapace.counterfactuals import Counterfactuals
from lapace.methods.base import CounterfactualMethod
from lapace.methods.dice import DiCE
from lapace.methods.drce import DRCE
from lapace.methods.face import FACE
from lapace.methods.nnce import NNCE
from lapace.methods.robx import RobX

__all__ = ["Counterfactuals", "CounterfactualMethod", "DRCE", "DiCE", "FACE", "NNCE", "RobX"]
