"""scripts/chapter.py (``make chapter CHAPTER=<stem> SET="..."``): SET is checked before any
work; the chapter runs into its own results folder with parameters.json; its page is rendered
alone; the book's results/<profile>/ is never written."""

import importlib.util
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
spec = importlib.util.spec_from_file_location("chapter_script", REPO / "scripts" / "chapter.py")
ch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ch)
bb = ch.bb

TOY = '''\
# %% [markdown]
# # Toy chapter

# %% tags=["parameters"]
profile = "quick"  # profile
steps = 11  # points, range [2, 1000]
seed = 0  # seed
name = "wine"  # a data set
datasets = ["heloc"]  # data sets

# %% tags=["remove-cell"]
from lapace_book.parameters import check_parameters; check_parameters(globals(), "toy", source={source!r})

# %%
from lapace_book.provenance import save_table
import pandas as pd
save_table(pd.DataFrame({{"steps": [steps], "seed": [seed]}}), "toy_table", profile=profile)
print("ran", steps, seed, name)
'''


@pytest.fixture
def tree(tmp_path, monkeypatch):
    for var in ("LAPACE_CACHE_DIR", "LAPACE_RESULTS_DIR", "LAPACE_PROFILE", "LAPACE_REPO_ROOT",
                "JUPYTER_PATH", "PYTHONPATH"):
        monkeypatch.setenv(var, os.environ.get(var, ""))  # restored after the test
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    (nbdir / "toy.py").write_text(TOY.format(source=str(nbdir / "toy.py")))
    (tmp_path / "_toc.yml").write_text(textwrap.dedent("""\
        format: jb-book
        root: book/intro
        chapters:
          - file: notebooks/toy
        """))
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "quick.yml").write_text("_cell_timeout: 120\ntoy:\n  seed: 3\n")
    return tmp_path


def args(tree, *extra):
    return ["toy", "--toc", str(tree / "_toc.yml"), "--notebooks-dir", str(tree / "notebooks"),
            "--profiles-dir", str(tree / "profiles"),
            "--results-root", str(tree / "results" / "chapters"),
            "--out", str(tree / "_build" / "chapters"), *extra]


def test_parse_set_checks_names_types_and_ranges(tree):
    from lapace_book.parameters import ParameterError, declared_parameters

    declared = declared_parameters(tree / "notebooks" / "toy.py")
    assert ch.parse_set('steps=7 name=adult datasets="[\'a\', \'b\']"', declared) == {
        "steps": 7, "name": "adult", "datasets": ["a", "b"]}
    assert ch.parse_set("", declared) == {}
    with pytest.raises(ParameterError) as err:
        ch.parse_set("stepz=5 steps=1 seed=x datasets=heloc profile=paper oops", declared, "toy")
    msg = str(err.value)
    for part in ("unknown parameter 'stepz'; the parameters cell declares profile, steps, seed",
                 "'steps' = 1 is out of its range [2, 1000]",
                 "'seed': 'x' is not a Python literal",
                 "'datasets': 'heloc' is not a Python literal (a list", "e.g. datasets=['heloc']",
                 "use PROFILE=", "'oops' is not name=value"):
        assert part in msg, part


def test_make_command_and_run_name():
    assert ch.make_command("figure1", {"seed": 1, "steps": 7}, "quick") == \
        'make chapter CHAPTER=figure1 SET="seed=1 steps=7"'
    assert ch.make_command("x", {"name": "adult", "w": [1, 2]}, "paper") == \
        'make chapter CHAPTER=x SET="name=adult w=[1, 2]" PROFILE=paper'
    assert ch.make_command("x", {}, "quick") == "make chapter CHAPTER=x"
    assert ch.run_name("figure1", "quick", {"steps": 7, "seed": 1}) == \
        ch.run_name("figure1", "quick", {"seed": 1, "steps": 7})
    assert ch.run_name("figure1", "quick", {}) != ch.run_name("figure1", "paper", {})


def test_an_unknown_name_fails_before_any_work(tree, monkeypatch, capsys):
    def never(*a, **k):
        raise AssertionError("nothing may run")

    monkeypatch.setattr(bb, "execute_chapter", never)
    monkeypatch.setattr(bb, "install_kernel", never)
    assert ch.main(args(tree, "--set", "stepz=5")) == 2
    err = capsys.readouterr().err
    assert "unknown parameter 'stepz'" in err and "steps" in err
    assert not (tree / "results").exists() and not (tree / "_build").exists()
    assert ch.main(["nope", *args(tree)[1:]]) == 2
    assert "no chapter 'nope'" in capsys.readouterr().err


def test_a_run_gets_its_own_folder_parameters_json_and_page(tree):
    assert ch.main(args(tree, "--set", "steps=7 seed=3", "--profile", "quick")) == 0
    runs = list((tree / "results" / "chapters").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("toy-")
    record = json.loads((runs[0] / "parameters.json").read_text())
    assert record["status"] == "ok" and record["seconds"] > 0
    assert record["parameters"] == {"profile": "quick", "steps": 7, "seed": 3, "name": "wine",
                                    "datasets": ["heloc"]}
    # seed=3 is the profile's own value: only steps differs from the profile
    assert record["changed"] == {"steps": {"profile": 11, "value": 7}}
    assert record["command"] == 'make chapter CHAPTER=toy SET="steps=7 seed=3"'
    assert (runs[0] / "quick" / "toy_table.csv").read_text().splitlines()[1].endswith("7,3")
    assert not (tree / "results" / "quick").exists()          # the book's folder: untouched
    page = (tree / "_build" / "chapters" / runs[0].name / "html" / "notebooks" / "toy.html")
    html = page.read_text()
    assert "How this page was built" in html and "Changed from the profile" in html
    assert "Rerun this chapter" in html and "CHAPTER</span><span class=\"o\">=</span>toy" in html

