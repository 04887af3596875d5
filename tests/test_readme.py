"""The README's quick start runs as written."""

import re
import warnings
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quick_start_runs_as_written(capsys):
    text = README.read_text()
    code = re.search(r"## Quick start.*?```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert "LAPACE-First validity 1.00" in out and "LAPACE-Last predicted as target 1.00" in out
    res = namespace["res"]
    assert np.array_equal(res.last().valid, res.predicted[:, :, -1] & res.satisfied[:, :, -1])
    assert namespace["res"].paths.shape[:3] == (100, 5, 21)
