#!/usr/bin/env python
"""Run one chapter with parameters of your own: its own results folder, its own page.

    make chapter CHAPTER=figure1 SET="seed=1 steps=7" [PROFILE=quick] [CELL_TIMEOUT=S]
    python scripts/chapter.py figure1 --set "seed=1 steps=7" [--profile quick] [--check]

1. ``SET`` is checked against the chapter's parameters cell before anything runs
   (:mod:`lapace_book.parameters`): every name must be one the cell declares (an unknown one
   is named with the valid ones), every value is read as a Python literal (``7``, ``0.5``,
   ``[1, 2]``, ``None``; a bare word where the default is a string: ``dataset=adult``) and
   must have its default's type (an int where a float is expected is fine) and lie in the
   range the cell's comment gives; ``profile`` is chosen with ``PROFILE=``;
2. the chapter runs with the profile's parameters plus these changes (papermill, the book's
   kernel and artefact cache ``.cache/artefacts``), into
   ``results/chapters/<chapter>-<hash>/`` — the hash is of the profile and the changes, so the
   same command reuses its folder and another gets its own; tables and figures go to its
   ``<profile>/`` subfolder, never into the book's ``results/<profile>/``;
3. ``parameters.json`` there records every value, which differ from the profile (and their
   profile values), the command, commit, date, run time and status;
4. that page alone is rendered (a minimal Jupyter Book: the chapter and the references) into
   ``_build/chapters/<chapter>-<hash>/html/``, its banner listing the changed parameters and
   its "Rerun this chapter" box this command.

Exit status: 0 ok, 1 the chapter or its page failed, 2 bad input (nothing was run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_book as bb  # noqa: E402

REPO = bb.REPO
sys.path.insert(0, str(REPO))
from lapace_book.parameters import (  # noqa: E402
    Declared,
    ParameterError,
    declared_parameters,
    parse_value,
    report,
    value_problems,
)


def parse_set(text: str, declared: dict[str, Declared], chapter: str = "") -> dict[str, Any]:
    """``"seed=1 steps=7"`` -> ``{"seed": 1, "steps": 7}`` (shell words, each ``name=value``),
    checked against ``declared`` (:func:`lapace_book.parameters.check_values`). Raises one
    :class:`ParameterError` naming every problem: a word that is not ``name=value``, an unknown
    name, a value that is no literal, of the wrong type or out of range, ``profile``."""
    problems, values = [], {}
    try:
        words = shlex.split(text or "")
    except ValueError as err:
        raise ParameterError(f"SET={text!r} cannot be split into words: {err}") from None
    for word in words:
        name, eq, raw = word.partition("=")
        name = name.strip()
        if not eq or not name.isidentifier():
            problems.append(f"{word!r} is not name=value")
        elif name == "profile":
            problems.append("'profile' is not set with SET: use PROFILE=<name> (make) or --profile")
        elif name not in declared:
            values[name] = raw  # reported as unknown by value_problems, with the valid names
        else:
            try:
                values[name] = parse_value(raw, declared[name])
            except ParameterError as err:
                problems.append(str(err))
    problems += value_problems(values, declared, route="make")
    report(problems, chapter)
    return values


def set_text(changes: dict[str, Any]) -> str:
    """The ``SET`` words of ``changes`` as a reader would type them."""
    def one(value: Any) -> str:
        return value if isinstance(value, str) and value.isidentifier() else repr(value)

    return " ".join(f"{k}={one(v)}" for k, v in changes.items())


def make_command(stem: str, changes: dict[str, Any], profile: str) -> str:
    """``make chapter CHAPTER=<stem> SET="..." [PROFILE=...]``."""
    words = set_text(changes)
    quoted = f'"{words}"' if not any(c in words for c in '"$`\\') else shlex.quote(words)
    cmd = f"make chapter CHAPTER={stem}" + (f" SET={quoted}" if words else "")
    return cmd + (f" PROFILE={profile}" if profile != "quick" else "")


def run_name(stem: str, profile: str, changes: dict[str, Any]) -> str:
    """``<stem>-<8 hex>``: the hash of the profile and the changes (sorted)."""
    key = json.dumps({"profile": profile, "changes": changes}, sort_keys=True, default=repr)
    return f"{stem}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    p.add_argument("chapter", nargs="?", default="", help="the chapter's stem (notebooks/<stem>.py)")
    p.add_argument("--set", default="", help='changed parameters, e.g. "seed=1 steps=7"')
    p.add_argument("--profile", default=os.environ.get("PROFILE") or "quick")
    p.add_argument("--cell-timeout", type=int, default=None)
    p.add_argument("--check", action="store_true",
                   help="check the chapter and SET, print the plan, run nothing")
    p.add_argument("--no-site", action="store_true", help="execute only, render no page")
    p.add_argument("--toc", type=Path, default=REPO / "_toc.yml")
    p.add_argument("--config", type=Path, default=REPO / "_config.yml")
    p.add_argument("--notebooks-dir", type=Path, default=REPO / "notebooks")
    p.add_argument("--book-dir", type=Path, default=REPO / "book")
    p.add_argument("--profiles-dir", type=Path, default=REPO / "profiles")
    p.add_argument("--results-root", type=Path, default=REPO / "results" / "chapters",
                   help="parent of the run's results folder (default: results/chapters)")
    p.add_argument("--out", type=Path, default=REPO / "_build" / "chapters",
                   help="parent of the run's page folder (default: _build/chapters)")
    return p.parse_args(argv)


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """Everything checked, nothing run: raises :class:`bb.BuildError` / :class:`ParameterError`."""
    toc = yaml.safe_load(args.toc.read_text())
    stems = [s for s in bb.notebook_chapters(toc, args.notebooks_dir)
             if (args.notebooks_dir / f"{s}.py").is_file()]
    stem = args.chapter
    if not stem:
        raise bb.BuildError(f"name a chapter: make chapter CHAPTER=<stem> (chapters: {', '.join(stems)})")
    if stem not in stems:
        raise bb.BuildError(f"no chapter {stem!r} in {args.toc.name} (chapters: {', '.join(stems)})")
    source = args.notebooks_dir / f"{stem}.py"
    try:
        declared = declared_parameters(source)
    except ValueError as err:
        raise bb.BuildError(str(err)) from None
    defaults = {k: d.default for k, d in declared.items()}
    profile = bb.load_profile(args.profiles_dir / f"{args.profile}.yml")
    injected_by_profile = bb.validate_profile({stem: profile.get(stem) or {}}, {stem: defaults},
                                              args.profile)[stem]
    changes = parse_set(args.set, declared, stem)
    base = {**defaults, **injected_by_profile}
    injected = {**injected_by_profile, **changes}
    changed = {k: [base[k], v] for k, v in changes.items() if v != base[k]}
    name = run_name(stem, args.profile, changes)
    results = (args.results_root / name).resolve()
    if results == (REPO / "results" / args.profile).resolve():
        raise bb.BuildError(f"{results} is the book's results folder; choose another --results-root")
    return {"chapter": stem, "source": source, "profile": args.profile, "defaults": defaults,
            "cell_timeout": args.cell_timeout or int(profile.get("_cell_timeout",
                                                                  bb.DEFAULT_CELL_TIMEOUT)),
            "changes": changes, "changed": changed, "injected": injected,
            "parameters": {**defaults, **injected}, "name": name, "results": results,
            "page": (args.out / name).resolve(), "toc": toc,
            "command": make_command(stem, changes, args.profile)}


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=repr) + "\n")


def page_info(p: dict[str, Any], prov: bb.Provenance, run: bb.ChapterRun) -> dict[str, Any]:
    """The banner and rerun box of the run's page (book/_ext/lapace_sphinx.py draws them)."""
    stem = p["chapter"]
    return {"chapter": stem, "profile": prov.profile, "commit": prov.commit,
            "data_source": prov.data_source, "date": prov.date,
            "run": {"status": run.status, "seconds": round(run.seconds, 2), "error": run.error},
            "parameters": p["injected"], "changed": p["changed"],
            "times": {prov.profile: round(run.seconds, 2)} if run.status == "ok" else {},
            "commands": {
                "make": [f"{p['command']}   # this page",
                         f"make book CHAPTERS={stem}   # the book's page (profile quick)"],
                "notebook": bb.notebook_commands(stem, p["injected"], p["defaults"])},
            "note": (f"This page's tables and figures are in `results/chapters/{p['name']}/`, "
                     "with `parameters.json` (every value, and which differ from the profile); "
                     "the book's own results are not touched.")}


def render(p: dict[str, Any], args: argparse.Namespace, notebook: Path) -> int:
    """A Jupyter Book of the chapter alone (and the references it cites) into ``<page>/html``."""
    site_src, stem = p["page"] / "site-src", p["chapter"]
    if site_src.exists():
        shutil.rmtree(site_src)
    (site_src / "notebooks").mkdir(parents=True)
    conf = yaml.safe_load(args.config.read_text())
    conf["title"] = f"{conf.get('title', '')}: {stem} ({p['name']})"
    others = [f for f in bb.toc_files(p["toc"]) if f != f"notebooks/{stem}"]
    conf.setdefault("sphinx", {}).setdefault("config", {})["lapace_chapters_left_out"] = others
    (site_src / "_config.yml").write_text(yaml.safe_dump(conf, sort_keys=False))
    shutil.copytree(args.book_dir, site_src / "book")
    toc = {"format": "jb-book", "root": f"notebooks/{stem}"}
    if (site_src / "book" / "references.md").is_file():
        toc["chapters"] = [{"file": "book/references"}]
    (site_src / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    target = site_src / "notebooks" / f"{stem}.ipynb"
    shutil.copy2(notebook, target)
    ext = bb._extension()
    shutil.copy2(ext.page_info_path(notebook), ext.page_info_path(target))
    rc, _ = bb.build_site(site_src, p["page"])
    html = p["page"] / "html"
    if html.exists():
        shutil.rmtree(html)
    if (p["page"] / "_build" / "html").is_dir():
        shutil.move(p["page"] / "_build" / "html", html)
    return rc


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        p = plan(args)
    except (bb.BuildError, ParameterError) as err:
        print(f"chapter: error: {err}", file=sys.stderr)
        return 2
    print(f"chapter: {p['chapter']} with profile {p['profile']}"
          + (f", changed {set_text({k: v for k, (_, v) in p['changed'].items()})}"
             if p["changed"] else ", nothing changed") + f" -> {p['results']}", flush=True)
    if args.check:
        print(json.dumps({k: p[k] for k in ("chapter", "profile", "changes", "changed", "name",
                                             "command")}, default=repr, indent=1))
        return 0

    # the chapter's kernel inherits these: its own results folder, the book's cache
    os.environ["LAPACE_RESULTS_DIR"] = str(p["results"])
    os.environ["LAPACE_PROFILE"] = p["profile"]
    if not os.environ.get("LAPACE_CACHE_DIR"):  # the book's artefact cache
        os.environ["LAPACE_CACHE_DIR"] = str(REPO / ".cache" / "artefacts")
    os.environ["LAPACE_REPO_ROOT"] = str(REPO)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(REPO)] + [x for x in os.environ.get("PYTHONPATH", "").split(os.pathsep) if x])
    bb.install_kernel(args.out.parent)  # _build/kernel-prefix, as make book's
    prov = bb.Provenance(profile=p["profile"], commit=bb.git_commit(), data_source=bb.data_source(),
                         date=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))
    record = {"chapter": p["chapter"], "profile": p["profile"], "command": p["command"],
              "commit": prov.commit, "date": prov.date, "status": "running", "seconds": None,
              "error": "", "parameters": p["parameters"],
              "changed": {k: {"profile": old, "value": new} for k, (old, new) in p["changed"].items()},
              "results": str(p["results"] / p["profile"]),
              "page": None if args.no_site else str(p["page"] / "html" / "index.html")}
    write_json(p["results"] / "parameters.json", record)

    run = bb.ChapterRun(p["chapter"], started=datetime.now().isoformat(timespec="seconds"))
    notebook = p["results"] / f"{p['chapter']}.ipynb"
    start = time.perf_counter()
    try:
        bb.execute_chapter(p["source"], notebook, p["injected"], p["cell_timeout"],
                           cwd=args.notebooks_dir)
        run.status = "ok"
    except Exception as err:
        run.status, run.error = "failed", bb.describe_error(err)
        print(f"chapter: {p['chapter']} FAILED: {run.error}", file=sys.stderr)
    run.seconds = time.perf_counter() - start
    record.update(status=run.status, seconds=round(run.seconds, 2), error=run.error)
    write_json(p["results"] / "parameters.json", record)
    site_rc = 0
    if notebook.exists():
        bb.write_page_info(notebook, page_info(p, prov, run))
        if not args.no_site:
            site_rc = render(p, args, notebook)
    print(f"chapter: {p['chapter']} {run.status} in {run.seconds:.1f} s")
    print(f"  results:    {p['results']}/ (parameters.json, {p['profile']}/)")
    if not args.no_site and notebook.exists():
        print(f"  page:       {p['page'] / 'html' / 'index.html'}"
              + ("" if site_rc == 0 else f"  (jupyter-book build failed, exit {site_rc})"))
    return 1 if run.status != "ok" or site_rc else 0


if __name__ == "__main__":
    sys.exit(main())
