"""lapace_book.parameters: a chapter's parameters are checked before any work, whichever way
it is run (papermill, make chapter, Jupyter); the papermill route is run for real on a
throwaway chapter."""

import importlib.util
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from lapace_book import parameters as P

REPO = Path(__file__).resolve().parent.parent

TOY = '''\
# %% [markdown]
# # Toy

# %% tags=["parameters"]
profile = "quick"  # profile
steps = 11  # points on a path, range [2, 1000]
noise = 0.1  # in [0, 1]
datasets = ["heloc", "wine"]  # data sets
weights = [[1.0, 1.0], [0.5, 1]]  # pairs of weights
longer = 150  # epoch budget of the check (None: skip)
recipe = True  # the paper's recipe
mapping = {{}}  # overrides

# %% tags=["remove-cell"]
from lapace_book.parameters import check_parameters; check_parameters(globals(), "toy", source={source!r})

# %%
import json, os
from lapace_book.provenance import results_dir
open("worked", "w").write("yes")
json.dump({{"results": str(results_dir(profile)), "cache": os.environ.get("LAPACE_CACHE_DIR")}},
          open("folders.json", "w"))
'''


def toy(tmp_path: Path) -> Path:
    path = tmp_path / "toy.py"
    path.write_text(TOY.format(source=str(path)))
    return path


def test_declared_parameters_read_values_and_comments(tmp_path):
    d = P.declared_parameters(toy(tmp_path))
    assert list(d) == ["profile", "steps", "noise", "datasets", "weights", "longer", "recipe",
                       "mapping"]
    assert d["steps"].default == 11 and d["steps"].range == (2.0, True, 1000.0, True)
    assert d["longer"].takes_none and not d["steps"].takes_none
    assert d["datasets"].range is None


def test_every_chapter_declares_parameters_and_checks_them_right_after():
    import jupytext

    for source in sorted((REPO / "notebooks").glob("*.py")):
        declared = P.declared_parameters(source)
        assert "profile" in declared, source.name
        nb = jupytext.read(source)
        at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        check = nb.cells[at + 1]
        assert check.source.strip() == (f"from lapace_book.parameters import check_parameters; "
                                        f'check_parameters(globals(), "{source.stem}")'), source.name
        assert "remove-cell" in check.metadata.get("tags", [])
        # every default passes its own check (a range in a comment cannot exclude it)
        P.check_values({k: v.default for k, v in declared.items()}, declared, source.stem)


@pytest.mark.parametrize("comment, expected", [
    ("points, range [2, 1000]", (2.0, True, 1000.0, True)),
    ("share, in (0, 1]", (0.0, False, 1.0, True)),
    ("range [1, ]", (1.0, True, None, True)),
    ("at least one: >= 1", (1.0, True, None, True)),
    ("> 0 and < 1", (0.0, False, 1.0, False)),
    ("tau values from 0 to 1 along each path", None),   # prose is no range
    ("0-based [start, stop) rows", None),
    ("scalars in the grid (0, max_scale]", None),
    ("PyTorch CPU threads, 0 for default (-1: all cores)", None),
])
def test_parse_range(comment, expected):
    assert P.parse_range(comment) == expected


@pytest.mark.parametrize("values, message", [
    ({"stepz": 5}, "unknown parameter 'stepz'; the parameters cell declares profile, steps"),
    ({"steps": "abc"}, "'steps' must be an int (default 11), got str 'abc'"),
    ({"steps": 7.0}, "'steps' must be an int"),
    ({"steps": True}, "'steps' must be an int"),
    ({"recipe": 1}, "'recipe' must be a bool"),
    ({"steps": 1}, "'steps' = 1 is out of its range [2, 1000]"),
    ({"noise": 1.5}, "'noise' = 1.5 is out of its range [0, 1]"),
    ({"steps": None}, "'steps' must be an int (default 11), got None"),
    ({"datasets": "heloc"}, "'datasets' must be a list"),
    ({"datasets": [1, 2]}, "'datasets' must be a list like its default"),
    ({"weights": [[1, "a"]]}, "'weights' must be a list like its default"),
    ({"mapping": []}, "'mapping' must be a mapping"),
    ({"profile": "papr"}, "'profile' = 'papr' names no file of profiles/ (known: paper, quick)"),
])
def test_check_values_names_the_problem(tmp_path, values, message):
    declared = P.declared_parameters(toy(tmp_path))
    with pytest.raises(P.ParameterError) as err:
        P.check_values(values, declared, "toy", root=REPO)
    assert message in str(err.value) and str(err.value).startswith("chapter 'toy': ")


def test_check_values_accepts_what_the_defaults_allow(tmp_path):
    declared = P.declared_parameters(toy(tmp_path))
    P.check_values({"steps": 7, "noise": 1, "datasets": ["adult"], "weights": [[1, 2]],
                    "longer": None, "recipe": False, "mapping": {"a": 1}, "profile": "paper"},
                   declared, "toy", root=REPO)


def test_check_values_lists_every_problem_and_explains_papermills_y(tmp_path):
    declared = P.declared_parameters(toy(tmp_path))
    with pytest.raises(P.ParameterError) as err:
        P.check_values({"stepz": 5, "datasets": "[heloc, adult]"}, declared, "toy",
                       route="papermill", root=REPO)
    text = str(err.value)
    assert text.startswith("chapter 'toy': 2 problems") and "'stepz'" in text
    assert "papermill's -p passes text" in text
    assert """-y '{"datasets": ["heloc", "adult"]}'""" in text   # what was meant, as YAML


def test_parse_value():
    d = {"steps": P.Declared("steps", 11), "name": P.Declared("name", "wine")}
    assert P.parse_value("7", d["steps"]) == 7 and P.parse_value("[1, 2]") == [1, 2]
    assert P.parse_value("adult", d["name"]) == "adult"        # a bare word for a string
    assert P.parse_value("'adult'", d["name"]) == "adult"
    with pytest.raises(P.ParameterError, match="'abc' is not a Python literal"):
        P.parse_value("abc", d["steps"])


def test_injected_names_read_the_cell_papermill_ran_just_before():
    ns = {"In": ["", "steps = 11", "# Parameters\nstepz = 5\nprofile = 'quick'\n", "check"],
          "stepz": 5, "profile": "quick"}
    assert P.injected_names(ns) == {"stepz": 5, "profile": "quick"}
    assert P.injected_names({"In": ["", "steps = 11", "check"]}) == {}
    assert P.injected_names({}) == {}


# ---------------------------------------------------------------------------------------------
# the papermill route, for real
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """The book's kernelspec (scripts/build_book.py's install_kernel), JUPYTER_PATH restored."""
    spec = importlib.util.spec_from_file_location("build_book", REPO / "scripts" / "build_book.py")
    bb = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_book", bb)
    spec.loader.exec_module(bb)
    saved = os.environ.get("JUPYTER_PATH")
    bb.install_kernel(tmp_path_factory.mktemp("kernel"))
    yield bb.KERNEL_NAME
    if saved is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = saved


def run_papermill(tmp_path, kernel, parameters, env=None):
    import jupytext
    import nbformat
    import papermill

    src = toy(tmp_path)
    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    nbformat.write(nb, tmp_path / "toy.ipynb")
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        papermill.execute_notebook(str(tmp_path / "toy.ipynb"), str(tmp_path / "out.ipynb"),
                                   parameters=parameters, kernel_name=kernel, cwd=str(tmp_path),
                                   progress_bar=False, execution_timeout=120)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.parametrize("parameters, message", [
    ({"stepz": 5}, "unknown parameter 'stepz'"),
    ({"steps": "abc"}, "'steps' must be an int (default 11), got str 'abc'"),
    ({"steps": 1}, "'steps' = 1 is out of its range [2, 1000]"),
    ({"datasets": "[heloc]"}, "pass a list or mapping with -y"),
])
def test_papermill_fails_before_any_work(tmp_path, kernel, parameters, message):
    import papermill.exceptions as pmx

    with pytest.raises(pmx.PapermillExecutionError) as err:
        run_papermill(tmp_path, kernel, parameters)
    assert err.value.ename == "ParameterError" and message in err.value.evalue
    assert not (tmp_path / "worked").exists()


def test_a_papermill_run_gets_its_own_results_folder_and_the_books_cache(tmp_path, kernel):
    """Without LAPACE_RESULTS_DIR a run in the repository writes to results/notebooks/<profile>/
    (never the book's results/<profile>/) and uses .cache/artefacts; set, it is kept."""
    fake = tmp_path / "repo"
    for sub in ("notebooks", "profiles"):
        (fake / sub).mkdir(parents=True)
    (fake / "profiles" / "quick.yml").write_text("{}\n")
    clear = {"LAPACE_REPO_ROOT": str(fake), "LAPACE_RESULTS_DIR": "", "LAPACE_CACHE_DIR": ""}
    run_papermill(tmp_path, kernel, {"steps": 7, "datasets": ["adult"]}, env=clear)
    folders = json.loads((tmp_path / "folders.json").read_text())
    assert folders == {"results": str(fake / "results" / "notebooks" / "quick"),
                       "cache": str(fake / ".cache" / "artefacts")}
    run_papermill(tmp_path, kernel, {}, env={**clear, "LAPACE_RESULTS_DIR": str(tmp_path / "mine"),
                                              "LAPACE_CACHE_DIR": str(tmp_path / "cache")})
    folders = json.loads((tmp_path / "folders.json").read_text())
    assert folders == {"results": str(tmp_path / "mine" / "quick"), "cache": str(tmp_path / "cache")}


def test_the_check_line_is_documented_as_written():
    doc = textwrap.dedent(P.__doc__)
    assert 'check_parameters(globals(), "figure1")' in doc
