"""The paper-scale reference run: what it holds, whether the code still gives it, what a page says.

``make book PROFILE=paper`` takes about 100 minutes on 2 cores, so the tables of one such run are committed:
``reference/paper/`` holds every CSV the chapters wrote to ``results/paper/`` (gzipped above
1 MiB, :data:`COMPRESS_ABOVE`; at most 25 MiB in all, :data:`MAX_BYTES`) and ``provenance.json``
with ``commit``, ``created``, ``profile``, ``machine`` (cores, CPU model, torch threads),
``chapters`` (per chapter its status, run time and the *fingerprint* of the code that produced
its results), ``tables`` (per CSV the file it is stored in, its size and SHA-256),
``total_seconds`` and ``command``.  ``make reference`` (``scripts/reference.py make``) makes
it, :func:`write_provenance` writes it, ``make check-reference`` (:func:`check_reference`)
says whether the current code still gives it, and every chapter opens with
:func:`lapace_book.show.status.status_markdown`: the run's label when it is fresh, a warning when
it is stale, a note
when there is none yet.

A chapter's fingerprint (:func:`chapter_fingerprint`) covers what decides its tables, by the
rule of :mod:`lapace_book.fingerprint` (the one the artefact cache's keys follow):

- the chapter's code, ``notebooks/<stem>.py``, as its syntax tree (the Markdown cells of a
  Jupytext chapter are comments, so prose never counts), without its *reading* cells: cells
  tagged ``reading`` only turn numbers into sentences (:mod:`lapace_book.chapter_cells`, which
  checks that they decide nothing);
- every counted module the chapter imports (anywhere in it) and everything those import, at
  any depth: the library :mod:`lapace` and the book's computations
  (:mod:`lapace_book.experiments`, :mod:`lapace_book.benchmark`), each as its syntax tree
  without docstrings; never :mod:`lapace_book.show` (presentation) or the book's plumbing;
- the package data files a counted module names (``registry.txt``, ``constraint_sets``);
- the chapter's section of ``profiles/<profile>.yml`` and the profile's shared settings
  (``_pairs``, ``_grid``; not ``_cell_timeout``, which changes no result);
- the same for the chapters ``notebooks/depends.yml`` says it loads from.

Each part is hashed on its own (:attr:`Fingerprint.parts`), so a stale chapter names what
changed. A chapter is *fresh by code* when its fingerprint is the one the reference run
recorded, and *fresh by results* when ``make recertify`` (:mod:`lapace_book.recertify`) built
the quick profile at the reference's commit and at a later commit, found every table equal and
recorded that commit's fingerprint in ``reference/paper/recertified.json``.
"""

from __future__ import annotations

import ast
import csv
import gzip
import hashlib
import json
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lapace_book.chapter_cells import computing_source
from lapace_book.fingerprint import code_digest, code_modules, counts, module_file
from lapace_book.provenance import git_commit, repo_root

__all__ = ["COMPRESS_ABOVE", "MAX_BYTES", "PROFILE", "REFERENCE_DIR", "Fingerprint",
           "Report", "book_chapters", "chapter_fingerprint", "chapter_modules", "check_reference",
           "load_certificate", "load_provenance", "machine_info", "reference_label", "reference_table",
           "write_provenance"]

#: the profile of the reference run
PROFILE = "paper"
#: where the reference lives, relative to the repository's root
REFERENCE_DIR = Path("reference") / PROFILE
#: the largest reference a commit may hold, in bytes (the issue's 25 MiB)
MAX_BYTES = 25 * 2**20
#: CSVs larger than this are stored gzipped (``<name>.csv.gz``)
COMPRESS_ABOVE = 2**20
#: profile settings that change no result
BUILD_ONLY = ("_cell_timeout",)
#: what provenance.json must hold
FIELDS = ("commit", "created", "profile", "machine", "chapters", "tables", "total_seconds",
          "command")
#: exit codes of ``scripts/reference.py check``
FRESH, STALE, INCOMPLETE, MISSING = 0, 1, 2, 3
#: how to make the reference, in words a page may show
HOW_TO_MAKE = ("`make reference` runs the paper profile (about 100 minutes on 2 cores) and "
               "writes its tables and provenance to `reference/paper/`, to be committed")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def _root(root: str | Path | None) -> Path:
    return Path(root) if root is not None else repo_root()


def _yaml(path: Path) -> Any:
    import yaml

    return yaml.safe_load(path.read_text()) or {}


# ---------------------------------------------------------------------------------------------
# fingerprints
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fingerprint:
    """``digest``: one hash of a chapter's results' code; ``parts``: ``{part: hash}``, a part
    being ``notebooks/<stem>.py``, a module (``lapace.lgmvae.model``), a package data file
    (``lapace/registry.txt``) or a profile section (``profiles/paper.yml: evaluation``)."""

    digest: str
    parts: dict[str, str]

    def changed(self, recorded: Mapping[str, str]) -> list[str]:
        """The parts whose hash differs from ``recorded`` (or that one side lacks)."""
        names = sorted(set(self.parts) | set(recorded))
        return [n for n in names if self.parts.get(n) != recorded.get(n)]


def chapter_modules(source: str | Path) -> list[str]:
    """The counted modules (:func:`lapace_book.fingerprint.counts`) the chapter ``source``
    imports anywhere, and everything they import (:func:`lapace_book.fingerprint.code_modules`)."""
    tree = ast.parse(Path(source).read_text())
    direct: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                try:
                    module_file(sub)
                    direct.add(sub)
                except FileNotFoundError:
                    direct.add(node.module)
        elif isinstance(node, ast.Import):
            direct.update(a.name for a in node.names)
    direct = {m for m in direct if counts(m)}
    return code_modules(sorted(direct)) if direct else []


def _data_files(modules: list[str]) -> dict[str, str]:
    """``{lapace/<file>: hash}`` of the package's non-Python files that one of ``modules``
    names in a string literal (its file or top folder name, e.g. ``"registry.txt"``)."""
    names: set[str] = set()
    folders: set[Path] = set()
    for mod in modules:
        path = module_file(mod)
        folders.add(path.parent)
        tree = ast.parse(path.read_text())
        names |= {n.value for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    out = {}
    for folder in sorted(folders):
        for p in sorted(folder.iterdir()):
            package = p.is_dir() and (p / "__init__.py").is_file()   # code, hashed as modules
            if p.name in names and not package and (p.is_dir() or p.suffix not in (".py", ".pyc")):
                files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
                for f in files:
                    out[f.relative_to(_package_root(folder)).as_posix()] = _digest(f.read_bytes())
    return out


def _package_root(folder: Path) -> Path:
    while (folder.parent / "__init__.py").is_file():
        folder = folder.parent
    return folder.parent


def _profile_parts(chapter: str, profile: str, root: Path) -> dict[str, str]:
    path = root / "profiles" / f"{profile}.yml"
    if not path.is_file():
        raise FileNotFoundError(f"profile {profile!r} has no file profiles/{profile}.yml")
    data = _yaml(path)
    shared = {k: v for k, v in data.items() if k.startswith("_") and k not in BUILD_ONLY}

    def h(value: Any) -> str:
        return _digest(json.dumps(value, sort_keys=True, default=str).encode())

    return {f"profiles/{profile}.yml: {chapter}": h(data.get(chapter) or {}),
            f"profiles/{profile}.yml: shared settings": h(shared)}


def chapter_fingerprint(chapter: str, profile: str = PROFILE, root: str | Path | None = None
                        ) -> Fingerprint:
    """The fingerprint of what decides ``chapter``'s results (see the module docstring)."""
    root = _root(root)
    depends_file = root / "notebooks" / "depends.yml"
    depends = _yaml(depends_file) if depends_file.is_file() else {}
    parts: dict[str, str] = {}
    todo, seen = [chapter], set()
    while todo:
        stem = todo.pop()
        if stem in seen:
            continue
        seen.add(stem)
        source = root / "notebooks" / f"{stem}.py"
        if not source.is_file():
            raise FileNotFoundError(f"chapter {stem!r} has no source notebooks/{stem}.py")
        # the chapter's computing cells: its reading cells (prose only) never count
        parts[f"notebooks/{stem}.py"] = code_digest(computing_source(source.read_text()))
        modules = chapter_modules(source)
        parts.update({mod: code_digest(module_file(mod).read_text()) for mod in modules})
        parts.update(_data_files(modules))
        parts.update(_profile_parts(stem, profile, root))
        todo.extend(depends.get(stem) or [])
    parts = dict(sorted(parts.items()))
    return Fingerprint(_digest(json.dumps(parts, sort_keys=True).encode()), parts)


def book_chapters(root: str | Path | None = None) -> list[str]:
    """The chapter stems of ``_toc.yml`` (its ``notebooks/`` entries), in reading order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            file = node.get("file")
            if isinstance(file, str) and file.startswith("notebooks/"):
                found.append(file.removeprefix("notebooks/"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(_yaml(_root(root) / "_toc.yml"))
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------------------------------------
# writing the reference
# ---------------------------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    """The machine of a run: its cores, the cores this process may use, the CPU model (from
    ``/proc/cpuinfo`` where there is one), torch's default thread count (what a chapter's
    ``torch_threads=0`` uses), the Python and torch versions and the operating system."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import torch

        threads, torch_version = torch.get_num_threads(), torch.__version__
    except ImportError:  # pragma: no cover - torch is a dependency
        threads, torch_version = None, None
    return {"cores": os.cpu_count(), "cores_available": available,
            "cpu": cpu or platform.processor() or platform.machine(), "torch_threads": threads,
            "python": platform.python_version(), "torch": torch_version,
            "system": f"{platform.system()} {platform.release()}"}


def _read_build_times(path: Path) -> tuple[dict[str, dict[str, Any]], float | None]:
    """``({step: {status, seconds, started}}, wall-clock seconds of the chapters)`` from a
    ``build_times.csv`` of ``scripts/build_book.py``."""
    if not path.is_file():
        raise FileNotFoundError(f"no build_times.csv in {path.parent.name}/: run the build "
                                "first (make reference runs it)")
    steps, wall = {}, None
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            if row["step"] == "chapters (wall clock)":
                wall = float(row["seconds"])
            steps[row["step"]] = {"status": row["status"], "seconds": float(row["seconds"]),
                                  "started": row.get("started", "")}
    return steps, wall


def _stored_tables(results_dir: Path, max_bytes: int) -> dict[str, tuple[str, bytes]]:
    """``{name.csv: (stored file name, bytes)}``: large CSVs gzipped; the cap enforced."""
    files = sorted(p for p in results_dir.glob("*.csv") if p.is_file())
    if not files:
        raise FileNotFoundError(f"{results_dir.name}/ holds no CSV: nothing to keep as the "
                                "reference (run the paper profile first: make reference)")
    stored = {}
    for path in files:
        data = path.read_bytes()
        if len(data) > COMPRESS_ABOVE:  # mtime=0: the same table gives the same bytes
            stored[path.name] = (path.name + ".gz", gzip.compress(data, mtime=0))
        else:
            stored[path.name] = (path.name, data)
    total = sum(len(data) for _, data in stored.values())
    if total > max_bytes:
        largest = sorted(stored.values(), key=lambda s: -len(s[1]))[:5]
        raise ValueError(
            f"the reference would take {total / 2**20:.1f} MiB, over the cap of "
            f"{max_bytes / 2**20:.0f} MiB that a commit may hold; largest: "
            + ", ".join(f"{name} {len(data) / 2**20:.1f} MiB" for name, data in largest)
            + ". Write fewer rows to results/paper/ (e.g. summaries instead of per-input "
            "tables), or raise lapace_book.reference.MAX_BYTES knowingly.")
    return stored


def write_provenance(results_dir: str | Path, out_dir: str | Path,
                     build_times: str | Path | Mapping[str, float] | None = None,
                     command: str = "make reference", *,
                     fingerprints: Mapping[str, Fingerprint] | None = None,
                     commit: str | None = None, total_seconds: float | None = None,
                     profile: str = PROFILE, root: str | Path | None = None,
                     created: str | None = None, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Copy every CSV of ``results_dir`` (``results/paper/``) into ``out_dir``
    (``reference/paper/``), gzipping those above :data:`COMPRESS_ABOVE`, and write
    ``provenance.json`` beside them; return its content.

    ``build_times``: ``{chapter: seconds}``, or the ``build_times.csv`` to read them from
    (default: the one in ``results_dir``); its chapters of the toc are recorded, with their
    status.  ``fingerprints``: ``{chapter: Fingerprint}`` taken when the run started (default:
    computed now).  ``total_seconds``: the whole command's time (default: the chapters' wall
    clock of ``build_times.csv``, else their sum).  Raises ``ValueError`` when the tables
    would exceed ``max_bytes``, before anything in ``out_dir`` is touched.
    """
    results_dir, out_dir, root = Path(results_dir), Path(out_dir), _root(root)
    if isinstance(build_times, Mapping):
        steps = {k: {"status": "ok", "seconds": float(v), "started": ""}
                 for k, v in build_times.items()}
        wall = None
    else:
        steps, wall = _read_build_times(Path(build_times) if build_times is not None
                                        else results_dir / "build_times.csv")
    stems = [s for s in book_chapters(root) if s in steps]
    if not stems:
        raise ValueError(f"the build times name none of the book's chapters "
                         f"({', '.join(book_chapters(root))}): nothing was run")
    stored = _stored_tables(results_dir, max_bytes)
    fingerprints = dict(fingerprints or {})
    for stem in stems:
        if stem not in fingerprints:
            fingerprints[stem] = chapter_fingerprint(stem, profile, root)
    chapters = {stem: {**steps[stem], "seconds": round(steps[stem]["seconds"], 1),
                       "fingerprint": fingerprints[stem].digest,
                       "parts": fingerprints[stem].parts} for stem in stems}
    if total_seconds is None:
        total_seconds = wall if wall is not None else sum(c["seconds"] for c in chapters.values())
    prov = {
        "profile": profile,
        "commit": commit or git_commit(root),
        "created": created or datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": command,
        "machine": machine_info(),
        "total_seconds": round(float(total_seconds), 1),
        "chapters": chapters,
        "tables": {name: {"file": file, "bytes": len(data),
                          "sha256": hashlib.sha256(data).hexdigest()}
                   for name, (file, data) in stored.items()},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob("*.csv"), *out_dir.glob("*.csv.gz"), out_dir / "provenance.json"]:
        old.unlink(missing_ok=True)
    for file, data in stored.values():
        (out_dir / file).write_bytes(data)
    (out_dir / "provenance.json").write_text(json.dumps(prov, indent=2) + "\n")
    return prov


# ---------------------------------------------------------------------------------------------
# reading and checking it
# ---------------------------------------------------------------------------------------------
def load_certificate(root: str | Path | None = None, provenance: Mapping[str, Any] | None = None
                     ) -> dict[str, Any] | None:
    """``reference/paper/recertified.json`` (:mod:`lapace_book.recertify`) when it certifies the
    committed reference (its ``reference_commit`` is the reference's commit), else ``None``."""
    path = _root(root) / REFERENCE_DIR / "recertified.json"
    if not path.is_file() or provenance is None:
        return None
    try:
        cert = json.loads(path.read_text())
    except ValueError:
        return None
    ref = str(cert.get("reference_commit", "")) if isinstance(cert, dict) else ""
    commit = str(provenance.get("commit", ""))
    if not ref or not commit or not (ref.startswith(commit) or commit.startswith(ref)):
        return None
    return cert


def load_provenance(root: str | Path | None = None) -> dict[str, Any] | None:
    """``reference/paper/provenance.json`` read (``None``: no reference; ``ValueError``: malformed)."""
    path = _root(root) / REFERENCE_DIR / "provenance.json"
    try:
        prov = json.loads(path.read_text()) if path.is_file() else None
    except (ValueError, UnicodeDecodeError) as err:
        prov = err
    if problems := ([] if prov is None else _malformed(prov)):
        raise ValueError(f"{REFERENCE_DIR.as_posix()}/provenance.json {'; '.join(problems)}: "
                         f"restore it from git or remake it: {HOW_TO_MAKE.replace('`', '')}.")
    return prov


def _malformed(prov: Any) -> list[str]:
    """What makes ``prov`` (provenance.json read, or its JSON error) unusable, naming fields."""
    if not isinstance(prov, dict):
        return [f"is not a JSON object: {prov!r:.100}"]   # a list, or json's error
    out = [f"has {k!r} of the wrong type: {prov[k]!r:.40}" for k, kind in (
        ("chapters", dict), ("tables", dict), ("machine", dict), ("profile", str),
        ("total_seconds", int | float)) if k in prov and not isinstance(prov[k], kind)]
    for group, needs in (("chapters", "fingerprint"), ("tables", "file")):
        for name, rec in (prov[group].items() if isinstance(prov.get(group), dict) else ()):
            if not isinstance(rec, dict) or not isinstance(rec.get(needs), str):
                out.append(f"has a {group[:-1]} {name!r} without its {needs!r}: {rec!r:.60}")
    return out


@dataclass
class Report:
    """What :func:`check_reference` found: ``provenance`` (``None``: no reference),
    ``problems`` (an incomplete reference: chapters without results, tables missing or
    altered, fields missing) and ``stale`` (``{chapter: the parts that changed}``)."""

    provenance: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)
    stale: dict[str, list[str]] = field(default_factory=dict)
    #: chapters whose code changed since the run but whose results ``make recertify`` found equal
    by_results: list[str] = field(default_factory=list)
    #: ``reference/paper/recertified.json`` when it certifies this reference
    certificate: dict[str, Any] | None = None

    @property
    def missing(self) -> bool:
        return self.provenance is None

    @property
    def fresh(self) -> bool:
        return not self.missing and not self.problems and not self.stale

    @property
    def exit_code(self) -> int:
        """0 fresh, 1 stale, 2 incomplete, 3 missing."""
        if self.missing:
            return MISSING
        return INCOMPLETE if self.problems else STALE if self.stale else FRESH

    def text(self) -> str:
        """The report in a few lines, as ``make check-reference`` prints it."""
        if self.missing:
            return (f"No paper-scale reference run is committed yet ({REFERENCE_DIR.as_posix()}"
                    "/provenance.json is missing): the pages show the quick profile's numbers "
                    f"only. {HOW_TO_MAKE.replace('`', '')} (see reference/README.md).")
        p = self.provenance
        head = (f"reference run of {str(p.get('created', '?'))[:10]}, commit "
                f"{str(p.get('commit', '?'))[:7]},")
        lines = []
        if self.problems:
            lines.append(f"The {head} is incomplete:")
            lines += [f"  {problem}" for problem in self.problems]
        if self.stale:
            lines.append(f"The {head} is stale for {len(self.stale)} chapter(s); changed since:")
            lines += [f"  {stem}: {', '.join(parts[:12])}"
                      + (f" and {len(parts) - 12} more" if len(parts) > 12 else "")
                      for stem, parts in self.stale.items()]
        if lines:
            return "\n".join(lines + ["Remake it with: make reference (about 100 minutes), or, "
                                       "when the code changed without changing results, certify "
                                       "that with: make recertify (about 30 minutes)"])
        if self.by_results:
            c = self.certificate or {}
            return (f"The {head} is fresh: {len(self.by_results)} chapter(s) by results "
                    f"({', '.join(self.by_results)}: make recertify found all "
                    f"{len(c.get('tables', []))} tables of the quick profile equal at "
                    f"{str(c.get('reference_commit', '?'))[:7]} and {str(c.get('commit', '?'))[:7]}, "
                    f"{str(c.get('created', '?'))[:10]}), the others by code "
                    f"({len(p['chapters'])} chapters, {len(p['tables'])} tables).")
        return (f"The {head} is fresh: every chapter's fingerprint matches the current code "
                f"({len(p['chapters'])} chapters, {len(p['tables'])} tables).")


def check_reference(root: str | Path | None = None, chapters: list[str] | None = None) -> Report:
    """Is ``reference/paper/`` there, complete and made by the current code?

    ``chapters``: those to check (default: every chapter of ``_toc.yml`` that has a source).
    Every table's file is checked against its recorded SHA-256; every chapter's fingerprint
    against the current code's, naming the parts that changed.
    """
    root = _root(root)
    try:
        prov = load_provenance(root)
    except ValueError as err:                    # unreadable: incomplete, never "stale"
        return Report({}, problems=[str(err)])
    if prov is None:
        return Report(None)
    report = Report(prov)
    report.problems += [f"provenance.json has no {key!r}" for key in FIELDS if key not in prov]
    if chapters is None:
        chapters = [s for s in book_chapters(root) if (root / "notebooks" / f"{s}.py").is_file()]
    recorded = prov.get("chapters") or {}
    certificate = load_certificate(root, prov)
    certified = (certificate or {}).get("chapters") or {}
    report.certificate = certificate
    for stem in chapters:
        rec = recorded.get(stem)
        if rec is None:
            report.problems.append(f"chapter {stem}: not in the reference run")
            continue
        if rec.get("status", "ok") != "ok":
            report.problems.append(f"chapter {stem}: {rec['status']} in the reference run")
        try:
            now = chapter_fingerprint(stem, prov.get("profile", PROFILE), root)
        except FileNotFoundError as err:
            report.problems.append(f"chapter {stem}: {err}")
            continue
        if now.digest == rec.get("fingerprint"):
            continue
        if now.digest == (certified.get(stem) or {}).get("fingerprint"):
            report.by_results.append(stem)
        else:
            # name what changed since the closest code known to give the reference's results
            known = [rec.get("parts") or {}] + [c["parts"] for c in [certified.get(stem) or {}]
                                                 if c.get("parts")]
            report.stale[stem] = min((now.changed(k) for k in known), key=len) or ["its fingerprint"]
    folder = root / REFERENCE_DIR
    tables = prov.get("tables") or {}
    if "tables" in prov and not tables:
        report.problems.append("the reference holds no table")
    for name, rec in tables.items():
        path = folder / rec["file"]
        if not path.is_file():
            report.problems.append(f"table {name}: {rec['file']} is missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != rec.get("sha256"):
            report.problems.append(f"table {name}: {rec['file']} is not the run's (SHA-256)")
    return report


def reference_table(name: str, root: str | Path | None = None, **read_csv: Any):
    """The reference run's table ``name`` (``"figure4"``; stored as ``.csv`` or ``.csv.gz``) as
    a pandas DataFrame; ``FileNotFoundError`` when the reference has no such table."""
    import pandas as pd

    folder = _root(root) / REFERENCE_DIR
    stem = name.removesuffix(".gz").removesuffix(".csv")
    for path in (folder / f"{stem}.csv", folder / f"{stem}.csv.gz"):
        if path.is_file():
            return pd.read_csv(path, **read_csv)
    raise FileNotFoundError(f"the paper-scale reference has no table {stem!r} "
                            f"({REFERENCE_DIR.as_posix()}/{stem}.csv[.gz]): {HOW_TO_MAKE}")


def reference_label(root: str | Path | None = None) -> str:
    """``"paper scale — reference run of <date>, commit <sha7>, <minutes> min on <cores>
    cores for the whole book"``; ``FileNotFoundError`` when there is no reference."""
    prov = load_provenance(root)
    if prov is None:
        raise FileNotFoundError(f"no paper-scale reference run yet: {HOW_TO_MAKE}")
    machine = prov.get("machine") or {}
    cores = machine.get("cores_available") or machine.get("cores") or "?"
    minutes = round(float(prov.get("total_seconds", 0)) / 60)
    return (f"paper scale — reference run of {str(prov.get('created', '?'))[:10]}, commit "
            f"{str(prov.get('commit', '?'))[:7]}, {minutes} min on {cores} cores for the whole book")
