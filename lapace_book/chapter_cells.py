"""A chapter's cells, and which of them only write prose (*reading* cells).

A chapter (``notebooks/<stem>.py``, Jupytext's percent format) mixes cells that compute (train,
explain, save tables and figures) with cells that turn computed numbers into sentences.  A
cell whose header carries the tag ``reading`` (``# %% tags=["remove-input", "reading"]``) is
presentation, like :mod:`lapace_book.show`: the chapter's fingerprint
(:func:`lapace_book.reference.chapter_fingerprint`) leaves it out, so rewording a conclusion,
or computing it from the paper-scale reference instead of this build, never stales the
reference.  That is sound only if a reading cell decides nothing: :func:`reading_problems`
checks that it saves no table or figure and that no later computing cell uses a name it
assigns (the test suite runs it on every chapter).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

__all__ = ["READING_TAG", "Cell", "cells", "computing_source", "reading_problems"]

#: the tag of a cell that only writes prose
READING_TAG = "reading"
#: calls a reading cell must not make: they write results
_WRITERS = re.compile(r"^save_|^to_csv$|^savefig$|^write_")
_HEADER = re.compile(r"^# %%(.*)$")


@dataclass(frozen=True)
class Cell:
    """One cell: its header line (``None`` for the text before the first cell marker), its
    source lines, the line its header is on (1-based) and whether it is Markdown."""

    header: str | None
    lines: tuple[str, ...]
    start: int

    @property
    def markdown(self) -> bool:
        return self.header is not None and "[markdown]" in self.header

    @property
    def reading(self) -> bool:
        if self.header is None or self.markdown:
            return False
        tags = re.search(r"tags=\[([^\]]*)\]", self.header)
        return bool(tags) and f'"{READING_TAG}"' in tags.group(1).replace("'", '"')

    @property
    def code(self) -> str:
        return "\n".join(self.lines)


def cells(source: str) -> list[Cell]:
    """The cells of a percent-format chapter, in order."""
    out, header, lines, start = [], None, [], 1
    for number, line in enumerate(source.splitlines(), 1):
        if _HEADER.match(line):
            if header is not None or any(x.strip() for x in lines):
                out.append(Cell(header, tuple(lines), start))
            header, lines, start = line, [], number
        else:
            lines.append(line)
    out.append(Cell(header, tuple(lines), start))
    return out


def computing_source(source: str) -> str:
    """``source`` without its reading cells (what a chapter's fingerprint hashes)."""
    return "\n".join((c.header or "") + "\n" + c.code for c in cells(source) if not c.reading)


def _assigned(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _scope_assigned(tree: ast.Module) -> set[str]:
    """Names a cell binds at the notebook's top level (not inside its own functions)."""
    names = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            names.add(stmt.name)
            continue
        names |= _assigned(stmt)
    return names


def _loaded(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _mutated(tree: ast.AST) -> set[str]:
    """Names whose object a cell changes in place: ``x[k] = ...``, ``x.attr = ...``,
    ``x.append(...)``-style calls are not detected, subscript and attribute stores are."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript | ast.Attribute) and isinstance(node.ctx, ast.Store):
            base = node.value
            while isinstance(base, ast.Subscript | ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name):
                out.add(base.id)
    return out


def reading_problems(source: str, name: str = "chapter") -> list[str]:
    """Why a reading cell of ``source`` might decide a result (empty: none does): it saves a
    table or figure, changes an object in place, or binds a name a later computing cell uses."""
    problems = []
    parsed = [(c, ast.parse(c.code)) for c in cells(source) if not c.markdown and c.header]
    for i, (cell, tree) in enumerate(parsed):
        if not cell.reading:
            continue
        where = f"{name} line {cell.start}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                fn = node.func
                called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if _WRITERS.search(called):
                    problems.append(f"{where}: a reading cell calls {called}(), which writes "
                                    "a result; move it to a computing cell")
        if mutated := sorted(_mutated(tree) - _scope_assigned(tree)):
            problems.append(f"{where}: a reading cell changes {', '.join(mutated)} in place")
        for name_ in sorted(_scope_assigned(tree)):
            for later, later_tree in parsed[i + 1:]:
                if later.reading:
                    continue
                if name_ in _scope_assigned(later_tree):   # rebound before any use: its own
                    break
                if name_ in _loaded(later_tree):
                    problems.append(f"{where}: a reading cell binds {name_}, which the "
                                    f"computing cell at line {later.start} uses; rename it or "
                                    "compute it in a computing cell")
                    break
    return problems
