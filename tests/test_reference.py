"""The paper-scale reference run (lapace_book.reference, scripts/reference.py, lapace_book.show.reproduction):
fingerprints that follow what a chapter runs, a provenance that records everything, a check
that tells missing, incomplete, stale and fresh apart, and the boxes the pages show for each."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from lapace_book import reference as R
from lapace_book.show.reproduction import status_table
from lapace_book.show.status import status_markdown

ROOT = Path(__file__).resolve().parent.parent

CHAPTER = '''\
# %% [markdown]
# # A chapter
#
# Prose that the fingerprint ignores.

# %% tags=["parameters"]
profile = "quick"
n = 2

# %%
from lapace_book.show.text import percent
import lapace.metrics as M
from lapace import LGMVAE

print(percent(0.5), M)
'''


def fake_repo(root: Path, chapters=("ch", "other")) -> Path:
    """A repository root with a toc, chapters importing lapace_book.show.text and lapace.metrics, a paper
    profile and the paper profile's results (two tables, one above 1 MiB, and build times)."""
    (root / "notebooks").mkdir(parents=True)
    toc = "format: jb-book\nroot: book/intro\nchapters:\n" + "".join(
        f"  - file: notebooks/{c}\n" for c in chapters)
    (root / "_toc.yml").write_text(toc)
    for c in chapters:
        (root / "notebooks" / f"{c}.py").write_text(CHAPTER)
    (root / "profiles").mkdir()
    (root / "profiles" / "paper.yml").write_text(
        "_cell_timeout: 60\n_grid:\n  n_inputs: 100\nch:\n  n: 3\nother:\n  n: 4\n")
    results = root / "results" / "paper"
    results.mkdir(parents=True)
    pd.DataFrame({"key": ["validity"], "recipe": ["ours"], "claim": ["c"], "paper_says": ["p"],
                  "ours": ["paper-scale numbers"], "holds": ["yes"]}).to_csv(
        results / "claims.csv", index=False)
    big = pd.DataFrame({"input_id": range(80_000), "value": [i * 0.123 for i in range(80_000)]})
    big.to_csv(results / "evaluation_per_input.csv", index=False)
    assert (results / "evaluation_per_input.csv").stat().st_size > R.COMPRESS_ABOVE
    rows = ["step,status,seconds,started,profile,commit,error"] + [
        f"{c},ok,{60.0 * (i + 1)},2026-01-02T10:00:00,paper,abc1234," for i, c in
        enumerate(chapters)] + ["chapters (wall clock),ok,150.0,,paper,abc1234,2 chapter(s)",
                                "jupyter-book build,ok,7.0,,paper,abc1234,"]
    (results / "build_times.csv").write_text("\n".join(rows) + "\n")
    return results


def write(root: Path, results: Path, **kwargs) -> dict:
    kwargs = {"commit": "abc1234def", "created": "2026-01-02T12:00:00+00:00", **kwargs}
    return R.write_provenance(results, root / R.REFERENCE_DIR, command="make reference",
                              root=root, **kwargs)


def tamper(root: Path, edit) -> None:
    path = root / R.REFERENCE_DIR / "provenance.json"
    prov = json.loads(path.read_text())
    edit(prov)
    path.write_text(json.dumps(prov))


# ---------------------------------------------------------------------------------------------
# fingerprints
# ---------------------------------------------------------------------------------------------
_EDITS = """
import json
from pathlib import Path
from lapace_book.reference import chapter_fingerprint

root = Path.cwd()
steps = [("unrelated module", "lapace/groups/metrics.py", "\\n_AN_EDIT = 1\\n"),
         ("docstring of the L-GMVAE", "lapace/lgmvae/model.py",
          ("    Parameters\\n", "    Two more words.\\n\\n    Parameters\\n")),
         ("comment and blank lines", "lapace/lgmvae/model.py", "\\n\\n# a comment\\n"),
         ("fontsize of a figure", "lapace_book/show/plots.py", ("fontsize=", "fontsize=1 + ")),
         ("statement in the L-GMVAE", "lapace/lgmvae/model.py", "\\n_AN_EDIT = 1\\n"),
         ("imported module", "lapace/metrics.py", "\\n_AN_EDIT = 1\\n"),
         ("what an imported module imports", "lapace/validation.py", "\\n_AN_EDIT = 1\\n"),
         ("import inside a function", "lapace/metrics.py",
          "\\ndef _f():\\n    import lapace.groups.metrics\\n"),
         ("prose of the chapter", "notebooks/ch.py", "# more prose\\n"),
         ("code of the chapter", "notebooks/ch.py", "print(n)\\n"),
         ("another chapter's profile", "profiles/paper.yml", "other2:\\n  n: 5\\n")]
before, out = chapter_fingerprint("ch", root=root), {}
for name, rel, edit in steps:
    path = root / rel
    text = path.read_text()
    path.write_text(text.replace(edit[0], edit[1], 1) if isinstance(edit, tuple) else text + edit)
    assert path.read_text() != text, name
    now = chapter_fingerprint("ch", root=root)
    out[name] = now.changed(before.parts) if now.digest != before.digest else []
    before = now
print(json.dumps(out))
"""


def test_fingerprint_follows_the_code_the_chapter_runs_not_its_prose(tmp_path):
    """On a copy of both packages: a statement in a module the chapter runs (or one that module
    imports, at any depth, even inside a function) changes its fingerprint and is named;
    docstrings, comments, a figure's fontsize, an unrelated module, the chapter's prose and
    another chapter's profile section do not."""
    for package in ("lapace", "lapace_book"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    fake_repo(tmp_path)
    deps = R.chapter_modules(tmp_path / "notebooks" / "ch.py")
    assert {"lapace.metrics", "lapace.validation", "lapace.lgmvae.model"} <= set(deps)
    assert "lapace_book.show.text" not in deps and "lapace.groups.metrics" not in deps
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "LAPACE_REPO_ROOT": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", _EDITS], env=env, cwd=tmp_path, check=True,
                         capture_output=True, text=True)
    changed = json.loads(out.stdout.strip().splitlines()[-1])
    assert changed == {"unrelated module": [], "docstring of the L-GMVAE": [],
                       "comment and blank lines": [], "fontsize of a figure": [],
                       "statement in the L-GMVAE": ["lapace.lgmvae.model"],
                       "imported module": ["lapace.metrics"],
                       "what an imported module imports": ["lapace.validation"],
                       "import inside a function": ["lapace.groups.metrics", "lapace.metrics"],
                       "prose of the chapter": [], "code of the chapter": ["notebooks/ch.py"],
                       "another chapter's profile": []}


def test_fingerprint_parts(tmp_path):
    fake_repo(tmp_path)
    (tmp_path / "notebooks" / "front.py").write_text("from lapace import LGMVAE\n")
    (tmp_path / "notebooks" / "depends.yml").write_text("ch: [front]\n")
    front = R.chapter_modules(tmp_path / "notebooks" / "front.py")
    # the front door: what lapace/__init__.py imports, never the book
    assert "lapace" in front and "lapace.lgmvae.model" in front
    assert not any(m.startswith("lapace_book") for m in front)
    parts = R.chapter_fingerprint("ch", root=tmp_path).parts
    assert "notebooks/front.py" in parts and "lapace.lgmvae.model" in parts  # depends.yml's chapter
    assert "profiles/paper.yml: ch" in parts and "profiles/paper.yml: shared settings" in parts
    assert not any(p.startswith(("lapace_book.show", "lapace_book.cache", "lapace_book.reference"))
                   for p in parts)
    data = R.chapter_fingerprint("front", root=tmp_path).parts
    assert "lapace/data/registry.txt" in data  # lapace.data.loaders names it
    assert not any("constraint_sets" in p for p in data)
    with pytest.raises(FileNotFoundError, match="no source notebooks/absent.py"):
        R.chapter_fingerprint("absent", root=tmp_path)


# ---------------------------------------------------------------------------------------------
# writing it
# ---------------------------------------------------------------------------------------------
def test_write_provenance_records_every_field_and_compresses_large_tables(tmp_path):
    results = fake_repo(tmp_path)
    prov = write(tmp_path, results)
    folder = tmp_path / R.REFERENCE_DIR
    on_disk = json.loads((folder / "provenance.json").read_text())
    assert on_disk == prov and set(R.FIELDS) <= set(prov)
    assert prov["commit"] == "abc1234def" and prov["profile"] == "paper"
    assert prov["command"] == "make reference" and prov["total_seconds"] == 150.0
    machine = prov["machine"]
    assert machine["cores"] == os.cpu_count() and machine["cores_available"] >= 1
    assert machine["cpu"] and isinstance(machine["torch_threads"], int)
    assert set(prov["chapters"]) == {"ch", "other"}
    ch = prov["chapters"]["ch"]
    assert ch["seconds"] == 60.0 and ch["status"] == "ok"
    assert ch["fingerprint"] == R.chapter_fingerprint("ch", root=tmp_path).digest
    assert "lapace.metrics" in ch["parts"] and "lapace_book.show.text" not in ch["parts"]
    tables = prov["tables"]
    assert set(tables) == {"claims.csv", "evaluation_per_input.csv", "build_times.csv"}
    assert tables["evaluation_per_input.csv"]["file"] == "evaluation_per_input.csv.gz"
    assert not (folder / "evaluation_per_input.csv").exists()
    assert gzip.decompress((folder / "evaluation_per_input.csv.gz").read_bytes()) == (
        results / "evaluation_per_input.csv").read_bytes()
    assert (folder / "claims.csv").read_bytes() == (results / "claims.csv").read_bytes()
    big = R.reference_table("evaluation_per_input", root=tmp_path)
    assert len(big) == 80_000 and R.reference_table("claims.csv", root=tmp_path).holds[0] == "yes"
    with pytest.raises(FileNotFoundError, match="no table 'figure4'"):
        R.reference_table("figure4", root=tmp_path)
    # a second run replaces the first: the same tables give the same bytes, old files go
    (folder / "stale.csv").write_text("x\n1\n")
    again = write(tmp_path, results, total_seconds=3600)
    assert again["tables"] == tables and again["total_seconds"] == 3600
    assert not (folder / "stale.csv").exists()


def test_the_size_cap_is_a_clear_error_that_writes_nothing(tmp_path):
    results = fake_repo(tmp_path)
    assert R.MAX_BYTES == 25 * 2**20
    with pytest.raises(ValueError, match=r"over the cap of 0 MiB.*largest: "
                                         r"evaluation_per_input.csv.gz"):
        write(tmp_path, results, max_bytes=1000)
    assert not (tmp_path / R.REFERENCE_DIR).exists()
    (results / "build_times.csv").write_text("step,status,seconds,started,profile,commit,error\n")
    with pytest.raises(ValueError, match="none of the book's chapters"):
        write(tmp_path, results)


# ---------------------------------------------------------------------------------------------
# checking it, and what the pages say
# ---------------------------------------------------------------------------------------------
def test_check_tells_missing_incomplete_stale_and_fresh_apart(tmp_path):
    results = fake_repo(tmp_path)
    report = R.check_reference(tmp_path)
    assert report.missing and report.exit_code == R.MISSING == 3
    assert "No paper-scale reference run is committed yet" in report.text()
    assert "make reference" in report.text()

    write(tmp_path, results)
    report = R.check_reference(tmp_path)
    assert report.fresh and report.exit_code == 0, report.text()
    assert "is fresh" in report.text() and "2 chapters, 3 tables" in report.text()

    chapter = tmp_path / "notebooks" / "ch.py"
    chapter.write_text(chapter.read_text() + "# more prose\n")
    assert R.check_reference(tmp_path).fresh  # prose is not code
    chapter.write_text(chapter.read_text() + "print(n)\n")
    tamper(tmp_path, lambda p: p["chapters"]["other"]["parts"].update({"lapace_book.show.text": "0" * 12})
           or p["chapters"]["other"].update(fingerprint="0" * 12))
    report = R.check_reference(tmp_path)
    assert report.exit_code == R.STALE == 1
    assert report.stale == {"ch": ["notebooks/ch.py"], "other": ["lapace_book.show.text"]}
    assert "stale for 2 chapter(s)" in report.text()
    assert "other: lapace_book.show.text" in report.text() and "ch: notebooks/ch.py" in report.text()

    (tmp_path / R.REFERENCE_DIR / "claims.csv").write_text("altered\n")
    (tmp_path / R.REFERENCE_DIR / "evaluation_per_input.csv.gz").unlink()
    tamper(tmp_path, lambda p: p["chapters"].pop("other"))
    report = R.check_reference(tmp_path)
    assert report.exit_code == R.INCOMPLETE == 2
    text = report.text()
    assert "chapter other: not in the reference run" in text
    assert "evaluation_per_input.csv.gz is missing" in text and "claims.csv is not the run's" in text


def test_the_boxes_of_the_three_states(tmp_path):
    results = fake_repo(tmp_path)
    missing = status_markdown("ch", root=tmp_path, profile="quick")
    assert missing.startswith("```{admonition} Paper scale: no reference run yet\n:class: note")
    assert ("No paper-scale reference run is committed yet: the numbers on this page are the "
            "quick profile's (a live check), not the paper's scale") in missing
    assert "`make reference`" in missing and missing.rstrip().endswith("```")
    with pytest.raises(FileNotFoundError, match="make reference"):
        R.reference_label(tmp_path)

    write(tmp_path, results)
    label = R.reference_label(tmp_path)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert label == (f"paper scale — reference run of 2026-01-02, commit abc1234, 2 min on "
                     f"{cores} cores for the whole book")
    fresh = status_markdown("ch", root=tmp_path, profile="quick")
    assert fresh.startswith(f"```{{admonition}} {label} (fresh by code)\n:class: tip")

    now = R.chapter_fingerprint("ch", root=tmp_path)
    tamper(tmp_path, lambda p: p["chapters"]["ch"]["parts"].update({"lapace.metrics": "0" * 12})
           or p["chapters"]["ch"].update(fingerprint="0" * 12))
    # make recertify found the tables equal for today's code: fresh by results
    cert = {"reference_commit": "abc1234def", "commit": "fedcba9", "created": "2026-01-03T00:00:00",
            "tables": ["claims.csv"], "chapters": {"ch": {"fingerprint": now.digest, "parts": now.parts}}}
    (tmp_path / R.REFERENCE_DIR / "recertified.json").write_text(json.dumps(cert))
    report = R.check_reference(tmp_path)
    assert report.fresh and report.by_results == ["ch"] and report.exit_code == 0
    assert "1 chapter(s) by results" in report.text()
    by_results = status_markdown("ch", root=tmp_path, profile="quick")
    assert by_results.startswith(f"```{{admonition}} {label} (fresh by results)\n:class: tip")
    assert "`make recertify`" in by_results and "fedcba9" in by_results
    # a certificate of another reference run certifies nothing
    cert["reference_commit"] = "0000000"
    (tmp_path / R.REFERENCE_DIR / "recertified.json").write_text(json.dumps(cert))
    assert R.check_reference(tmp_path).stale == {"ch": ["lapace.metrics"]}
    (tmp_path / R.REFERENCE_DIR / "recertified.json").unlink()
    stale = status_markdown("ch", root=tmp_path, profile="quick")
    assert stale.startswith("```{admonition} Paper scale: the reference run is stale\n"
                            ":class: warning")
    assert "**stale**" in stale and "`lapace.metrics` changed" in stale
    assert "commit abc1234" in stale and "make reference" in stale
    assert status_markdown("other", root=tmp_path, profile="quick").startswith(
        f"```{{admonition}} {label}")  # the other chapter is still fresh
    paper = status_markdown("ch", root=tmp_path, profile="paper")
    assert "built with the paper profile itself" in paper
    for box in (missing, fresh, stale, paper):
        assert "/tmp/" not in box and str(tmp_path) not in box  # no machine path on a page


def test_scripts_reference_check_on_this_repository(capsys):
    """``make check-reference`` on the repository: a reference is committed, complete (every
    chapter of the toc, every table its provenance lists, with its SHA-256), at the paper's
    protocol. A missing or incomplete one fails the suite; a stale one is the pages' business
    (each stale chapter shows a warning, ``test_paper_scale.py``)."""
    assert (ROOT / R.REFERENCE_DIR / "provenance.json").is_file(), (
        "no paper-scale reference is committed: run `make reference` and commit reference/paper/")
    rc = load_script().main(["check"])
    out = capsys.readouterr()
    assert rc in (R.FRESH, R.STALE), out.err
    prov = R.load_provenance(ROOT)
    assert prov["profile"] == "paper" and set(prov["chapters"]) == set(R.book_chapters(ROOT))
    assert all(c["status"] == "ok" for c in prov["chapters"].values())
    evaluation = R.reference_table("evaluation", ROOT)
    assert len(evaluation.groupby(["dataset", "classifier"])) == 8
    assert set(evaluation.repetition) == {0, 1, 2, 3, 4}
    assert {"LAPACE-First", "LAPACE-paper-First", "NNCE", "DiCE"} <= set(evaluation.method)
    # every method explains every input of every repetition: 100, fewer only where the data
    # has fewer (compas-NN predicts 0 on 55 test inputs)
    per_pair = evaluation.groupby(["dataset", "classifier"]).n_inputs
    assert (evaluation.n_inputs == per_pair.transform("max")).all()
    assert (per_pair.max() == 100).sum() >= 7 and per_pair.max().min() >= 50


def load_script():
    spec = importlib.util.spec_from_file_location("reference_script",
                                                  ROOT / "scripts" / "reference.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_scripts_reference_make(tmp_path, monkeypatch, capsys):
    """``make reference`` with the paper build replaced by one that writes the tables: it
    refuses a dirty tree, empties results/paper/ first, writes the reference from the build's
    tables, and leaves it alone when the build fails."""
    script = load_script()
    fake_repo(tmp_path)
    made = tmp_path / "made"
    made.mkdir()
    for f in (tmp_path / "results" / "paper").iterdir():
        shutil.move(f, made / f.name)  # what the build will write
    (tmp_path / "results" / "paper" / "left_over.csv").write_text("x\n1\n")
    calls = []

    def build(cmd, cwd=None):
        calls.append(cmd)
        shutil.copytree(made, tmp_path / "results" / "paper", dirs_exist_ok=True)
        return 0

    monkeypatch.setattr(script, "REPO", tmp_path)
    monkeypatch.delenv("LAPACE_RESULTS_DIR", raising=False)
    monkeypatch.setattr(script.subprocess, "call", build)
    monkeypatch.setattr(script, "git_commit", lambda root: "abc1234+dirty")
    assert script.main(["make"]) == 2 and not calls
    assert "uncommitted changes" in capsys.readouterr().err

    monkeypatch.setattr(script, "git_commit", lambda root: "abc1234")
    assert script.main(["make", "--jobs", "3"]) == R.FRESH
    assert calls[0][-5:] == ["--strict", "--profile", "paper", "--jobs", "3"]
    prov = R.load_provenance(tmp_path)
    assert prov["command"] == "make reference JOBS=3" and prov["commit"] == "abc1234"
    assert "left_over.csv" not in prov["tables"] and "claims.csv" in prov["tables"]
    assert "is fresh" in capsys.readouterr().out

    monkeypatch.setattr(script.subprocess, "call", lambda cmd, cwd=None: 1)
    assert script.main(["make"]) == 1
    assert "left as it was" in capsys.readouterr().err
    assert R.load_provenance(tmp_path) == prov


def test_the_reproduction_status_table(tmp_path):
    results = fake_repo(tmp_path, chapters=("ch", "evaluation"))
    live = tmp_path / "results" / "quick"
    live.mkdir()
    pd.DataFrame({"key": ["validity", "validity", "table1_tstr_gap"],
                  "recipe": ["ours", "paper", "ours"], "claim": ["c", "c", "t"],
                  "paper_says": ["All methods | always", "All methods | always", "up to 2.8%"],
                  "ours": ["quick numbers", "q", "gaps"], "holds": ["partly", "no", "no"]}
                 ).to_csv(live / "claims.csv", index=False)
    pd.DataFrame({"dataset": ["wine"] * 2, "classifier": ["rf"] * 2, "method": ["NNCE", "FACE"],
                  "repetition": [0, 0], "n_inputs": [5, 5]}).to_csv(live / "evaluation.csv",
                                                                    index=False)
    pd.DataFrame({"dataset": ["wine"] * 4, "classifier": ["rf"] * 4,
                  "recipe": ["-", "ours", "paper", "paper"],
                  "method": ["FACE-Greedy", "LAPACE-Constrained", "LAPACE-Naive",
                             "LAPACE-Constrained"], "share": [0.9, 1.0, 0.5, 0.75]}
                 ).to_csv(live / "table3.csv", index=False)
    text = status_table(live, "quick", root=tmp_path)
    assert "No paper-scale reference run is committed yet" in text
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()
            if line.startswith("| ") and "---" not in line}
    table1 = "{doc}`Table 1 <../notebooks/tabular>`: TSTR, centroid accuracy"
    validity = 'claim <a href="../notebooks/evaluation.html#claim-validity">validity</a>'
    assert {table1, "{doc}`Table 2 <../notebooks/evaluation>`: what each method addresses",
            "{doc}`Table 3 <../notebooks/actionability>`: actionability",
            "{doc}`Figure 4 <../notebooks/evaluation>`: seven metrics", validity,
            'claim <a href="../notebooks/evaluation.html#claim-table1_tstr_gap">table1 tstr gap</a>',
            "{doc}`Figure 2: paths from a 5 to the 7s <../notebooks/mnist>`"} <= set(rows)
    row = rows[validity]
    assert "All methods \\| always" in row and "quick numbers" in row
    assert "not yet run" in row and "partly; paper's recipe: no (quick)" in row
    assert "| not yet run / 1×5×1 |" in row
    assert "TSTR gap on heloc/wine at most +2.9 pp (its text: 2.8%)" in rows[table1]
    table3 = rows["{doc}`Table 3 <../notebooks/actionability>`: actionability"]
    assert ("LAPACE-Constrained 100% (paper's recipe 75%), best FACE 90% (1 pairs)"
            in table3), table3
    assert "not yet run / not built" in rows[table1]

    write(tmp_path, results)
    text = status_table(live, "quick", root=tmp_path)
    assert "paper scale — reference run of 2026-01-02" in text
    row = [ln for ln in text.splitlines() if ln.startswith(f"| {validity}")][0]
    assert "paper-scale numbers" in row and "| yes (paper scale) |" in row
    assert "table1_tstr_gap" not in text  # rows follow the reference's claims once there is one
    assert "stale" not in text and "Every chapter's code is the one that made it" in text
    tamper(tmp_path, lambda p: p["chapters"]["evaluation"].update(fingerprint="0" * 12))
    text = status_table(live, "quick", root=tmp_path)
    assert "**stale** for evaluation" in text and "| paper-scale numbers (stale) |" in text


def test_chapters_open_with_the_reference_status():
    for path in sorted((ROOT / "notebooks").glob("*.py")):
        cells = path.read_text().split("\n# %%")
        assert re.match(r" \[markdown\]\n(# \(\S+\)=\n)?# # ", cells[1]), path.stem  # the title

        status = textwrap.dedent(cells[2])
        assert status.startswith(' tags=["remove-input", "reference-status"]'), path.stem
        assert f'show("{path.stem}")' in status, path.stem
        assert cells[3].startswith(' tags=["parameters"]'), path.stem


def test_recertify_compares_tables_value_for_value_leaving_out_time(tmp_path):
    from lapace_book.recertify import compare_tables

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for folder, runtime, seconds in ((a, "0.5", "10"), (b, "0.7", "12")):
        (folder / "evaluation.csv").write_text(f"method,validity,runtime_s\nNNCE,1.0,{runtime}\n")
        (folder / "build_times.csv").write_text(f"step,seconds\nch,{seconds}\n")
        verdict = "yes" if runtime == "0.5" else "no"
        (folder / "claims.csv").write_text(f"key,holds\nvalidity,yes\nruntime_first,{verdict}\n")
    compared, differ = compare_tables(a, b)
    assert compared == ["claims.csv", "evaluation.csv"] and differ == {}
    (b / "evaluation.csv").write_text("method,validity,runtime_s\nNNCE,1.00,0.5\n")  # text, not value
    (b / "extra.csv").write_text("x\n1\n")
    compared, differ = compare_tables(a, b)
    assert "'1.0' -> '1.00'" in differ["evaluation.csv"]
    assert differ["extra.csv"] == "only in the later commit's build"


@pytest.mark.parametrize("content, problem", [
    ("{\"commit\": \"abc\",",
     r"provenance.json is not a JSON object: JSONDecodeError\(.*line 1.*\): restore it"),
    ("[1, 2]", r"provenance.json is not a JSON object: \[1, 2\]: restore it"),
    ("", r"provenance.json is not a JSON object: JSONDecodeError"),
    ({"tables": {"claims.csv": {"sha256": "0"}}}, r"has a table 'claims.csv' without its 'file'"),
    ({"tables": ["claims.csv"]}, r"has 'tables' of the wrong type: \['claims.csv'\]"),
    ({"chapters": {"ch": "ok"}}, r"has a chapter 'ch' without its 'fingerprint': 'ok'"),
    ({"profile": ["paper"]}, r"has 'profile' of the wrong type"),
    ({"total_seconds": "long"}, r"has 'total_seconds' of the wrong type: 'long'"),
])
def test_a_malformed_provenance_is_incomplete_not_stale(tmp_path, content, problem):
    """Issue 32: a broken provenance.json is reported (exit 2, naming the problem), no traceback."""
    results = fake_repo(tmp_path)
    write(tmp_path, results)
    path = tmp_path / R.REFERENCE_DIR / "provenance.json"
    if isinstance(content, dict):
        tamper(tmp_path, lambda p: p.update(content))
    else:
        path.write_text(content)
    report = R.check_reference(tmp_path)
    assert report.exit_code == R.INCOMPLETE == 2
    assert re.search(problem, report.text()), report.text()
    box = status_markdown("ch", root=tmp_path, profile="quick")
    assert "is incomplete" in box and re.search(problem, box)
