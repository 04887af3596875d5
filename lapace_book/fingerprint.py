"""What decides a result: the code a computation runs, hashed as code, never as prose.

One rule serves both the artefact cache's keys (:mod:`lapace_book.cache`) and the paper-scale
reference's chapter fingerprints (:mod:`lapace_book.reference`):

- **where a module lives decides whether it counts**: every module of the library
  :mod:`lapace`, and of the book's computations :mod:`lapace_book.experiments` and
  :mod:`lapace_book.benchmark` (:data:`COUNTED`). Presentation (:mod:`lapace_book.show`) and
  the book's plumbing (cache, provenance, reference, this module) are never followed, so a
  ``fontsize`` or a sentence can change without staling anything;
- **imports at any depth count**: an import inside a function is followed like one at the top
  of the module, so no computation can hide a module from its key;
- **a module is hashed as its syntax tree without docstrings** (:func:`code_digest`): comments,
  formatting and docstrings never change a fingerprint, a statement always does.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

__all__ = ["ALL_CODE", "COUNTED", "code_digest", "code_fingerprint", "code_modules", "counts",
           "module_file", "module_imports"]

#: the packages whose modules decide results (a module counts if it is one of them or lives in one)
COUNTED = ("lapace", "lapace_book.experiments", "lapace_book.benchmark")
#: default of a computation's ``code``: the whole library
ALL_CODE = ("lapace",)


def counts(module: str) -> bool:
    """Whether ``module`` is part of a fingerprint (it lives in one of :data:`COUNTED`)."""
    return any(module == p or module.startswith(p + ".") for p in COUNTED)


def module_file(module: str) -> Path:
    """The source file of ``module`` (``FileNotFoundError`` if there is none).

    Found without importing the module itself (only its parent packages), so a user's own
    method module (``my_methods.foo``) works as well as ``lapace.lgmvae.model``."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise FileNotFoundError(
            f"module {module!r} named in a fingerprint has no Python source file: was it renamed? "
            "Update the `code=` list of the cached computation.")
    return Path(spec.origin)


def _is_module(name: str) -> bool:
    try:
        module_file(name)
    except FileNotFoundError:
        return False
    return True


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def code_digest(source: str) -> str:
    """Hash of ``source``'s syntax tree without docstrings: comments, formatting and docstrings
    do not change it, any statement does."""
    tree = _strip_docstrings(ast.parse(source))
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()[:12]


def _imports_of(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Modules ``module`` imports anywhere in its body (relative imports resolved)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                root = ".".join(base + ([node.module] if node.module else []))
            else:
                root = node.module or ""
            for alias in node.names:
                sub = f"{root}.{alias.name}"
                found.add(sub if _is_module(sub) else root)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@lru_cache(maxsize=1024)
def _parsed(path: Path, mtime: float) -> tuple[str, ast.AST]:
    source = path.read_text()
    return source, ast.parse(source)


def module_imports(module: str) -> set[str]:
    """The counted modules (:func:`counts`) that ``module`` imports, at any depth of its code."""
    path = module_file(module)
    _, tree = _parsed(path, path.stat().st_mtime)
    return {m for m in _imports_of(tree, module, path.name == "__init__.py") if counts(m)}


def code_modules(code=ALL_CODE) -> list[str]:
    """The modules ``code`` names (names or module objects) and every counted module they import,
    followed to the end. A module outside :data:`COUNTED` that ``code`` names itself (a user's
    own method) is included, its imports followed; one only imported is not."""
    todo = [c.__name__ if hasattr(c, "__name__") else str(c) for c in code]
    seen: set[str] = set()
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        todo.extend(module_imports(mod) - seen)
    return sorted(seen)


def code_fingerprint(code=ALL_CODE) -> str:
    """One hash of the code of :func:`code_modules` (each module by :func:`code_digest`)."""
    digest = hashlib.sha256()
    for mod in code_modules(code):
        digest.update(mod.encode() + code_digest(module_file(mod).read_text()).encode())
    return digest.hexdigest()[:12]
