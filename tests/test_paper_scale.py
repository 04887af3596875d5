"""What the pages show from the committed reference run (lapace_book.show.paper_scale): every chapter's
paper-scale tables exist in it and read well, nothing is shown without a reference, and a stale
reference is shown under a warning, never as if fresh."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from lapace_book import reference as R
from lapace_book.show import paper_scale as P

ROOT = Path(__file__).resolve().parent.parent
IDENTIFIER = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")    # n_inputs, tstr_real_mean: not for readers
LONG_DECIMALS = re.compile(r"\d\.\d{5,}")


def test_every_paper_scale_table_is_in_the_committed_reference_and_reads_well():
    assert (ROOT / R.REFERENCE_DIR / "provenance.json").is_file(), "no committed reference"
    for chapter, items in P.SECTIONS.items():
        shown = P.tables(chapter, ROOT)
        assert len(shown) == len(items), f"{chapter}: the reference lacks a table"
        for caption, frame in shown:
            assert len(frame), (chapter, caption)
            headers = [str(c) for c in frame.columns] + [str(frame.index.name or "")]
            assert not [h for h in headers if IDENTIFIER.match(h)], (chapter, caption, headers)
            html = frame.style.format(precision=3).to_html()
            assert not LONG_DECIMALS.search(re.sub(r"<[^>]+>", " ", html)), (chapter, caption)


def test_table1_at_paper_scale_stands_beside_the_paper():
    (caption, t1), *_ = P.tables("tabular", ROOT)
    assert "beside the paper's" in caption
    assert set(t1["recipe"]) == {"ours", "paper"} and len(t1) == 16
    heloc = t1[(t1.pair == "heloc-RF") & (t1.recipe == "ours")].iloc[0]
    assert heloc["classifier acc. (ours / paper)"].endswith("/ 73.0")   # PAPER_TABLE1's 73.05


def test_table3_shows_the_papers_values_in_brackets():
    raw = pd.DataFrame({"dataset": ["wine", "wine"], "classifier": ["rf", "rf"],
                        "method": ["FACE-Greedy", "LAPACE-Naive"], "recipe": ["-", "paper"],
                        "share": [0.5, 1.0]})
    wide = P._table3(raw)
    assert wide.loc["FACE-Greedy", "wine-RF"] == "0.50 (0.88)"       # the paper's Table 3
    assert wide.loc["LAPACE-Naive (paper's recipe)", "wine-RF"] == "1.00 (1.00)"


def _shown(monkeypatch):
    import IPython.display

    out = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: out.append(obj))
    return out


def _copy_root(tmp_path: Path) -> Path:
    for name in ("notebooks", "profiles"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "_toc.yml", tmp_path / "_toc.yml")
    return tmp_path


def test_without_a_reference_a_page_shows_only_the_note(tmp_path, monkeypatch):
    root = _copy_root(tmp_path)
    out = _shown(monkeypatch)
    P.show("evaluation", root=root, profile="quick")
    assert len(out) == 1 and "no reference run yet" in out[0].data


def _make_fresh(root: Path, chapter: str) -> None:
    """Record the current code's fingerprint for ``chapter`` in ``root``'s reference."""
    path = root / R.REFERENCE_DIR / "provenance.json"
    prov = json.loads(path.read_text())
    now = R.chapter_fingerprint(chapter, prov["profile"], root)
    prov["chapters"][chapter].update(fingerprint=now.digest, parts=now.parts)
    path.write_text(json.dumps(prov))


def test_a_stale_reference_is_shown_under_a_warning(tmp_path, monkeypatch):
    root = _copy_root(tmp_path)
    shutil.copytree(ROOT / R.REFERENCE_DIR, root / R.REFERENCE_DIR)
    _make_fresh(root, "actionability")      # whatever the code changed since the committed run
    out = _shown(monkeypatch)
    P.show("actionability", root=root, profile="quick")
    assert out[0].data.startswith("```{admonition} paper scale — reference run of")
    assert any("Paper scale: Table 3" in getattr(o, "data", "") for o in out)

    source = root / "notebooks" / "actionability.py"
    source.write_text(source.read_text() + "\nprint('a change of code')\n")
    out.clear()
    P.show("actionability", root=root, profile="quick")
    assert out[0].data.startswith("```{admonition} Paper scale: the reference run is stale")
    assert "notebooks/actionability.py" in out[0].data
    assert any("Paper scale: Table 3" in getattr(o, "data", "") for o in out)  # still shown, flagged


@pytest.mark.parametrize("chapter", ["figure1"])
def test_chapters_without_paper_scale_tables_show_the_status_only(chapter, tmp_path, monkeypatch):
    root = _copy_root(tmp_path)
    shutil.copytree(ROOT / R.REFERENCE_DIR, root / R.REFERENCE_DIR)
    out = _shown(monkeypatch)
    P.show(chapter, root=root, profile="quick")
    assert len(out) == 1


def test_small_values_keep_their_digits_and_missing_ones_read_as_a_dash():
    df = pd.DataFrame({"lr": [3e-4, 5e-4, 1e-3], "kl": [-0.0001, 0.15049, float("nan")],
                       "share": [0.00333, 0.047, 1.0], "name": ["a", "b", "c"]})
    out = P._rounded(df)
    assert out["lr"].tolist() == [0.0003, 0.0005, 0.001]
    assert out["kl"].tolist() == [0.0, 0.15, "–"] and str(out["kl"][0]) == "0.0"
    assert out["share"].tolist() == [0.003, 0.047, 1.0]
    assert out["name"].tolist() == ["a", "b", "c"]


def test_the_explorer_paths_at_paper_scale_are_summarised_per_step():
    raw = R.reference_table("explorer_adult_rf", ROOT)
    caption, frame = P.tables("explorer", ROOT)[0]
    assert "adult-RF" in caption and list(frame.index[[0, -1]]) == ["τ = 0.00", "τ = 1.00"]
    last = raw[raw.tau == raw.tau.max()]
    assert frame["paths"].iloc[-1] == len(last)
    assert frame["share predicted as the target"].iloc[-1] == round(last["valid"].mean(), 3)
    mnist = P.tables("explorer", ROOT)[1][1]
    assert set(mnist["retrained models agreeing (mean)"]) == {"–"}   # MNIST has no retrained models
