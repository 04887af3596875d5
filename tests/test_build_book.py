"""scripts/build_book.py: profile validation, toc handling, and error collection across
chapters (two throwaway chapters executed with papermill)."""

import csv
import importlib.util
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("build_book", REPO / "scripts" / "build_book.py")
bb = importlib.util.module_from_spec(spec)
sys.modules["build_book"] = bb  # dataclasses look their module up
spec.loader.exec_module(bb)

CHAPTER = '''\
# %% [markdown]
# # {title}

# %% tags=["parameters"]
profile = "quick"  # build profile
n = 2  # a number
{extra}
# %%
{body}
'''


def write_chapter(folder: Path, stem: str, body: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.py"
    path.write_text(CHAPTER.format(title=stem.title(), body=textwrap.dedent(body), extra=extra))
    return path


def test_repo_toc_and_profiles_are_consistent():
    import yaml

    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    assert toc["format"] == "jb-book" and toc["root"] == "book/intro"
    stems = bb.notebook_chapters(toc, REPO / "notebooks")
    assert stems[:4] == ["figure1", "elbo", "mnist", "tabular"]      # Figure 1 opens the book
    assert {"actionability", "evaluation", "collapse"} <= set(stems)
    assert bb.toc_files(toc)[-1] == "book/references"
    for name in ("quick", "paper"):
        profile = bb.load_profile(REPO / "profiles" / f"{name}.yml")
        chapters = {k for k in profile if not k.startswith("_")}
        assert chapters <= set(stems), name
        assert set(k for k in profile if k.startswith("_")) <= bb.SETTINGS
        # every parameter a profile sets exists in its chapter (a stale name stops the build)
        cells = {s: bb.parameters_cell(REPO / "notebooks" / f"{s}.py") for s in stems}
        bb.validate_profile(profile, cells, name)


def test_parameters_cell(tmp_path):
    src = write_chapter(tmp_path, "one", "print(n)", extra="lr: float = 1e-3  # annotated\n")
    assert bb.parameters_cell(src) == {"profile": "quick", "n": 2, "lr": 1e-3}


def test_parameters_cell_must_be_unique_and_literal(tmp_path):
    src = tmp_path / "bad.py"
    src.write_text("# %%\nx = 1\n")
    with pytest.raises(bb.BuildError, match="exactly one cell tagged 'parameters'"):
        bb.parameters_cell(src)
    src = write_chapter(tmp_path, "computed", "pass", extra="m = n * 2  # not a literal\n")
    with pytest.raises(bb.BuildError, match="'m' is not a literal"):
        bb.parameters_cell(src)


def test_validate_profile_adds_profile_name():
    cells = {"elbo": {"profile": "quick", "n": 2}, "mnist": {"profile": "quick"}}
    out = bb.validate_profile({"elbo": {"n": 5}, "mnist": {}}, cells, "paper")
    assert out == {"elbo": {"n": 5, "profile": "paper"}, "mnist": {"profile": "paper"}}


def test_unknown_chapter_is_named():
    cells = {"elbo": {"profile": "quick"}}
    with pytest.raises(bb.BuildError) as err:
        bb.validate_profile({"elbo": {}, "mnsit": {"epochs": 1}}, cells, "quick")
    assert "unknown chapter 'mnsit'" in str(err.value) and "'quick'" in str(err.value)


def test_unknown_parameter_names_chapter_and_parameter():
    cells = {"elbo": {"profile": "quick", "n": 2}, "mnist": {"profile": "quick"}}
    with pytest.raises(bb.BuildError) as err:
        bb.validate_profile({"elbo": {"n": 1, "epochs": 3}, "mnist": {"lr": 0.1}}, cells, "q")
    msg = str(err.value)
    # every problem is reported, each naming the chapter and the parameter
    assert "chapter 'elbo': unknown parameter 'epochs'" in msg
    assert "chapter 'mnist': unknown parameter 'lr'" in msg


def test_profile_parameter_required_and_reserved():
    with pytest.raises(bb.BuildError, match="must define `profile"):
        bb.validate_profile({}, {"elbo": {"n": 2}}, "quick")
    with pytest.raises(bb.BuildError, match="'profile' is set by the build"):
        bb.validate_profile({"elbo": {"profile": "x"}}, {"elbo": {"profile": "q"}}, "quick")
    with pytest.raises(bb.BuildError, match="unknown setting '_timeout'"):
        bb.validate_profile({"_timeout": 3}, {}, "quick")


def test_prune_toc_drops_missing_chapters_and_empty_parts():
    toc = {"format": "jb-book", "root": "book/intro", "parts": [
        {"caption": "A", "chapters": [{"file": "notebooks/elbo"}]},
        {"caption": "B", "chapters": [{"file": "notebooks/mnist"}, {"file": "notebooks/tab"}]},
        {"caption": "C", "chapters": [{"file": "book/references"}]}]}
    pruned = bb.prune_toc(toc, {"book/intro", "notebooks/mnist", "book/references"})
    assert [p["caption"] for p in pruned["parts"]] == ["B", "C"]
    assert bb.toc_files(pruned) == ["book/intro", "notebooks/mnist", "book/references"]
    assert len(toc["parts"]) == 3  # the original is untouched


def test_errors_are_collected_across_chapters(tmp_path, monkeypatch, capsys):
    """Both chapters run although the first fails; the failure names the chapter and cell;
    the ok chapter ran on this interpreter and got its parameters and a provenance banner."""
    for var in ("LAPACE_CACHE_DIR", "LAPACE_RESULTS_DIR", "LAPACE_PROFILE", "LAPACE_REPO_ROOT",
                "JUPYTER_PATH", "PYTHONPATH"):
        monkeypatch.setenv(var, os.environ.get(var, ""))  # restored after the test
    nbdir = tmp_path / "notebooks"
    write_chapter(nbdir, "broken", "raise ValueError(f'boom {n}')")
    write_chapter(nbdir, "fine", """\
        import json, os, sys
        json.dump({"python": sys.executable, "n": n, "profile": profile,
                   "mpl": os.environ.get("MPLBACKEND")}, open("fine.json", "w"))
        """, extra="n_jobs = 3  # worker processes")
    (tmp_path / "_toc.yml").write_text(textwrap.dedent("""\
        format: jb-book
        root: book/intro
        chapters:
          - file: notebooks/broken
          - file: notebooks/fine
          - file: notebooks/unwritten
        """))
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "dev.yml").write_text("_cell_timeout: 60\nfine:\n  n: 7\n")

    rc = bb.main(["--profile", "dev", "--toc", str(tmp_path / "_toc.yml"),
                  "--notebooks-dir", str(nbdir), "--profiles-dir", str(tmp_path / "profiles"),
                  "--out", str(tmp_path), "--results-dir", str(tmp_path / "results"),
                  "--no-site", "--jobs", "4"])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "[fine] executing on 3 core(s)" in out  # the chapter's own n_jobs counts
    assert "1 chapter(s) failed" in err
    assert "broken: cell" in err and "ValueError: boom 2" in err

    ran = json.loads((nbdir / "fine.json").read_text())
    assert ran == {"python": sys.executable, "n": 7, "profile": "dev",
                   "mpl": "module://matplotlib_inline.backend_inline"}

    import nbformat

    executed = tmp_path / "_build" / "executed" / "dev"
    # the kernel is ipykernel's own install, under the build folder
    spec = json.loads((tmp_path / "_build" / "kernel-prefix" / "share" / "jupyter" / "kernels"
                       / "lapace" / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable and spec["display_name"] == "Python (lapace)"
    # the executed notebook is papermill's; the page's boxes come from the JSON beside it
    fine = nbformat.read(executed / "fine.ipynb", as_version=4)
    assert not any({"provenance", "rerun"} & set(c.metadata.get("tags", [])) for c in fine.cells)
    info = json.loads((executed / "fine.lapace.json").read_text())
    assert info["profile"] == "dev" and info["run"]["status"] == "ok" and info["run"]["seconds"] > 0
    assert info["parameters"] == {"n": 7, "profile": "dev"} and info["changed"] == {}
    assert "make book CHAPTERS=fine" in info["commands"]["make"][0]
    ext = bb._extension()
    boxed = ext.insert_boxes(fine, info)
    assert boxed.cells[0].source.startswith("# Fine")
    assert "provenance" in boxed.cells[1].metadata["tags"]
    assert "`dev`" in boxed.cells[1].source and "Run time" in boxed.cells[1].source
    rerun = boxed.cells[2]  # the "Rerun this chapter" box, with this build's parameters
    assert "rerun" in rerun.metadata["tags"] and "make book CHAPTERS=fine" in rerun.source
    assert 'make chapter CHAPTER=fine SET="n=2"' in rerun.source
    assert "jupytext --sync notebooks/fine.py" in rerun.source
    assert "jupytext --to ipynb" not in rerun.source  # would overwrite a reader's edited .ipynb
    assert "-p n 7 -p profile dev" in rerun.source and "| `paper` | not measured yet |" in rerun.source
    broken = nbformat.read(executed / "broken.ipynb", as_version=4)
    broken = ext.insert_boxes(broken, json.loads((executed / "broken.lapace.json").read_text()))
    banner = [c for c in broken.cells if "provenance" in c.metadata.get("tags", [])]
    assert len(banner) == 1 and "**failed**: cell" in banner[0].source
    assert broken.cells.index(banner[0]) == 2  # papermill's error note, title, banner

    with open(tmp_path / "results" / "dev" / "build_times.csv") as fh:
        rows = {r["step"]: r for r in csv.DictReader(fh)}
    assert rows["broken"]["status"] == "failed" and rows["fine"]["status"] == "ok"
    assert rows["unwritten"]["status"] == "missing"
    assert float(rows["fine"]["seconds"]) > 0


def test_bad_profile_stops_before_running(tmp_path, capsys):
    nbdir = tmp_path / "notebooks"
    write_chapter(nbdir, "fine", "open('ran', 'w')")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/fine\n")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "dev.yml").write_text("fine:\n  epochs: 3\n")
    rc = bb.main(["--profile", "dev", "--toc", str(tmp_path / "_toc.yml"),
                  "--notebooks-dir", str(nbdir), "--profiles-dir", str(tmp_path / "profiles"),
                  "--out", str(tmp_path), "--no-site"])
    assert rc == 2
    assert "chapter 'fine': unknown parameter 'epochs'" in capsys.readouterr().err
    assert not (nbdir / "ran").exists()


def test_chapter_cores_reads_n_jobs_and_torch_threads():
    assert bb.chapter_cores({"profile": "quick"}, 2) == 1
    assert bb.chapter_cores({"n_jobs": 2}, 16) == 2
    assert bb.chapter_cores({"n_jobs": -1}, 16) == 16
    assert bb.chapter_cores({"n_jobs": -2}, 16) == 15
    assert bb.chapter_cores({"torch_threads": 0}, 16) == 16   # torch's default: all cores
    assert bb.chapter_cores({"torch_threads": 1, "n_jobs": 4}, 2) == 2  # capped at the machine


def test_load_depends_checks_names_and_order(tmp_path):
    stems = ["a", "b", "c"]
    path = tmp_path / "depends.yml"
    assert bb.load_depends(path, stems) == {}  # no file: nothing waits
    path.write_text("c: [a]\n")
    assert bb.load_depends(path, stems) == {"c": ["a"]}
    path.write_text("a: [c]\n")                  # a later chapter first: allowed
    assert bb.load_depends(path, stems) == {"a": ["c"]}
    path.write_text("a: [c]\nc: [b]\nb: [a]\n")
    with pytest.raises(bb.BuildError, match="wait for each other: a -> c -> b -> a"):
        bb.load_depends(path, stems)
    path.write_text("c: [x]\n")
    with pytest.raises(bb.BuildError, match="must be a list of chapters"):
        bb.load_depends(path, stems)
    path.write_text("x: [a]\n")
    with pytest.raises(bb.BuildError, match="'x' is not in the toc"):
        bb.load_depends(path, stems)


def test_repo_depends_file_is_valid():
    import yaml

    stems = bb.notebook_chapters(yaml.safe_load((REPO / "_toc.yml").read_text()), REPO / "notebooks")
    depends = bb.load_depends(REPO / "notebooks" / "depends.yml", stems)
    assert depends["collapse"] == ["tabular"]


def test_run_scheduled_keeps_dependencies_and_starts_the_long_chain_first():
    """At most ``n_cpus`` chapters run side by side, a dependent starts only after its
    dependency has finished (here: failed), and the chapter others wait for starts first."""
    import threading
    import time as _time

    lock, busy, log = threading.Lock(), [0], []
    cores = {"elbo": 1, "mnist": 1, "tabular": 2, "collapse": 1, "evaluation": 2}
    failed = {"tabular"}

    def run_one(stem):  # like build_book's: records a failure instead of raising
        with lock:
            busy[0] += 1
            log.append(("start", stem, busy[0]))
        _time.sleep(0.05)
        with lock:
            busy[0] -= 1
            log.append(("end", stem, busy[0] if stem not in failed else "failed"))

    stems = ["elbo", "mnist", "tabular", "collapse", "evaluation"]
    bb.run_scheduled(stems, {"collapse": ["tabular"], "evaluation": ["collapse", "tabular"]},
                     cores, 2, run_one)
    order = [(e, s) for e, s, _ in log]
    assert max(b for e, _, b in log if e == "start") <= 2       # never more than 2 chapters
    assert [s for e, s in order[:2]] == ["tabular", "elbo"]      # the long chain first, beside
    assert order.index(("end", "tabular")) < order.index(("start", "collapse"))
    assert order.index(("end", "collapse")) < order.index(("start", "evaluation"))
    assert sorted(s for e, s in order if e == "start") == sorted(stems)  # each ran once
    assert bb._dependents("tabular", stems, {"collapse": ["tabular"],
                                             "evaluation": ["collapse"]}) == 2

    def raises(stem):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):  # an unexpected error is not swallowed
        bb.run_scheduled(["tabular"], {}, {"tabular": 1}, 2, raises)


def test_the_reference_status_stays_first_and_the_intro_gets_the_status_table(tmp_path):
    """A chapter's reference-status box stays right under its title, above the build's banner
    and rerun box; the root page's placeholder becomes the reproduction-status table."""
    import nbformat

    cells = [nbformat.v4.new_markdown_cell("# Title\n\nProse."),
             nbformat.v4.new_code_cell("status", metadata={"tags": ["remove-input",
                                                                    "reference-status"]}),
             nbformat.v4.new_code_cell("n = 2", metadata={"tags": ["parameters"]})]
    path = tmp_path / "x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    prov = bb.Provenance(profile="quick", commit="abc1234", data_source="here", date="today")
    info = bb.page_info("x", prov, bb.ChapterRun("x", status="ok", seconds=1.0),
                        {"profile": "quick"}, {"profile": "quick", "n": 2}, {})
    nb = bb._extension().insert_boxes(nbformat.read(path, as_version=4), info)
    nb = bb._extension().insert_boxes(nb, info)  # boxes are replaced, never doubled
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags == [[], ["remove-input", "reference-status"], ["provenance"], ["rerun"],
                    ["parameters", "hide-input"]]    # folded: the rerun box lists them

    from lapace_book.show.reproduction import PLACEHOLDER

    book = tmp_path / "book"
    book.mkdir()
    (book / "intro.md").write_text(f"# Intro\n\n## Reproduction status\n\n{PLACEHOLDER}\n")
    toc = {"format": "jb-book", "root": "book/intro"}
    site = tmp_path / "site"
    bb.assemble_site(site, toc, [], prov, REPO / "_config.yml", book, 1.0, 2,
                     status='| the status table | claim <a href="../notebooks/evaluation.html'
                            '#claim-runtime_last">runtime last</a> |')
    intro = (site / "book" / "intro.md").read_text()
    assert "## Reproduction status\n\n| the status table |" in intro and PLACEHOLDER not in intro
    # the evaluation chapter is not built here: its anchor is shown as text, not a dead link
    assert "| claim runtime last |" in intro and "<a href" not in intro
    kept = bb.unlink_unbuilt('<a href="../notebooks/evaluation.html#claim-x">x</a> and '
                             '<a href="../notebooks/mnist.html">m</a>', {"notebooks/evaluation"})
    assert kept == '<a href="../notebooks/evaluation.html#claim-x">x</a> and m'
    assert "## How this site was built" in intro


def test_rerun_box_takes_the_paper_time_from_the_reference_run_when_not_run_here(tmp_path):
    header = "step,status,seconds,started,profile,commit,error\n"
    (tmp_path / "results" / "quick").mkdir(parents=True)
    (tmp_path / "results" / "quick" / "build_times.csv").write_text(
        header + "ch,ok,12.0,2026-01-01T00:00:00,quick,abc,\n")
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "build_times.csv").write_text(
        header + "ch,ok,600.0,2026-01-01T00:00:00,paper,abc,\n"
        "other,failed,5.0,2026-01-01T00:00:00,paper,abc,boom\n")
    times = bb.measured_times(tmp_path / "results", tmp_path / "reference")
    assert times == {"quick": {"ch": 12.0}, bb.REFERENCE_RUN: {"ch": 600.0}}
    ext = bb._extension()

    def box(stem):
        return ext.rerun_markdown({"profile": "quick", "times": bb.chapter_times(stem, times),
                                   "commands": {"make": ["make book"]}})

    assert "| `quick` | 12 s |" in box("ch") and "| `paper` | 10.0 min (the reference run) |" in box("ch")
    assert "| `paper` | not measured yet |" in box("other")
    times["paper"] = {"ch": 630.0}                 # a paper build here wins over the reference
    assert "| `paper` | 10.5 min |" in box("ch")


def test_the_extension_inserts_the_boxes_at_render_time(tmp_path):
    """source-read: a notebook with ``<stem>.lapace.json`` beside it gets the banner (with the
    parameters a ``make chapter`` run changed) and the rerun box; one without is left alone."""
    import nbformat

    ext = bb._extension()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"),
                                         nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "notebooks" / "ch.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    info = {"profile": "quick", "commit": "abc", "data_source": "d", "date": "today",
            "run": {"status": "ok", "seconds": 3.0, "error": ""},
            "changed": {"steps": [11, 7]}, "times": {"quick": 3.0},
            "commands": {"make": ['make chapter CHAPTER=ch SET="steps=7"'], "notebook": []}}
    (tmp_path / "notebooks" / "ch.lapace.json").write_text(json.dumps(info))

    class Env:
        def doc2path(self, docname):
            return str(tmp_path / f"{docname}.ipynb")

    class App:
        env = Env()

    source = [path.read_text()]
    ext.add_boxes(App(), "notebooks/ch", source)
    cells = nbformat.reads(source[0], as_version=4).cells
    assert [c.metadata.get("tags", []) for c in cells] == [[], ["provenance"], ["rerun"], []]
    assert "`steps` = `7` (profile: `11`)" in cells[1].source
    assert 'make chapter CHAPTER=ch SET="steps=7"' in cells[2].source
    assert "or as a notebook" not in cells[2].source      # no notebook commands given
    untouched = [nbformat.writes(nb)]
    ext.add_boxes(App(), "notebooks/other", untouched)
    assert untouched == [nbformat.writes(nb)]


def test_change_example_and_notebook_commands():
    assert bb.change_example({"profile": "quick", "n": 2, "seed": 0}) == "seed=1"
    assert bb.change_example({"profile": "quick", "dataset": "wine"}) == "dataset=wine"
    assert bb.change_example({"profile": "quick", "w": [1, 2]}) == "w=[1, 2]"
    lines = bb.notebook_commands("ch", {"profile": "quick", "w": [1]}, {"profile": "quick"})
    assert lines[1].startswith("jupytext --sync notebooks/ch.py")
    assert "-p profile quick -y" in lines[-1] and '"w": [1]' in lines[-1]


def test_a_malformed_profile_names_the_file_and_the_line(tmp_path):
    """Issue 32: bad YAML is a BuildError naming the file, not a parser traceback."""
    from lapace_book.experiments.profiles import read_yaml

    bad = tmp_path / "broken.yml"
    bad.write_text("elbo:\n  max_epochs: 3\n seed: [1\n")
    with pytest.raises(bb.BuildError, match=r"broken.yml, line 3, column 2 is not valid YAML "
                                            r"\(.*\)\. Fix the file there"):
        bb.load_profile(bad)
    with pytest.raises(ValueError, match=r"broken.yml, line 3.*is not valid YAML"):
        read_yaml(bad)
