"""A chapter's parameters, checked before any work: names, types and ranges.

Every chapter (``notebooks/<stem>.py``) declares its parameters in one cell tagged
``parameters``, each ``name = literal  # comment``. Whoever runs the chapter may change them:
the book's profiles (``scripts/build_book.py``), ``make chapter CHAPTER=<stem> SET="..."``
(``scripts/chapter.py``), papermill's ``-p``/``-y`` or a reader editing the cell in Jupyter. The
rules, the same for every route (:func:`check_values`):

- a name must be one the parameters cell declares (papermill itself only warns "Passed unknown
  parameter" and runs on);
- a value has the type of its default: an ``int`` where the default is an ``int`` (a ``bool``
  is not one), a ``float`` or an ``int`` where it is a ``float``, a list where it is a list
  (its items as the default's items, when those are all of one type), a mapping where it is a
  mapping; ``None`` where the default is ``None`` or the comment names ``None``
  (``longer_epochs = 150  # ... (None: skip)``); a default ``None`` takes anything;
- a number lies in the range the comment gives, written ``range [1, 1000]`` or ``in [0, 1]``
  (``(`` and ``)`` for open ends, an empty side for no bound: ``range [1, ]``) or ``>= 1``,
  ``> 0``, ``<= 10``, ``< 1``; a list's numbers each;
- ``profile`` names a file of ``profiles/``.

In a notebook the check is the one-line cell right after the parameters cell::

    from lapace_book.parameters import check_parameters; check_parameters(globals(), "figure1")

Papermill puts the cell it injects (headed ``# Parameters``) between the two, so the check sees
the names papermill was given (from IPython's input history) as well as every parameter's
value. When it passes it also gives a run outside the book build its own folders: unless
``LAPACE_RESULTS_DIR`` / ``LAPACE_CACHE_DIR`` are set (the build and ``make chapter`` set them),
results go to ``<repo>/results/notebooks/<profile>/`` (never the book's ``results/<profile>/``)
and the artefact cache is the book's ``<repo>/.cache/artefacts``.
"""

from __future__ import annotations

import ast
import io
import math
import os
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lapace_book.provenance import repo_root

__all__ = ["Declared", "ParameterError", "check_parameters", "check_value", "check_values",
           "declared_parameters", "injected_names", "parse_range", "parse_value", "report",
           "use_repository_folders", "value_problems"]

#: where a run outside the book build writes its results (below the repository)
NOTEBOOK_RESULTS = Path("results") / "notebooks"
#: the book's artefact cache (``make book`` sets ``LAPACE_CACHE_DIR`` to it)
BOOK_CACHE = Path(".cache") / "artefacts"


class ParameterError(ValueError):
    """A chapter was given a parameter it does not declare, or a value it cannot take."""


@dataclass(frozen=True)
class Declared:
    """One line of a parameters cell: ``name = default  # comment``."""

    name: str
    default: Any
    comment: str = ""

    @property
    def range(self) -> tuple[float | None, bool, float | None, bool] | None:
        return parse_range(self.comment)

    @property
    def takes_none(self) -> bool:
        return self.default is None or re.search(r"\bNone\b", self.comment) is not None


# ---------------------------------------------------------------------------------------------
# the declaration
# ---------------------------------------------------------------------------------------------
def _cell_source(source: str | Path) -> str:
    import jupytext

    nb = jupytext.read(source)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{source}: expected exactly one cell tagged 'parameters' "
                         f"(# %% tags=[\"parameters\"]), found {len(cells)}")
    return cells[0].source


def declared_parameters(source: str | Path) -> dict[str, Declared]:
    """The parameters cell of the Jupytext chapter ``source``: ``{name: Declared}`` in order
    (literals only: papermill can only override literals)."""
    text = _cell_source(source)
    try:
        tree = ast.parse(text)
    except SyntaxError as err:
        raise ValueError(f"{source}: parameters cell is not valid Python: {err}") from err
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    out: dict[str, Declared] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else [])
        if not targets or not all(isinstance(t, ast.Name) for t in targets):
            raise ValueError(f"{source}: line {node.lineno} of the parameters cell is not a "
                             "plain `name = literal` assignment")
        try:
            value = ast.literal_eval(node.value)
        except ValueError as err:
            raise ValueError(f"{source}: parameter {targets[0].id!r} is not a literal "
                             "(papermill can only override literals)") from err
        comment = " ".join(comments[i] for i in range(node.lineno, (node.end_lineno or
                                                                    node.lineno) + 1)
                           if i in comments)
        for t in targets:
            out[t.id] = Declared(t.id, value, comment)
    return out


_NUM = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf)"
_INTERVAL = re.compile(rf"\b(?:range|in)\s*:?\s*([\[(])\s*({_NUM})?\s*,\s*({_NUM})?\s*([\])])")
_BOUND = re.compile(rf"(?<![\w\])=<>!])(>=|<=|>|<|≥|≤)\s*({_NUM})(?![\w.])")


def parse_range(comment: str) -> tuple[float | None, bool, float | None, bool] | None:
    """``(low, low included, high, high included)`` from a parameter's comment, or ``None``.

    Understood: ``range [a, b]`` / ``in [a, b]`` (round brackets for open ends, a side left
    empty for no bound) and ``>= a``, ``> a``, ``<= b``, ``< b`` (also ``≥``, ``≤``). Any
    other text, numbers in prose included ("from 0 to 1"), gives no range."""
    m = _INTERVAL.search(comment)
    if m:
        lo, hi = m.group(2), m.group(3)
        return (float(lo) if lo else None, m.group(1) == "[",
                float(hi) if hi else None, m.group(4) == "]")
    low = high = None
    low_in = high_in = True
    for op, num in _BOUND.findall(comment):
        if op in (">=", "≥", ">"):
            low, low_in = float(num), op != ">"
        else:
            high, high_in = float(num), op != "<"
    if low is None and high is None:
        return None
    return (low, low_in, high, high_in)


def _range_text(r: tuple[float | None, bool, float | None, bool]) -> str:
    def num(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else repr(x)

    lo, lo_in, hi, hi_in = r
    return (("[" if lo_in else "(") + ("" if lo is None else num(lo)) + ", "
            + ("" if hi is None else num(hi)) + ("]" if hi_in else ")"))


# ---------------------------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------------------------
def _kind(value: Any) -> str:
    """The type a parameter's value is checked as: bool, int, float, str, list, dict, None."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


_ARTICLE = {"int": "an int", "float": "a float", "bool": "a bool (True or False)",
            "str": "a str", "list": "a list", "dict": "a mapping", "None": "None"}


def _fits(value: Any, default: Any) -> bool:
    want, got = _kind(default), _kind(value)
    if want == "float":
        return got in ("int", "float")
    if want != got:
        return False
    if want == "list" and default and value:
        kinds = {_kind(d) for d in default}
        if kinds == {"int", "float"}:
            kinds = {"float"}
        if len(kinds) == 1:  # items of one type: every given item must be one
            proto = 0.0 if kinds == {"float"} else default[0]
            return all(_fits(v, proto) for v in value)
    return True


def _numbers(value: Any) -> list[float]:
    if _kind(value) in ("int", "float"):
        return [value]
    if _kind(value) == "list":
        return [x for v in value for x in _numbers(v)]
    return []


def _list_hint(name: str, default: Any, route: str, given: str = "") -> str:
    example = repr(default)
    try:  # what the text meant, read as YAML ("[heloc]" -> ["heloc"]), else the default
        import yaml

        meant = yaml.safe_load(given)
        if isinstance(meant, type(default)):
            example = repr(meant)
            default = meant
    except Exception:
        pass
    if route == "papermill":
        import json

        return (f" papermill's -p passes text (it only turns numbers, True/False and None into "
                f"values); pass a list or mapping with -y, which reads YAML: "
                f"-y '{json.dumps({name: default})}'")
    if route == "make":
        return f" write it as a Python literal, e.g. SET='{name}={example}'"
    return f" write it as a Python literal, e.g. {name} = {example}"


def check_value(decl: Declared, value: Any, route: str = "notebook") -> str | None:
    """What is wrong with ``value`` for the declared parameter, or ``None``."""
    name, default = decl.name, decl.default
    if value is None and decl.takes_none:
        return None
    if default is None:
        return None
    if not _fits(value, default):
        want = _ARTICLE.get(_kind(default), _kind(default))
        if _kind(default) == "list" and _kind(value) == "list":
            want = f"a list like its default {default!r}"
        text = (f"parameter {name!r} must be {want}"
                + (" or None" if decl.takes_none else "")
                + f" (default {default!r}), got {_kind(value)} {value!r}.")
        if _kind(default) in ("list", "dict") and isinstance(value, str):
            text += _list_hint(name, default, route, value)
        return text
    r = decl.range
    if r is not None:
        lo, lo_in, hi, hi_in = r
        for x in _numbers(value):
            if isinstance(x, float) and math.isnan(x) or \
                    lo is not None and (x < lo or (x == lo and not lo_in)) or \
                    hi is not None and (x > hi or (x == hi and not hi_in)):
                return (f"parameter {name!r} = {value!r} is out of its range {_range_text(r)} "
                        f"(its comment: {decl.comment!r}).")
    return None


def _known_profiles(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "profiles").glob("*.yml"))


def check_values(values: dict[str, Any], declared: dict[str, Declared], chapter: str = "",
                 route: str = "notebook", root: Path | None = None) -> None:
    """Raise :class:`ParameterError` naming every problem of ``values`` (``{name: value}``)
    against the chapter's ``declared`` parameters: an unknown name (with the valid ones), a
    wrong type, a number out of its commented range, a ``profile`` that no file names.
    ``route`` ("papermill", "make", "notebook") picks how a list or mapping should be written."""
    report(value_problems(values, declared, route, root), chapter)


def report(problems: list[str], chapter: str = "") -> None:
    """Raise one :class:`ParameterError` listing ``problems`` (nothing when there are none)."""
    where = f"chapter {chapter!r}: " if chapter else ""
    if problems:
        head = problems[0] if len(problems) == 1 else f"{len(problems)} problems with the parameters"
        raise ParameterError(where + head + ("" if len(problems) == 1 else ":\n  - "
                                             + "\n  - ".join(problems)))


def value_problems(values: dict[str, Any], declared: dict[str, Declared], route: str = "notebook",
                   root: Path | None = None) -> list[str]:
    """The problems :func:`check_values` reports, as a list."""
    problems = []
    unknown = [n for n in values if n not in declared]
    for name in unknown:
        problems.append(f"unknown parameter {name!r}; the parameters cell declares "
                        f"{', '.join(declared)}.")
    for name, value in values.items():
        if name in declared and (p := check_value(declared[name], value, route)):
            problems.append(p)
    if "profile" in values and "profile" in declared and isinstance(values["profile"], str):
        known = _known_profiles(root or repo_root())
        if known and values["profile"] not in known:
            problems.append(f"parameter 'profile' = {values['profile']!r} names no file of "
                            f"profiles/ (known: {', '.join(known)}).")
    return problems


def parse_value(text: str, decl: Declared | None = None) -> Any:
    """A value written on a command line (``make chapter ... SET="steps=7"``): a Python literal
    (``7``, ``0.5``, ``[1, 2]``, ``'adult'``, ``None``); a bare word is taken as a string where
    the default is a string (``dataset=adult``)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        if decl is not None and _kind(decl.default) == "str":
            return text
        want = "" if decl is None else f" ({_ARTICLE.get(_kind(decl.default))}, like its default "\
                                       f"{decl.default!r})"
        hint = ""
        if decl is not None and _kind(decl.default) in ("list", "dict"):
            hint = f"; write it as a Python literal, e.g. {decl.name}={decl.default!r}"
        raise ParameterError(f"{decl.name if decl else 'value'!r}: {text!r} is not a Python "
                             f"literal{want}{hint}") from None


# ---------------------------------------------------------------------------------------------
# in a notebook
# ---------------------------------------------------------------------------------------------
def injected_names(namespace: dict[str, Any]) -> dict[str, Any]:
    """The names (with their values) set by papermill's injected cell, when that cell (headed
    ``# Parameters``) ran just before the current one: read from IPython's input history."""
    history = namespace.get("In") or namespace.get("_ih") or []
    if len(history) < 2:
        return {}
    before = history[-2]
    if not before.lstrip().startswith("# Parameters"):
        return {}
    names: dict[str, Any] = {}
    try:
        tree = ast.parse(before)
    except SyntaxError:
        return {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    names[t.id] = namespace.get(t.id)
    return names


def use_repository_folders(root: Path | None = None) -> dict[str, str]:
    """Give a run outside the book build its folders (see the module docstring); return the
    variables set (none when the caller set both, or outside the repository)."""
    root = root or repo_root()
    if not (root / "notebooks").is_dir() or not (root / "profiles").is_dir():
        return {}
    set_now = {}
    if not os.environ.get("LAPACE_RESULTS_DIR"):
        set_now["LAPACE_RESULTS_DIR"] = str(root / NOTEBOOK_RESULTS)
    if not os.environ.get("LAPACE_CACHE_DIR"):
        set_now["LAPACE_CACHE_DIR"] = str(root / BOOK_CACHE)
    os.environ.update(set_now)
    return set_now


def check_parameters(namespace: dict[str, Any], chapter: str, source: str | Path | None = None,
                     ) -> None:
    """The check cell of a chapter: ``namespace`` is the notebook's ``globals()``, ``chapter``
    its stem (its parameters cell is read from ``notebooks/<chapter>.py``, or ``source``).

    Raises :class:`ParameterError` for a name papermill injected that the cell does not declare,
    and for any declared parameter whose current value has the wrong type or lies out of its
    range; then sets the run's folders (:func:`use_repository_folders`)."""
    root = repo_root()
    source = Path(source) if source else root / "notebooks" / f"{chapter}.py"
    declared = declared_parameters(source)
    injected = injected_names(namespace)
    values = {name: namespace[name] for name in declared if name in namespace}
    values.update({k: v for k, v in injected.items() if k not in declared})
    check_values(values, declared, chapter, route="papermill" if injected else "notebook",
                 root=root)
    set_now = use_repository_folders(root)
    if set_now:
        profile = namespace.get("profile") or "quick"
        said = []
        if "LAPACE_RESULTS_DIR" in set_now:
            said.append(f"results in {Path(set_now['LAPACE_RESULTS_DIR']) / str(profile)}")
        if "LAPACE_CACHE_DIR" in set_now:
            said.append(f"artefact cache {set_now['LAPACE_CACHE_DIR']}")
        print("parameters checked; " + ", ".join(said)
              + " (set LAPACE_RESULTS_DIR / LAPACE_CACHE_DIR to choose others)")
