"""Freshness by results: the quick profile built at the reference's commit and at a later one,
every table compared.

A chapter's fingerprint (:mod:`lapace_book.reference`) changes whenever the code that decides
its results changes, even when the change gives the same numbers (a module moved, a function
rewritten, a check added). ``make recertify`` (:func:`recertify`) tells the two apart without
the 100-minute paper run: it builds the quick profile (``scripts/build_book.py --no-site``) in a
git worktree of each commit, on this machine, and compares every CSV the chapters wrote, value
for value as text, leaving out what measures time (:func:`comparable`). When every table is
identical, ``reference/paper/recertified.json`` records both commits, the date, the machine, the
tables compared and the later commit's chapter fingerprints: :func:`lapace_book.reference.check_reference`
then accepts the reference for exactly that code, *fresh by results*. When a table differs,
nothing is recorded and the tables that differ are named.

Each commit's tables are kept under ``.cache/recertify/<commit>/`` (keyed by the commit, which
decides them), so certifying the next commit builds only that one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lapace_book.reference import PROFILE, REFERENCE_DIR, load_provenance, machine_info

__all__ = ["CERTIFICATE", "QUICK", "TIMING_COLUMNS", "build_tables", "compare_tables", "comparable",
           "recertify"]

#: where a certification is recorded, beside the reference's provenance
CERTIFICATE = REFERENCE_DIR / "recertified.json"
#: the profile both commits are built with
QUICK = "quick"
#: columns that measure time (wall clock): never compared (``seconds``, ``runtime_s``, ``fit_s``,
#: ``per_input_s``, ``runtime_s_mean``, ...)
TIMING_COLUMNS = re.compile(r"(^|[_ (])(seconds|\w*_s|\w*_s_(mean|std)|time-outs|s, once|s, all methods)\b")
#: tables that only measure time
TIMING_TABLES = ("build_times.csv", "evaluation_time.csv")
#: rows of a table that a timing decides: ``{table: (column, values)}``: the per-input runtime
#: and fit time of the long table, and the claims whose verdict reads runtimes (the runtime
#: claim of each variant, Last's runtime against RobX's, and the mean rank over Figure 4's
#: metrics, runtime among them)
TIMING_ROWS = {"claims.csv": ("key", ("runtime_first", "runtime_middle", "runtime_last",
                                       "last_vs_robx_runtime", "balanced")),
               "evaluation_per_input.csv": ("metric", ("runtime_s", "fit_s"))}


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          check=True).stdout.strip()


def comparable(name: str, frame: pd.DataFrame) -> pd.DataFrame | None:
    """``frame`` (the table ``name``, read as text) without what measures time; ``None`` when the
    whole table measures time."""
    if name in TIMING_TABLES:
        return None
    frame = frame[[c for c in frame.columns if not TIMING_COLUMNS.search(str(c))]]
    if name in TIMING_ROWS:
        column, values = TIMING_ROWS[name]
        if column in frame:
            frame = frame[~frame[column].isin(values)]
    return frame.reset_index(drop=True)


def compare_tables(before: Path, after: Path) -> tuple[list[str], dict[str, str]]:
    """The CSVs of two results folders compared: ``(tables compared, {table: how it differs})``."""
    names = sorted({p.name for p in before.glob("*.csv")} | {p.name for p in after.glob("*.csv")})
    compared, differ = [], {}
    for name in names:
        a, b = before / name, after / name
        if not a.is_file() or not b.is_file():
            differ[name] = f"only in the {'later' if b.is_file() else 'reference'} commit's build"
            continue
        fa = comparable(name, pd.read_csv(a, dtype=str, keep_default_na=False))
        fb = comparable(name, pd.read_csv(b, dtype=str, keep_default_na=False))
        if fa is None:
            continue
        compared.append(name)
        if list(fa.columns) != list(fb.columns):
            differ[name] = f"columns {list(fa.columns)} -> {list(fb.columns)}"
        elif fa.shape != fb.shape:
            differ[name] = f"shape {fa.shape} -> {fb.shape}"
        elif not fa.equals(fb):
            cells = (fa != fb)
            col = cells.any().idxmax()
            row = int(cells[col].to_numpy().argmax())
            differ[name] = (f"{int(cells.to_numpy().sum())} value(s) differ, first: row {row}, "
                            f"{col!r}: {fa.at[row, col]!r} -> {fb.at[row, col]!r}")
    return compared, differ


def build_tables(root: Path, commit: str, store: Path, data_dir: str | None = None) -> dict[str, Any]:
    """The quick profile's tables at ``commit`` (built in a worktree, or kept from an earlier
    build): ``{"results": folder, "seconds": build time, "commit": full sha}``."""
    sha = _git(root, "rev-parse", f"{commit}^{{commit}}")
    home = store / sha
    done = home / "done.json"
    if done.is_file():
        record = json.loads(done.read_text())
        print(f"recertify: {sha[:7]}: the tables of an earlier build ({home})", flush=True)
        return {**record, "results": home / "results" / QUICK}
    tree = home / "tree"
    if home.exists():  # an interrupted build: start again
        shutil.rmtree(home)
    _git(root, "worktree", "prune")
    home.mkdir(parents=True)
    _git(root, "worktree", "add", "--detach", str(tree), sha)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LAPACE_RESULTS_DIR")}
    env.update(LAPACE_CACHE_DIR=str(home / "artefacts"), LAPACE_RESULTS_DIR=str(home / "results"),
               MPLBACKEND="Agg")
    if data_dir:
        env["LAPACE_DATA_DIR"] = data_dir
    # a generous cell timeout: a loaded machine must not fail a build whose results are all we want
    cmd = [sys.executable, str(tree / "scripts" / "build_book.py"), "--profile", QUICK, "--no-site",
           "--cell-timeout", "7200"]
    print(f"recertify: {sha[:7]}: building the {QUICK} profile (log: {home / 'build.log'})",
          flush=True)
    start = time.perf_counter()
    with open(home / "build.log", "w") as log:
        rc = subprocess.call(cmd, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    seconds = round(time.perf_counter() - start, 1)
    fingerprints = _fingerprints(tree, env)
    _git(root, "worktree", "remove", "--force", str(tree))
    shutil.rmtree(home / "artefacts", ignore_errors=True)
    if rc:
        raise RuntimeError(f"the {QUICK} build of {sha[:7]} failed (exit {rc}); see {home / 'build.log'}")
    record = {"commit": sha, "seconds": seconds, "fingerprints": fingerprints}
    done.write_text(json.dumps(record, indent=1) + "\n")
    print(f"recertify: {sha[:7]}: built in {seconds / 60:.1f} min", flush=True)
    return {**record, "results": home / "results" / QUICK}


_FINGERPRINTS = """
import json, sys
from lapace_book.reference import book_chapters, chapter_fingerprint, PROFILE
root = sys.argv[1]
out = {}
for s in book_chapters(root):
    try:
        fp = chapter_fingerprint(s, PROFILE, root)
    except Exception:
        continue
    out[s] = {"fingerprint": fp.digest, "parts": fp.parts}
print(json.dumps(out))
"""


def _fingerprints(tree: Path, env: dict[str, str]) -> dict[str, Any] | None:
    """The paper profile's chapter fingerprints of the code in ``tree`` (``None`` for a commit
    whose book has no :mod:`lapace_book`)."""
    if not (tree / "lapace_book" / "reference.py").is_file():
        return None
    out = subprocess.run([sys.executable, "-c", _FINGERPRINTS, str(tree)], cwd=tree,
                         env={**env, "PYTHONPATH": str(tree)}, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def recertify(root: Path, commit: str = "HEAD", store: Path | None = None) -> int:
    """Certify the reference for ``commit`` by results (see the module docstring): 0 certified,
    1 some tables differ, 2 no reference."""
    prov = load_provenance(root)
    if prov is None:
        print("recertify: error: there is no reference to certify (reference/paper/provenance.json "
              "is missing); make one with: make reference", file=sys.stderr)
        return 2
    store = store or root / ".cache" / "recertify"
    data_dir = os.environ.get("LAPACE_DATA_DIR")
    start = time.perf_counter()
    ref = build_tables(root, prov["commit"], store, data_dir)
    head = build_tables(root, commit, store, data_dir)
    compared, differ = compare_tables(ref["results"], head["results"])
    minutes = (time.perf_counter() - start) / 60
    if differ:
        print(f"recertify: the reference stays stale: {len(differ)} of {len(compared)} tables differ "
              f"between {ref['commit'][:7]} and {head['commit'][:7]}:", file=sys.stderr)
        for name, how in differ.items():
            print(f"  {name}: {how}", file=sys.stderr)
        return 1
    if not head.get("fingerprints"):
        print(f"recertify: error: {head['commit'][:7]} has no chapter fingerprints to record",
              file=sys.stderr)
        return 1
    certificate = {
        "reference_commit": ref["commit"], "commit": head["commit"],
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": QUICK, "machine": machine_info(),
        "build_seconds": {"reference": ref["seconds"], "commit": head["seconds"]},
        "tables": compared,
        "left_out": {"tables": list(TIMING_TABLES), "columns": TIMING_COLUMNS.pattern,
                     "rows": {k: list(v[1]) for k, v in TIMING_ROWS.items()}},
        "chapters": head["fingerprints"],
    }
    (root / CERTIFICATE).write_text(json.dumps(certificate, indent=1) + "\n")
    print(f"recertify: the reference ({PROFILE} profile, {str(prov['commit'])[:7]}) is fresh by "
          f"results for {head['commit'][:7]}: all {len(compared)} tables of the {QUICK} profile equal "
          f"({minutes:.0f} min); commit {CERTIFICATE.as_posix()}")
    return 0
