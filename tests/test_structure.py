"""The package's shape, as DEVELOPERS.md promises it: floors without import cycles, no module
reaching into another's private names, modules a newcomer can read, chapters that read as text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lapace.cache import _imports, _module_file

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lapace"
MODULES = sorted(
    "lapace." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
    if p.name != "__init__.py" else ".".join(("lapace", *p.parent.relative_to(PACKAGE).parts))
    for p in PACKAGE.rglob("*.py"))


def _all_imports(module: str) -> set[str]:
    """lapace modules ``module`` imports anywhere (module level and inside functions)."""
    path = _module_file(module)
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            root = ".".join(base + ([node.module] if node.module else [])) if node.level \
                else (node.module or "")
            if root.startswith("lapace"):
                for alias in node.names:
                    sub = f"{root}.{alias.name}"
                    found.add(sub if sub in MODULES else root)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("lapace"))
    return found - {module}


def test_no_import_cycles_not_even_inside_functions():
    graph = {m: {i for i in _all_imports(m) if i in MODULES and i != "lapace"} for m in MODULES}
    graph = {m: deps for m, deps in graph.items() if m != "lapace"}  # the package's front door
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for d in graph.get(m, ()):
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(d):] + [d]))
            if d not in state:
                visit(d, stack + [d])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [m])


def test_the_cache_sees_every_module_level_import():
    # the fingerprint follows module-level imports: it must find the same ones ast.walk finds
    for m in MODULES:
        assert _imports(m, _module_file(m)) <= _all_imports(m) | {"lapace"}


PRIVATE = re.compile(r"(?<![\w.])(?!self\b|cls\b)([a-z_][a-z0-9_]*)\.(_[a-z][a-z0-9_]*)\b")


def test_no_module_uses_another_objects_private_names():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        # a module may use the private names it defines itself (its own classes' attributes)
        own = set(re.findall(r"def (_\w+)", text)) | set(re.findall(r"\w\.(_\w+)\s*=[^=]", text))
        for n, line in enumerate(text.splitlines(), 1):
            code = line.split("#")[0]
            for obj, name in PRIVATE.findall(code):
                if name in own or obj in {"sys"}:  # sys._getframe: the standard library's
                    continue
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {obj}.{name}")
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level or (
                    isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lapace")):
                offenders += [f"{path.relative_to(ROOT)}: imports {a.name}" for a in node.names
                              if a.name.startswith("_") and a.name != "__version__"]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_modules_stay_readable(path):
    assert len(path.read_text().splitlines()) <= 600, f"{path.name}: split it (one concept each)"


CHAPTERS = sorted((ROOT / "notebooks").glob("*.py"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapters_read_as_text_with_results(path):
    text = path.read_text()
    assert not re.search(r"plt\.(subplots|figure)\(", text), "figures belong in lapace.plots"
    for i, cell in enumerate(re.split(r"^# %%", text, flags=re.M)):
        if cell.startswith(" [markdown]"):
            continue
        lines = [ln for ln in cell.splitlines()[1:] if ln.strip()]
        assert len(lines) <= 30, f"{path.stem}: code cell {i} has {len(lines)} lines (at most 30)"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_cell_compiles(path):
    # a syntax error otherwise shows only after the chapters before it have run in the build
    for i, cell in enumerate(re.split(r"^# %%.*$", path.read_text(), flags=re.M)):
        compile(cell, f"{path.name}, cell {i}", "exec")
