"""The README's quick start runs as written."""

import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quick_start_runs_as_written(capsys):
    text = README.read_text()
    code = re.search(r"## Quick start.*?```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert "LAPACE-Last validity 1.00" in out
    assert namespace["res"].paths.shape[:3] == (100, 5, 21)
