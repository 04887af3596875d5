#!/usr/bin/env python
"""Build the book: execute every chapter with papermill, then render with Jupyter Book.

    python scripts/build_book.py [--profile quick] [--chapters elbo,mnist] [--cell-timeout S]

Steps (all output under ``_build/``, ``results/`` and ``.cache/``, which git ignores):

1. read ``_toc.yml`` (chapter order) and ``profiles/<profile>.yml`` (parameters), and check the
   profile against each chapter's single ``parameters`` cell: an unknown chapter or parameter
   stops the build before anything runs;
2. for each chapter (those others wait for first, then in toc order): ``notebooks/<stem>.py``
   (Jupytext percent format) -> ``_build/executed/<profile>/<stem>.ipynb`` executed by
   papermill with the profile's parameters plus ``profile=<name>``, on the kernel ``lapace``
   that runs *this* interpreter (``python -m ipykernel install --prefix
   _build/kernel-prefix``, found through ``JUPYTER_PATH``), with a finite per-cell timeout.
   Up to ``--jobs`` chapters run side by side (default: one per core of the machine; a
   chapter with ``n_jobs`` workers shares the cores with the other), each starting only
   after the chapters ``notebooks/depends.yml`` names for it, whose cached models it loads.
   A failing chapter is recorded and the others run. Beside each executed notebook goes
   ``<stem>.lapace.json``: profile, commit, data source, date, run time, this build's
   parameters, the "Rerun this chapter" commands (``make book``, ``make chapter``,
   ``jupytext --sync`` + ``papermill``) and the measured run times of every profile; the
   book's Sphinx extension (``book/_ext/lapace_sphinx.py``) draws the provenance banner and
   the rerun box from it under the chapter's title at render time;
3. assemble ``_build/site-src/<profile>/`` (``_config.yml``, ``_toc.yml``, ``book/``, executed
   notebooks and their ``.lapace.json``) and run ``jupyter-book build -W -n --keep-going`` on
   it into ``_build/html``;
4. write ``results/<profile>/build_times.csv`` and print a summary; exit 1 if any chapter or
   the site build failed, naming every failing chapter.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
KERNEL_NAME = "lapace"
DEFAULT_CELL_TIMEOUT = 1800  # seconds; a profile may set `_cell_timeout`
#: profile keys that are settings, not chapters: the build's, and the ones the chapters share
#: through lapace_book.experiments.profiles (each pair's training, the benchmark grid)
SETTINGS = {"_cell_timeout", "_pairs", "_grid"}


class BuildError(Exception):
    """A problem with the inputs (toc, profile, chapter sources): nothing was executed."""


# ---------------------------------------------------------------------------------------------
# toc and chapters
# ---------------------------------------------------------------------------------------------
def toc_files(toc: dict) -> list[str]:
    """Every ``file:`` entry of a jb-book toc, root first, in reading order."""
    files = [toc["root"]]

    def walk(entries: list) -> None:
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            for sub in ("sections", "chapters"):
                walk(entry.get(sub, []))
            if "parts" in entry:
                for part in entry["parts"]:
                    walk(part.get("chapters", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return files


def prune_toc(toc: dict, keep: set[str]) -> dict:
    """Copy of ``toc`` holding only the files in ``keep`` (empty parts dropped)."""
    toc = copy.deepcopy(toc)

    def prune(entries: list) -> list:
        out = []
        for entry in entries:
            if "file" in entry and entry["file"] not in keep:
                continue
            for sub in ("sections", "chapters"):
                if sub in entry:
                    entry[sub] = prune(entry[sub])
                    if not entry[sub]:
                        del entry[sub]
            out.append(entry)
        return out

    if "parts" in toc:
        parts = []
        for part in toc["parts"]:
            part["chapters"] = prune(part.get("chapters", []))
            if part["chapters"]:
                parts.append(part)
        toc["parts"] = parts
    if "chapters" in toc:
        toc["chapters"] = prune(toc["chapters"])
    return toc


def notebook_chapters(toc: dict, notebooks_dir: Path, notebooks_prefix: str = "notebooks/"
                      ) -> list[str]:
    """Stems of the toc entries under ``notebooks/``, in toc order."""
    return [f[len(notebooks_prefix):] for f in toc_files(toc) if f.startswith(notebooks_prefix)]


def parameters_cell(source: Path) -> dict[str, Any]:
    """Names and default values of the single ``parameters`` cell of a Jupytext chapter
    (:func:`lapace_book.experiments.profiles.parameters_cell`; its errors as :class:`BuildError`)."""
    from lapace_book.experiments.profiles import parameters_cell as read_cell

    try:
        return read_cell(source)
    except ValueError as err:
        raise BuildError(str(err)) from None


# ---------------------------------------------------------------------------------------------
# profiles
# ---------------------------------------------------------------------------------------------
def load_profile(path: Path) -> dict:
    """Read a profile YAML: ``{chapter stem: {parameter: value}}`` plus optional settings."""
    if not path.exists():
        known = sorted(p.stem for p in path.parent.glob("*.yml"))
        raise BuildError(f"profile {path.stem!r} not found ({path}); known profiles: {known}")
    from lapace_book.experiments.profiles import read_yaml

    try:
        data = read_yaml(path) or {}
    except ValueError as err:             # names the file, the line and the problem
        raise BuildError(str(err)) from None
    if not isinstance(data, dict):
        raise BuildError(f"{path}: a profile maps chapter names to parameter mappings")
    return data


def validate_profile(profile: dict, chapters: dict[str, dict[str, Any]], profile_name: str,
                     ) -> dict[str, dict[str, Any]]:
    """Check ``profile`` against the chapters' parameters cells.

    ``chapters`` maps each chapter stem to its parameters cell (``parameters_cell``). Returns
    ``{chapter: parameters to inject}`` with ``profile=<profile_name>`` added. Raises BuildError
    naming every problem (unknown chapter, unknown parameter, missing ``profile`` parameter).
    """
    problems = []
    for name in profile:
        if name.startswith("_"):
            if name not in SETTINGS:
                problems.append(f"unknown setting {name!r} (known: {sorted(SETTINGS)})")
        elif name not in chapters:
            problems.append(f"unknown chapter {name!r} (chapters in the toc: {sorted(chapters)})")
    out = {}
    for chapter, cell in chapters.items():
        given = profile.get(chapter) or {}
        if not isinstance(given, dict):
            problems.append(f"chapter {chapter!r}: expected a mapping of parameters, got "
                            f"{type(given).__name__}")
            continue
        if "profile" not in cell:
            problems.append(f"chapter {chapter!r}: its parameters cell must define "
                            "`profile = \"quick\"`")
        for param in given:
            if param == "profile":
                problems.append(f"chapter {chapter!r}: 'profile' is set by the build, "
                                "not by the profile file")
            elif param not in cell:
                problems.append(f"chapter {chapter!r}: unknown parameter {param!r} (its "
                                f"parameters cell defines {sorted(cell)})")
        out[chapter] = {**given, "profile": profile_name}
    if problems:
        raise BuildError(f"profile {profile_name!r}:\n  " + "\n  ".join(problems))
    return out


# ---------------------------------------------------------------------------------------------
# execution
# ---------------------------------------------------------------------------------------------
@dataclass
class ChapterRun:
    chapter: str
    status: str = "not run"  # ok | failed | missing | not run
    seconds: float = 0.0
    error: str = ""
    output: Path | None = None
    started: str = ""


@dataclass
class Provenance:
    profile: str
    commit: str
    data_source: str
    date: str
    extra: dict = field(default_factory=dict)


def install_kernel(build_dir: Path) -> Path:
    """Kernelspec ``lapace`` that runs this interpreter: ``python -m ipykernel install --prefix
    <build_dir>/kernel-prefix --name lapace``, its ``share/jupyter`` put first on
    ``JUPYTER_PATH``. Nothing is written into the virtual environment or the user's home, and no
    other ``python3`` kernelspec on the machine can be picked up by mistake."""
    prefix = (build_dir / "kernel-prefix").resolve()
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix),
         "--name", KERNEL_NAME, "--display-name", "Python (lapace)",
         # inline figures even when the caller exports MPLBACKEND=Agg (as CI does)
         "--env", "MPLBACKEND", "module://matplotlib_inline.backend_inline"],
        capture_output=True, text=True, check=True)  # its "may not be found" warning: we add it
    share = prefix / "share" / "jupyter"
    paths = [str(share)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
                            if p and p != str(share)]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)
    return share / "kernels" / KERNEL_NAME


def describe_error(err: BaseException) -> str:
    """One line naming the failing cell and exception."""
    import papermill.exceptions as pmx

    if isinstance(err, pmx.PapermillExecutionError):
        evalue = str(err.evalue).strip().splitlines()
        return (f"cell {err.cell_index} (execution count {err.exec_count}): {err.ename}: "
                f"{evalue[0] if evalue else ''}")
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"


def execute_chapter(source: Path, output: Path, parameters: dict, cell_timeout: int,
                    cwd: Path) -> None:
    """Jupytext ``source`` -> executed ``output`` (raises on a failing cell)."""
    import jupytext
    import nbformat
    import papermill

    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python (lapace)",
                                 "language": "python"}
    nb.metadata.pop("jupytext", None)
    output.parent.mkdir(parents=True, exist_ok=True)
    unexecuted = output.with_suffix(".input.ipynb")
    nbformat.write(nb, unexecuted)
    try:
        papermill.execute_notebook(
            str(unexecuted), str(output), parameters=parameters, kernel_name=KERNEL_NAME,
            cwd=str(cwd), execution_timeout=cell_timeout, progress_bar=False,
            log_output=False, report_mode=False,
        )
    finally:
        unexecuted.unlink(missing_ok=True)


def _extension():
    """The book's Sphinx extension (book/_ext/lapace_sphinx.py): it draws the boxes."""
    ext = str(REPO / "book" / "_ext")
    if ext not in sys.path:
        sys.path.insert(0, ext)
    import lapace_sphinx

    return lapace_sphinx


#: the key of the committed reference run's chapter times in :func:`measured_times`
REFERENCE_RUN = "paper (reference run)"


def measured_times(results: Path, reference: Path | None = None) -> dict[str, dict[str, float]]:
    """``{profile: {chapter: seconds}}``: each chapter's last successful run, read from every
    ``results/<profile>/build_times.csv``; a chapter the paper profile has not run here takes
    its time in the committed reference run (``reference/paper/build_times.csv``), keyed
    ``"paper (reference run)"``."""
    times: dict[str, dict[str, float]] = {}
    sources = [(path.parent.name, path) for path in sorted(results.glob("*/build_times.csv"))]
    if reference is not None and (reference / "build_times.csv").is_file():
        sources.append((REFERENCE_RUN, reference / "build_times.csv"))
    for profile, path in sources:
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("status") == "ok" and row.get("started"):
                    times.setdefault(profile, {})[row["step"]] = float(row["seconds"])
    return times


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "not measured yet"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def papermill_args(injected: dict[str, Any], defaults: dict[str, Any]) -> str:
    """``-p name value`` for what the build injects (and, if that is only ``profile``, the
    chapter's first other parameter at its default): lists and mappings go in one ``-y``."""
    import shlex

    params = dict(injected)
    if set(params) <= {"profile"}:
        first = next((k for k in defaults if k != "profile"), None)
        if first is not None:
            params[first] = defaults[first]
    scalars = {k: v for k, v in params.items() if not isinstance(v, list | dict)}
    others = {k: v for k, v in params.items() if k not in scalars}
    args = [f"-p {k} {shlex.quote(str(v))}" for k, v in scalars.items()]
    if others:
        args.append("-y " + shlex.quote(json.dumps(others)))
    return " \\\n    ".join(" ".join(args[i:i + 3]) for i in range(0, len(args), 3))


def chapter_times(stem: str, times: dict[str, dict[str, float]]) -> dict[str, float]:
    """``{profile: seconds}`` of ``stem`` from :func:`measured_times`."""
    return {p: t[stem] for p, t in times.items() if stem in t}


def change_example(defaults: dict[str, Any]) -> str:
    """The rerun box's ``make chapter`` example: ``seed`` one up where the chapter has one,
    else its first parameter besides ``profile`` at its default."""
    if isinstance(defaults.get("seed"), int) and not isinstance(defaults["seed"], bool):
        return f"seed={defaults['seed'] + 1}"
    first = next((k for k in defaults if k != "profile"), None)
    if first is None:
        return ""
    value = defaults[first]
    text = value if isinstance(value, str) and value.isidentifier() else repr(value)
    return f"{first}={text}"


def notebook_commands(stem: str, injected: dict[str, Any], defaults: dict[str, Any]) -> list[str]:
    """The Jupyter route: pair the chapter with a notebook (keeping a reader's edits), run it."""
    return [". .venv/bin/activate",
            f"jupytext --sync notebooks/{stem}.py   # makes notebooks/{stem}.ipynb, or keeps your "
            "edits of it",
            f"papermill notebooks/{stem}.ipynb {stem}-run.ipynb --cwd notebooks \\",
            f"    {papermill_args(injected, defaults)}"]


INJECTED_NOTE = ("The code cell headed `# Parameters` just below the chapter's parameters cell "
                 "was injected by papermill: it sets the values this build passed (the "
                 "profile's settings for this chapter, and `profile` itself), which override the "
                 "defaults above it.")


def page_info(stem: str, prov: Provenance, run: ChapterRun, injected: dict[str, Any],
              defaults: dict[str, Any], times: dict[str, dict[str, float]]) -> dict[str, Any]:
    """What the book's extension shows under a chapter's title (book/_ext/lapace_sphinx.py):
    provenance, run, parameters and the "Rerun this chapter" commands of a ``make book`` build."""
    change = change_example(defaults)
    make = [f"make book CHAPTERS={stem}                 # profile quick",
            f"make book CHAPTERS={stem} PROFILE=paper   # the paper's settings"]
    if change:
        make.append(f'make chapter CHAPTER={stem} SET="{change}"   # other parameters: its own '
                    "results folder and page")
    return {"chapter": stem, "profile": prov.profile, "commit": prov.commit,
            "data_source": prov.data_source, "date": prov.date,
            "run": {"status": run.status, "seconds": round(run.seconds, 2), "error": run.error},
            "parameters": injected, "changed": {}, "times": chapter_times(stem, times),
            "commands": {"make": make, "notebook": notebook_commands(stem, injected, defaults)},
            "note": INJECTED_NOTE}


def write_page_info(notebook: Path, info: dict[str, Any]) -> Path:
    """``<chapter>.lapace.json`` beside the executed notebook (the extension reads it)."""
    path = _extension().page_info_path(notebook)
    path.write_text(json.dumps(info, indent=1, default=str))
    return path


# ---------------------------------------------------------------------------------------------
# scheduling
# ---------------------------------------------------------------------------------------------
def available_cpus() -> int:
    """Cores this process may use (its affinity where the OS says, else the CPU count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def load_depends(path: Path, stems: list[str]) -> dict[str, list[str]]:
    """``notebooks/depends.yml``: chapter -> the chapters whose cached work or tables it loads
    (any chapters of the toc, in no circle: the build runs them first, whatever the toc order)."""
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise BuildError(f"{path.name} must map chapters to lists of chapters, got {type(raw).__name__}")
    for stem, deps in raw.items():
        if stem not in stems:
            raise BuildError(f"{path.name}: chapter {stem!r} is not in the toc (chapters: {stems})")
        if not isinstance(deps, list) or not all(d in stems for d in deps):
            raise BuildError(f"{path.name}: {stem}: {deps!r} must be a list of chapters of the "
                             f"toc ({stems})")
    graph = {stem: list(deps) for stem, deps in raw.items()}

    def cycle(stem: str, trail: tuple[str, ...]) -> tuple[str, ...] | None:
        if stem in trail:
            return trail[trail.index(stem):] + (stem,)
        return next((c for d in graph.get(stem, []) if (c := cycle(d, trail + (stem,)))), None)

    for stem in graph:
        if (loop := cycle(stem, ())):
            raise BuildError(f"{path.name}: chapters wait for each other: {' -> '.join(loop)}; "
                             "a chapter may wait for any other, but not in a circle")
    return graph


def chapter_cores(params: dict[str, Any], n_cpus: int) -> int:
    """Cores a chapter keeps busy: its ``n_jobs`` worker processes (joblib's convention, -1 all)
    or its ``torch_threads`` (0: torch's default, all), whichever is larger; at least 1."""
    def integer(value: Any) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    n_jobs, threads = integer(params.get("n_jobs")), integer(params.get("torch_threads"))
    workers = 1 if n_jobs is None else (n_cpus + 1 + n_jobs if n_jobs < 0 else n_jobs)
    torch_cores = 1 if threads is None else (n_cpus if threads == 0 else threads)
    cores = max(workers, torch_cores)
    return max(1, min(cores, n_cpus))


def _dependents(stem: str, stems: list[str], depends: dict[str, list[str]]) -> int:
    """How many of ``stems`` wait for ``stem``, directly or through others."""
    found, todo = set(), [stem]
    while todo:
        s = todo.pop()
        for other in stems:
            if s in depends.get(other, []) and other not in found:
                found.add(other)
                todo.append(other)
    return len(found)


def run_scheduled(stems: list[str], depends: dict[str, list[str]], cores: dict[str, int],
                  n_cpus: int, run_one) -> None:
    """Call ``run_one(stem)`` for every stem, in threads, at most ``n_cpus`` chapters side by
    side, each only after its ``depends`` among ``stems`` have finished (failed or not).

    Ready chapters start in the order of how many chapters wait for them (directly or not),
    then of ``stems``: the chapter the others load from (the tabular one) starts first, so
    that the long chain is never the last to begin.  A chapter's ``cores`` (its worker
    processes, :func:`chapter_cores`) do not hold a start back: every process runs one torch
    thread, so a chapter with workers beside another shares the cores fairly instead of
    leaving one idle while it runs a single-process part."""
    order = {s: i for i, s in enumerate(stems)}
    waiting = {s: _dependents(s, stems, depends) for s in stems}
    pending, running, done = sorted(stems, key=lambda s: (-waiting[s], order[s])), {}, set()
    with ThreadPoolExecutor(max_workers=max(1, n_cpus)) as pool:
        while pending or running:
            for stem in list(pending):
                ready = all(d in done or d not in stems for d in depends.get(stem, []))
                if ready and len(running) < max(1, n_cpus):
                    running[pool.submit(run_one, stem)] = stem
                    pending.remove(stem)
            if not running:  # cannot happen: load_depends refuses circles
                raise BuildError(f"chapters {pending} wait for each other")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done.add(running.pop(future))
                future.result()  # run_one records its failures; anything else is a bug


# ---------------------------------------------------------------------------------------------
# site
# ---------------------------------------------------------------------------------------------
def times_table(runs: list[ChapterRun]) -> str:
    lines = ["| Chapter | Status | Run time |", "|---|---|---|"]
    for r in runs:
        link = f"{{doc}}`{r.chapter} <../notebooks/{r.chapter}>`" if r.output else r.chapter
        seconds = f"{r.seconds:.1f} s" if r.status in ("ok", "failed") else "-"
        lines.append(f"| {link} | {r.status} | {seconds} |")
    lines.append(f"| **sum** | | **{sum(r.seconds for r in runs):.1f} s** |")
    return "\n".join(lines)


def assemble_site(site_src: Path, toc: dict, runs: list[ChapterRun], prov: Provenance,
                  config: Path, book_dir: Path, wall: float, n_cpus: int,
                  status: str | None = None) -> None:
    """Jupyter Book source tree: root config, toc (without chapters not built), book/, notebooks;
    ``status`` replaces the root page's reproduction-status placeholder."""
    if site_src.exists():
        shutil.rmtree(site_src)
    site_src.mkdir(parents=True)
    built = {f"notebooks/{r.chapter}" for r in runs if r.output is not None}
    # a partial build: references into the chapters left out are shown as text (book/_ext)
    conf = yaml.safe_load(config.read_text())
    conf.setdefault("sphinx", {}).setdefault("config", {})["lapace_chapters_left_out"] = [
        f for f in toc_files(toc) if f.startswith("notebooks/") and f not in built]
    (site_src / "_config.yml").write_text(yaml.safe_dump(conf, sort_keys=False))
    shutil.copytree(book_dir, site_src / "book")
    (site_src / "notebooks").mkdir()
    for r in runs:
        if r.output is not None:
            shutil.copy2(r.output, site_src / "notebooks" / f"{r.chapter}.ipynb")
            info = _extension().page_info_path(r.output)
            if info.is_file():
                shutil.copy2(info, _extension().page_info_path(
                    site_src / "notebooks" / f"{r.chapter}.ipynb"))
    keep = {f for f in toc_files(toc) if not f.startswith("notebooks/")} | built
    (site_src / "_toc.yml").write_text(yaml.safe_dump(prune_toc(toc, keep), sort_keys=False))

    root = site_src / f"{toc['root']}.md"
    if root.exists():
        text = root.read_text()
        if status is not None:
            from lapace_book.show.reproduction import PLACEHOLDER

            text = text.replace(PLACEHOLDER, status.rstrip())
        text = unlink_unbuilt(text, built)
        text = text.rstrip() + "\n\n"
        text += "## How this site was built\n\n" + _extension().banner_markdown(vars(prov), "Build") + "\n"
        text += ("Chapters are executed with papermill (the parameters of profile "
                 f"`{prov.profile}`), side by side on {n_cpus} core(s) where one does not load "
                 "another's cached models, then rendered; run times are wall-clock, each "
                 "chapter's own, and all chapters together took "
                 f"{wall:.0f} s.\n\n")
        text += times_table(runs) + "\n"
        root.write_text(text)


def unlink_unbuilt(text: str, built: set[str]) -> str:
    """``text`` with its raw HTML links into chapters that are not in ``built``
    (``notebooks/<stem>``) shown as their text: a partial build has no such page (``{doc}`` links
    have the same fallback in ``book/_ext``).
    ``<a href="../notebooks/evaluation.html#claim-x">x</a>`` → ``x``."""
    def keep_or_text(m: re.Match) -> str:
        return m.group(0) if f"notebooks/{m.group(1)}" in built else m.group(2)

    return re.sub(r'<a href="\.\./notebooks/([\w-]+)\.html(?:#[^"]*)?">(.*?)</a>', keep_or_text, text)


def build_site(site_src: Path, out_root: Path) -> tuple[int, float]:
    """``jupyter-book build`` (-W -n --keep-going) of ``site_src`` into ``out_root/_build/html``."""
    for stale in ("html", ".doctrees"):
        shutil.rmtree(out_root / "_build" / stale, ignore_errors=True)
    # the CLI of this interpreter's jupyter-book, whatever is on PATH
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build",
           str(site_src), "--path-output", str(out_root), "-W", "-n", "--keep-going"]
    print("+", " ".join(cmd), flush=True)
    start = time.perf_counter()
    rc = subprocess.call(cmd)
    return rc, time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    p.add_argument("--profile", default=os.environ.get("PROFILE") or "quick")
    p.add_argument("--chapters", default="",
                   help="comma-separated chapter stems to build (default: all in the toc)")
    p.add_argument("--cell-timeout", type=int, default=None,
                   help=f"per-cell timeout in s (default: profile's _cell_timeout, else "
                        f"{DEFAULT_CELL_TIMEOUT})")
    p.add_argument("--jobs", type=int, default=None,
                   help="cores the chapters may keep busy side by side (default: all available)")
    p.add_argument("--toc", type=Path, default=REPO / "_toc.yml")
    p.add_argument("--config", type=Path, default=REPO / "_config.yml")
    p.add_argument("--notebooks-dir", type=Path, default=REPO / "notebooks")
    p.add_argument("--book-dir", type=Path, default=REPO / "book")
    p.add_argument("--profiles-dir", type=Path, default=REPO / "profiles")
    p.add_argument("--out", type=Path, default=REPO,
                   help="folder that receives _build/ (html, executed, site-src)")
    p.add_argument("--results-dir", type=Path, default=None,
                   help="results root (default: $LAPACE_RESULTS_DIR or <repo>/results)")
    p.add_argument("--no-site", action="store_true", help="execute chapters only")
    p.add_argument("--strict", action="store_true",
                   help="fail when a chapter of the toc has no source yet (default: skip it)")
    args = p.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        p.error(f"--jobs must be at least 1 (the cores chapters may use side by side), got {args.jobs}")
    return args


def git_commit() -> str:
    sys.path.insert(0, str(REPO))
    from lapace_book.provenance import git_commit as _git_commit

    return _git_commit(REPO)


def data_source() -> str:
    from lapace_book.provenance import data_source as _data_source

    return _data_source()


#: set when the reproduction-status table could not be made (a --strict build then fails)
STATUS_FAILED: list[str] = []


def reproduction_status(results: Path, profile: str) -> str:
    """The introduction's reproduction-status table (``lapace_book.show.reproduction``), or a warning box
    saying why it could not be made (the site is still built; ``--strict`` then exits 1)."""
    try:
        from lapace_book.show.reproduction import status_table

        return status_table(results / profile, profile, REPO)
    except Exception as err:
        print(f"build_book: WARNING reproduction-status table: {describe_error(err)}", flush=True)
        STATUS_FAILED.append(describe_error(err))
        return ("```{admonition} Reproduction status unavailable\n:class: warning\n\n"
                f"The table could not be made in this build ({type(err).__name__}); "
                "`make check-reference` and the build log say more.\n```\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    build_dir = args.out / "_build"
    results = (args.results_dir or Path(os.environ.get("LAPACE_RESULTS_DIR")
                                         or REPO / "results")).resolve()
    # what the chapters' kernels inherit
    if not os.environ.get("LAPACE_CACHE_DIR"):  # the book's artefact cache
        os.environ["LAPACE_CACHE_DIR"] = str(REPO / ".cache" / "artefacts")
    os.environ["LAPACE_RESULTS_DIR"] = str(results)
    os.environ["LAPACE_PROFILE"] = args.profile
    os.environ["LAPACE_REPO_ROOT"] = str(REPO)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # chapters import the work tree's lapace, installed (editable) or not
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])

    try:
        toc = yaml.safe_load(args.toc.read_text())
        stems = notebook_chapters(toc, args.notebooks_dir)
        missing = [s for s in stems if not (args.notebooks_dir / f"{s}.py").exists()]
        if missing and args.strict:
            raise BuildError(f"chapters in {args.toc.name} without a source in "
                             f"{args.notebooks_dir}: {missing}")
        present = [s for s in stems if s not in missing]
        cells = {s: parameters_cell(args.notebooks_dir / f"{s}.py") for s in present}
        profile = load_profile(args.profiles_dir / f"{args.profile}.yml")
        # chapters without a source yet may still have (empty) entries in the profile
        for s in missing:
            cells.setdefault(s, {"profile": args.profile, **(profile.get(s) or {})})
        params = validate_profile(profile, cells, args.profile)
        depends = load_depends(args.notebooks_dir / "depends.yml", stems)
        selected = [s for s in args.chapters.replace(" ", ",").split(",") if s]
        unknown = [s for s in selected if s not in stems]
        if unknown:
            raise BuildError(f"--chapters {unknown} not in {args.toc.name} (chapters: {stems})")
    except BuildError as err:
        print(f"build_book: error: {err}", file=sys.stderr)
        return 2

    cell_timeout = args.cell_timeout or int(profile.get("_cell_timeout", DEFAULT_CELL_TIMEOUT))
    install_kernel(build_dir)
    prov = Provenance(profile=args.profile, commit=git_commit(), data_source=data_source(),
                      date=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))
    executed_dir = build_dir / "executed" / args.profile
    print(f"build_book: profile {args.profile}, commit {prov.commit}, data {prov.data_source}, "
          f"cell timeout {cell_timeout} s, kernel {sys.executable}", flush=True)

    runs = {stem: ChapterRun(stem) for stem in stems}
    to_run = []
    for stem in stems:
        if stem in missing:
            runs[stem].status, runs[stem].error = "missing", f"no source {args.notebooks_dir}/{stem}.py yet"
            print(f"build_book: WARNING chapter {stem}: {runs[stem].error}; left out of the site",
                  flush=True)
        elif not selected or stem in selected:
            to_run.append(stem)
    n_cpus = args.jobs or available_cpus()
    cores = {stem: chapter_cores({**cells[stem], **params[stem]}, n_cpus) for stem in to_run}
    lock = threading.Lock()

    def run_one(stem: str) -> None:
        run, out = runs[stem], executed_dir / f"{stem}.ipynb"
        with lock:
            print(f"build_book: [{stem}] executing on {cores[stem]} core(s) with {params[stem]}",
                  flush=True)
        run.started = datetime.now().isoformat(timespec="seconds")
        start = time.perf_counter()
        try:
            execute_chapter(args.notebooks_dir / f"{stem}.py", out, params[stem], cell_timeout,
                            cwd=args.notebooks_dir)
            run.status = "ok"
        except Exception as err:  # collect every chapter's failure, report at the end
            run.status, run.error = "failed", describe_error(err)
            with lock:
                print(f"build_book: [{stem}] FAILED: {run.error}", flush=True)
        run.seconds = time.perf_counter() - start
        if out.exists():
            run.output = out
            from lapace_book.reference import REFERENCE_DIR

            times = measured_times(results, REPO / REFERENCE_DIR)
            if run.status == "ok":
                times.setdefault(args.profile, {})[stem] = run.seconds
            write_page_info(out, page_info(stem, prov, run, params[stem], cells[stem], times))
        with lock:
            print(f"build_book: [{stem}] {run.status} in {run.seconds:.1f} s", flush=True)

    wall = time.perf_counter()
    run_scheduled(to_run, depends, cores, n_cpus, run_one)
    wall = time.perf_counter() - wall
    runs = list(runs.values())

    site_rc, site_seconds = 0, 0.0
    if not args.no_site:
        site_src = build_dir / "site-src" / args.profile
        assemble_site(site_src, toc, [r for r in runs if r.status != "not run"], prov,
                      args.config, args.book_dir, wall, n_cpus,
                      reproduction_status(results, args.profile))
        site_rc, site_seconds = build_site(site_src, args.out)

    results_profile = results / args.profile
    results_profile.mkdir(parents=True, exist_ok=True)
    earlier = {}  # a chapter this build did not run keeps its last measurement
    if (results_profile / "build_times.csv").exists():
        with open(results_profile / "build_times.csv", newline="") as fh:
            earlier = {row["step"]: row for row in csv.DictReader(fh)}
    with open(results_profile / "build_times.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["step", "status", "seconds", "started", "profile", "commit", "error"])
        for r in runs:
            old = earlier.get(r.chapter)
            if r.status == "not run" and old and old.get("status") == "ok":
                w.writerow([old[k] for k in ("step", "status", "seconds", "started", "profile",
                                             "commit", "error")])
                continue
            w.writerow([r.chapter, r.status, f"{r.seconds:.2f}", r.started, args.profile,
                        prov.commit, r.error])
        w.writerow(["chapters (wall clock)", "ok", f"{wall:.2f}", "", args.profile, prov.commit,
                    f"{len(to_run)} chapter(s) on {n_cpus} core(s)"])
        if not args.no_site:
            w.writerow(["jupyter-book build", "ok" if site_rc == 0 else f"exit {site_rc}",
                        f"{site_seconds:.2f}", "", args.profile, prov.commit, ""])

    print("\nbuild_book: summary")
    for r in runs:
        print(f"  {r.chapter:<20} {r.status:<8} {r.seconds:8.1f} s  {r.error}")
    print(f"  {'chapters, wall clock':<29} {wall:8.1f} s  ({n_cpus} core(s))")
    if not args.no_site:
        print(f"  {'jupyter-book build':<20} {'ok' if site_rc == 0 else 'FAILED':<8} "
              f"{site_seconds:8.1f} s")
        print(f"  site: {(args.out / '_build' / 'html' / 'index.html').resolve()}")
    print(f"  times: {results_profile / 'build_times.csv'}")
    failed = [r for r in runs if r.status == "failed"]
    if failed:
        print(f"\nbuild_book: {len(failed)} chapter(s) failed:", file=sys.stderr)
        for r in failed:
            print(f"  {r.chapter}: {r.error}  (see {r.output or 'no output notebook'})",
                  file=sys.stderr)
    if site_rc:
        print(f"build_book: jupyter-book build failed (exit {site_rc})", file=sys.stderr)
    status_failed = bool(STATUS_FAILED) and args.strict
    if status_failed:
        print(f"build_book: the reproduction-status table failed: {STATUS_FAILED[0]}",
              file=sys.stderr)
    return 1 if failed or site_rc or status_failed else 0


if __name__ == "__main__":
    sys.exit(main())
