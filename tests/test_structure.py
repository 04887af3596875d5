"""The packages' shape, as DEVELOPERS.md promises it: the library apart from the book, layers as
folders without import cycles between them, no module reaching into another's private names,
modules a newcomer can read, chapters that read as text."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lapace_book.fingerprint import module_file

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lapace"
BOOK = ROOT / "lapace_book"


def _modules(package: Path) -> list[str]:
    return sorted(".".join((package.name, *p.relative_to(package).with_suffix("").parts))
                  .removesuffix(".__init__") for p in package.rglob("*.py"))


MODULES = _modules(PACKAGE)
BOOK_MODULES = _modules(BOOK)


def _all_imports(module: str) -> set[str]:
    """lapace and lapace_book modules ``module`` imports anywhere (module level and in functions)."""
    path = module_file(module)
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    known = set(MODULES) | set(BOOK_MODULES)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            root = ".".join(base + ([node.module] if node.module else [])) if node.level \
                else (node.module or "")
            if root.split(".")[0] in ("lapace", "lapace_book"):
                for alias in node.names:
                    sub = f"{root}.{alias.name}"
                    found.add(sub if sub in known else root)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] in ("lapace", "lapace_book"))
    return found - {module}


def _layer(module: str) -> str:
    """A module's layer: its subpackage (``lapace.explain``) or, at the top, the module itself."""
    parts = module.split(".")
    root = ROOT.joinpath(*parts[:2])
    return ".".join(parts[:2]) if root.is_dir() else module


def _no_cycles(graph: dict[str, set[str]]) -> None:
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(d):] + [d]))
            if d not in state:
                visit(d, stack + [d])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


@pytest.mark.parametrize("modules", [MODULES, BOOK_MODULES], ids=["lapace", "lapace_book"])
def test_no_import_cycles_between_layers_not_even_inside_functions(modules):
    graph: dict[str, set[str]] = {}
    for m in modules:
        if m in ("lapace", "lapace_book"):
            continue  # the front door imports every layer
        graph.setdefault(_layer(m), set()).update(
            _layer(i) for i in _all_imports(m)
            if i.split(".")[0] == m.split(".")[0] and i not in ("lapace", "lapace_book")
            and _layer(i) != _layer(m))
    _no_cycles(graph)


def test_no_import_cycles_between_modules():
    graph = {m: {i for i in _all_imports(m) if i in MODULES and i != "lapace"} for m in MODULES
             if m != "lapace"}
    _no_cycles(graph)


def test_the_library_never_imports_the_book():
    offenders = [f"{m} imports {i}" for m in MODULES for i in _all_imports(m)
                 if i.split(".")[0] == "lapace_book"]
    assert not offenders, "\n".join(offenders)


def test_what_decides_results_never_imports_presentation():
    # lapace_book.show is never part of a fingerprint: code that decides results must not use it
    counted = [m for m in BOOK_MODULES if m.startswith(("lapace_book.experiments", "lapace_book.benchmark"))]
    offenders = [f"{m} imports {i}" for m in counted for i in _all_imports(m)
                 if i.startswith("lapace_book.show")]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("package", [PACKAGE, BOOK], ids=lambda p: p.name)
def test_layers_are_folders(package):
    top = [p for p in package.glob("*.py") if p.name != "__init__.py"]
    subpackages = [p for p in package.iterdir() if (p / "__init__.py").is_file()]
    assert len(top) <= 12, f"{package.name} has {len(top)} top-level modules: move some into a layer"
    assert len(subpackages) >= (4 if package is PACKAGE else 3)


def test_import_lapace_stays_light():
    code = ("import sys, lapace, lapace.methods, lapace.groups, lapace.explorer; "
            "heavy = {'matplotlib', 'dice_ml', 'yaml', 'plotly', 'seaborn', 'papermill'}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_a_copy_of_the_library_runs_outside_the_repository(tmp_path):
    # what a practitioner gets: lapace/ alone, no profiles/, notebooks/ or lapace_book beside it
    shutil.copytree(PACKAGE, tmp_path / "lapace", ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import numpy as np, lapace\n"
            "from sklearn.linear_model import LogisticRegression\n"
            "rng = np.random.default_rng(0); X = rng.random((300, 4)).astype('float32')\n"
            "y = (X[:, 0] + X[:, 1] > 1).astype(int)\n"
            "clf = LogisticRegression().fit(X, y)\n"
            "vae = lapace.LGMVAE(n_labels=2, clusters_per_class=2, latent_dim=2, hidden_dim=16,\n"
            "                    max_epochs=3, seed=0).fit(X, clf.predict(X))\n"
            "ex = lapace.Lapace(vae, steps=5).fit(model=clf)\n"
            "X0 = X[clf.predict(X) == 0][:5]\n"
            "cf = ex.explain(X0, target=1)\n"
            "assert cf.points.shape[0] == 5\n"
            "print(lapace.__file__)\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().startswith(str(tmp_path))


PRIVATE = re.compile(r"(?<![\w.])(?!self\b|cls\b)([a-z_][a-z0-9_]*)\.(_[a-z][a-z0-9_]*)\b")


def test_no_module_uses_another_objects_private_names():
    offenders = []
    for path in [*PACKAGE.rglob("*.py"), *BOOK.rglob("*.py")]:
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


@pytest.mark.parametrize("path", sorted([*PACKAGE.rglob("*.py"), *BOOK.rglob("*.py")]),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_modules_stay_readable(path):
    assert len(path.read_text().splitlines()) <= 600, f"{path.name}: split it (one concept each)"


CHAPTERS = sorted((ROOT / "notebooks").glob("*.py"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapters_read_as_text_with_results(path):
    text = path.read_text()
    assert not re.search(r"plt\.(subplots|figure)\(", text), "figures belong in lapace_book.show.plots"
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


@pytest.mark.parametrize("module, extra", [("dice_ml", "dice"), ("plotly.graph_objects", "explorer")])
def test_a_missing_extra_is_named(monkeypatch, module, extra):
    from lapace.validation import optional_import

    for name in [m for m in list(sys.modules) if m.split(".")[0] == module.split(".")[0]]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module.split(".")[0], None)   # as if not installed
    with pytest.raises(ImportError, match=re.escape(f'pip install "lapace[{extra}]"')):
        optional_import(module, extra, "this feature")
