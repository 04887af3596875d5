"""Where the book's results go, and what they were built from.

Every table a chapter shows is also written as CSV to ``results/<profile>/<name>.csv`` and every
figure as PNG beside it (``results/<profile>/<name>.png``; an interactive Plotly figure as HTML),
named after the table or figure of the paper it reproduces (``table1_heloc``,
``figure5_centroids``...). A chapter does::

    from lapace_book.provenance import save_figure, save_table, show_progress

    show_progress()                         # cache messages ("loaded from cache ...") visible
    save_table(df, "table1", profile=profile)
    save_figure(fig, "figure5", profile=profile)

``profile`` is the chapter's parameter (``"quick"`` or ``"paper"``); when omitted, the
``LAPACE_PROFILE`` environment variable set by ``scripts/build_book.py`` is used, then
``"quick"``. The results root is ``$LAPACE_RESULTS_DIR`` if set, else ``<repo>/results``.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def repo_root() -> Path:
    """Root of the compendium: ``$LAPACE_REPO_ROOT``, else the folder holding this package."""
    env = os.environ.get("LAPACE_REPO_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists():
        return here
    return Path.cwd()


def current_profile(profile: str | None = None) -> str:
    """``profile`` if given, else ``$LAPACE_PROFILE``, else ``"quick"``."""
    profile = profile or os.environ.get("LAPACE_PROFILE") or "quick"
    if not _NAME.match(profile):
        raise ValueError(f"invalid profile name {profile!r}")
    return profile


def results_dir(profile: str | None = None) -> Path:
    """``results/<profile>/`` (created if missing)."""
    root = os.environ.get("LAPACE_RESULTS_DIR")
    base = Path(root) if root else repo_root() / "results"
    path = base / current_profile(profile)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"result name must be a plain file name without extension, got {name!r}")
    return name


def save_table(df: Any, name: str, profile: str | None = None, **to_csv: Any) -> Path:
    """Write the pandas DataFrame ``df`` to ``results/<profile>/<name>.csv``; return the path."""
    path = results_dir(profile) / f"{_check_name(name)}.csv"
    to_csv.setdefault("index", True)
    df.to_csv(path, **to_csv)
    return path


def save_figure(fig: Any, name: str, profile: str | None = None, dpi: int = 150,
                **savefig: Any) -> Path:
    """Write the matplotlib figure ``fig`` to ``results/<profile>/<name>.png``, or a Plotly
    figure to ``<name>.html`` (plotly.min.js written beside it once: the page opens offline);
    return the path. A PNG's text chunk :data:`FONT_KEY` holds the figure's smallest font size
    in points (:func:`smallest_font_pt`), in the saved file and in the image the notebook
    shows (:func:`mark_inline_png`): the site check measures every figure's smallest text."""
    if callable(getattr(fig, "write_html", None)):
        path = results_dir(profile) / f"{_check_name(name)}.html"
        fig.write_html(path, include_plotlyjs="directory", auto_play=False, **savefig)
        return path
    path = results_dir(profile) / f"{_check_name(name)}.png"
    savefig.setdefault("bbox_inches", "tight")
    metadata = dict(savefig.pop("metadata", None) or {})
    smallest = smallest_font_pt(fig)
    if smallest is not None:
        metadata[FONT_KEY] = f"{smallest:g}"
        mark_inline_png(fig, metadata)
    fig.savefig(path, dpi=dpi, metadata=metadata, **savefig)
    return path


#: the PNG text chunk holding a figure's smallest drawn font size, in points (scripts/check_site.py
#: turns it into on-screen pixels with the PNG's dpi and the image's displayed width)
FONT_KEY = "lapace:smallest-font-pt"


def smallest_font_pt(fig: Any) -> float | None:
    """The smallest font size, in points, of the text a draw of the matplotlib figure ``fig``
    actually puts on the image (tick labels, legends, annotations, titles); ``None`` if none."""
    import io

    from matplotlib.backends.backend_agg import RendererAgg

    sizes: list[float] = []
    draw_text = RendererAgg.draw_text

    def recording(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if str(s).strip():
            sizes.append(prop.get_size_in_points())
        return draw_text(self, gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    RendererAgg.draw_text = recording
    try:
        fig.savefig(io.BytesIO(), format="png", dpi=36)
    finally:
        RendererAgg.draw_text = draw_text
    return min(sizes) if sizes else None


def mark_inline_png(fig: Any, metadata: dict[str, str]) -> None:
    """Let the PNG a notebook shows for ``fig`` (IPython's inline backend draws it through the
    figure's Agg canvas) carry ``metadata`` too, so the built page's image says its font size."""
    import functools

    canvas = fig.canvas
    method = type(canvas).__dict__.get("print_png") or getattr(type(canvas), "print_png", None)
    if method is None:
        return
    canvas.print_png = functools.partial(method, canvas, metadata=metadata)


def git_commit(root: Path | None = None) -> str:
    """Short commit hash of the work tree, with ``+dirty`` for uncommitted changes to tracked
    files; ``"unknown"`` outside a git checkout."""
    root = root or repo_root()

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def data_source() -> str:
    """Where the data came from, in words a page may show: never a path of this machine."""
    try:
        from lapace.data.loaders import ENV_VAR
    except Exception:  # module not written yet, or fails to import
        ENV_VAR = "LAPACE_DATA_DIR"
    if os.environ.get(ENV_VAR):
        return f"the pre-filled data folder ({ENV_VAR}), files checked against lapace/registry.txt"
    return "downloaded from the public sources, files checked against lapace/registry.txt"


def provenance(profile: str | None = None) -> dict[str, str]:
    """Profile, commit, data source, date and Python version of the current run."""
    return {
        "profile": current_profile(profile),
        "commit": git_commit(),
        "data source": data_source(),
        "date": datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "python": sys.version.split()[0],
    }


def show_progress(level: int = logging.INFO) -> None:
    """Print ``lapace``'s log messages (e.g. "loaded from cache ...") in a notebook's output."""
    logger = logging.getLogger("lapace")
    logger.setLevel(level)
    if not any(getattr(h, "_lapace_book", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._lapace_book = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
