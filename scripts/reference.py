#!/usr/bin/env python
"""Make or check the paper-scale reference run (reference/paper/; see reference/README.md).

    python scripts/reference.py make [--jobs N] [--allow-dirty]   # make reference
    python scripts/reference.py check                             # make check-reference
    python scripts/reference.py recertify [--commit HEAD]         # make recertify

``make`` takes each chapter's code fingerprint, empties ``results/paper/``, runs
``scripts/build_book.py --strict --profile paper`` (hours), checks that the code did not change
meanwhile, and copies the tables with their provenance into ``reference/paper/``
(``lapace_book.reference.write_provenance``). It refuses a work tree with uncommitted changes to
tracked files (the reference names a commit; ``--allow-dirty`` records ``<sha>+dirty``) and
keeps the old reference when the build fails.

``check`` prints what ``lapace_book.reference.check_reference`` found and exits 0 when every
chapter's recorded fingerprint matches the current code, 1 when some are stale (naming the
chapters and the modules that changed), 2 when the reference is incomplete, 3 when there is
none.

``recertify`` builds the quick profile at the reference's commit and at ``--commit`` (a git
worktree each, on this machine), compares every table (timing aside) and, when all are equal,
records in ``reference/paper/recertified.json`` that the reference is fresh *by results* for that
commit's code (``lapace_book.recertify``); exit 0 certified, 1 tables differ, 2 no reference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lapace_book import reference  # noqa: E402
from lapace_book.provenance import git_commit  # noqa: E402


def make(args: argparse.Namespace) -> int:
    commit = git_commit(REPO)
    if commit.endswith("+dirty") and not args.allow_dirty:
        print("reference: error: the work tree has uncommitted changes to tracked files; a "
              "reference names the commit that made it. Commit first (or pass --allow-dirty).",
              file=sys.stderr)
        return 2
    chapters = [s for s in reference.book_chapters(REPO)
                if (REPO / "notebooks" / f"{s}.py").is_file()]
    before = {s: reference.chapter_fingerprint(s, reference.PROFILE, REPO) for s in chapters}
    results = Path(os.environ.get("LAPACE_RESULTS_DIR") or REPO / "results").resolve()
    paper = results / reference.PROFILE
    if paper.exists():  # every table of the reference comes from this run
        print(f"reference: emptying {paper.relative_to(REPO) if paper.is_relative_to(REPO) else paper}",
              flush=True)
        shutil.rmtree(paper)
    cmd = [sys.executable, str(REPO / "scripts" / "build_book.py"), "--strict", "--profile",
           reference.PROFILE] + (["--jobs", str(args.jobs)] if args.jobs else [])
    print("+", " ".join(cmd), flush=True)
    start = time.perf_counter()
    rc = subprocess.call(cmd, cwd=REPO)
    seconds = time.perf_counter() - start
    if rc:
        print(f"reference: the paper build failed (exit {rc}) after {seconds / 60:.0f} min; "
              "reference/paper/ is left as it was.", file=sys.stderr)
        return 1
    after = {s: reference.chapter_fingerprint(s, reference.PROFILE, REPO) for s in chapters}
    moved = {s: after[s].changed(before[s].parts) for s in chapters if after[s] != before[s]}
    if moved:
        print("reference: error: the code changed while the paper build ran, so its results "
              "match no single version:\n" + "\n".join(f"  {s}: {', '.join(p)}"
                                                       for s, p in moved.items()),
              file=sys.stderr)
        return 1
    prov = reference.write_provenance(paper, REPO / reference.REFERENCE_DIR,
                                      command="make reference" + (
                                          f" JOBS={args.jobs}" if args.jobs else ""),
                                      fingerprints=before,
                                      commit=commit, total_seconds=seconds, root=REPO)
    size = sum(t["bytes"] for t in prov["tables"].values())
    print(f"reference: {len(prov['tables'])} tables ({size / 2**20:.1f} MiB) and provenance.json "
          f"written to {reference.REFERENCE_DIR.as_posix()}/ ({seconds / 60:.0f} min); "
          f"commit them: git add {reference.REFERENCE_DIR.as_posix()}")
    return check(args)


def check(args: argparse.Namespace) -> int:
    report = reference.check_reference(REPO)
    print(report.text(), file=sys.stdout if report.fresh else sys.stderr)
    return report.exit_code


def recertify(args: argparse.Namespace) -> int:
    from lapace_book.recertify import recertify as run

    try:
        return run(REPO, args.commit)
    except (RuntimeError, subprocess.CalledProcessError) as err:
        print(f"recertify: error: {err}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make", help="run the paper profile and write reference/paper/")
    m.add_argument("--jobs", type=int, default=None,
                   help="cores the chapters may keep busy side by side (default: all)")
    m.add_argument("--allow-dirty", action="store_true",
                   help="make it from a work tree with uncommitted changes")
    sub.add_parser("check", help="is reference/paper/ complete and made by the current code?")
    r = sub.add_parser("recertify", help="certify the reference for a later commit by results")
    r.add_argument("--commit", default="HEAD", help="the commit to certify (default: HEAD)")
    args = p.parse_args(argv)
    return {"make": make, "check": check, "recertify": recertify}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
