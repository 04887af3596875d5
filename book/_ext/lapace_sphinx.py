"""Sphinx extension local to the book (loaded through ``local_extensions`` in _config.yml).

- Drops duplicated ``<script>``/``<link>`` entries from every page: with Jupyter Book 1.0.4 and
  Sphinx 7.4, the inline scripts of sphinx-thebe and sphinx-togglebutton are emitted twice, and
  the second ``const THEBE_JS_URL = ...`` is a JavaScript SyntaxError in every page's console
  (which ``scripts/check_site.py`` reports).
- Registers the pybtex style ``authoryear``: bibliography entries labelled "Jiang et al., 2025",
  as the in-text citations (``bibtex_reference_style: author_year``) name them.
- Ships plotly.js with the site: a page whose body draws a Plotly figure (``Plotly.newPlot``,
  e.g. the path explorer's ``lapace.explorer.figure_html``) gets ``_static/plotly.min.js``, the
  bundle of the installed ``plotly`` package, in its head; other pages do not load it, and no
  page loads it from a CDN.
- On a partial build (``make book CHAPTERS=...``: ``lapace_chapters_left_out`` lists the
  chapters not built), a ``{ref}``/``{doc}``/``{numref}`` into a left-out chapter is shown as its
  plain text instead of failing the ``-W`` build; a full build resolves (or reports) every one.
- Inserts, under each chapter's title, the box "How this page was built" (profile, commit, data
  source, date, run time, and the parameters a ``make chapter`` run changed) and the box "Rerun
  this chapter" (the commands, the run times of every profile), at render time: the build
  (``scripts/build_book.py``, ``scripts/chapter.py``) writes ``<chapter>.lapace.json`` beside
  each executed notebook (:data:`PAGE_INFO_SUFFIX`, fields in :func:`banner_markdown` and
  :func:`rerun_markdown`), and a ``source-read`` handler adds the two Markdown cells to the
  notebook as Sphinx reads it; the executed ``.ipynb`` files stay as papermill wrote them.
"""

import json
from pathlib import Path

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.util import logging

LOG = logging.getLogger(__name__)


def _key(asset):
    attributes = getattr(asset, "attributes", {}) or {}
    # an inline script is registered once with filename None and once with ""
    return (getattr(asset, "filename", str(asset)) or "",
            tuple(sorted((k, str(v)) for k, v in attributes.items())))


def dedupe_assets(app, pagename, templatename, context, doctree):
    for name in ("script_files", "css_files"):
        assets = context.get(name)
        if not assets:
            continue
        seen, unique = set(), []
        for asset in assets:
            k = _key(asset)
            if k not in seen:
                seen.add(k)
                unique.append(asset)
        assets[:] = unique


class AuthorYearLabels(BaseLabelStyle):
    """"Jiang et al., 2025", "Stoian and Giunchiglia, 2025", "Breunig et al., 2000"."""

    def format_labels(self, sorted_entries):
        labels = [self._label(entry) for entry in sorted_entries]
        seen: dict[str, int] = {}
        for label in labels:  # the same authors and year: 2024a, 2024b, ...
            if labels.count(label) == 1:
                yield label
            else:
                seen[label] = seen.get(label, -1) + 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label]]

    @staticmethod
    def _label(entry):
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = ["".join(p.last_names) or "".join(p.first_names) for p in people]
        names = [n.replace("{", "").replace("}", "") for n in names] or [entry.key]
        who = names[0] if len(names) == 1 else (
            f"{names[0]} and {names[1]}" if len(names) == 2 else f"{names[0]} et al.")
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    """unsrt's entries, sorted by author and year, labelled by author and year."""

    default_label_style = AuthorYearLabels
    default_sorting_style = "author_year_title"


register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def add_plotly(app, pagename, templatename, context, doctree):
    """plotly.min.js (from the installed plotly package) on the pages that draw with it."""
    if "Plotly.newPlot" not in (context.get("body") or ""):
        return
    target = Path(app.outdir) / "_static" / "plotly.min.js"
    if not target.exists():
        from plotly.offline import get_plotlyjs

        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(get_plotlyjs(), encoding="utf-8")
    app.add_js_file("plotly.min.js")  # inside html-page-context: for this page only


def unbuilt_reference(app, env, node, contnode):
    """A reference into a chapter this partial build left out: its text, no warning."""
    if not app.config.lapace_chapters_left_out:
        return None
    if node.get("reftype") in ("ref", "doc", "numref") and node.get("refdomain") in ("std", ""):
        LOG.info(f"partial build: reference {node.get('reftarget')!r} shown as text")
        return contnode
    return None


# ---------------------------------------------------------------------------------------------
# the boxes under a chapter's title
# ---------------------------------------------------------------------------------------------
#: beside ``<chapter>.ipynb``: what the build knows of that page (written by scripts/build_book.py)
PAGE_INFO_SUFFIX = ".lapace.json"
#: the key of the committed reference run's chapter times (scripts/build_book.py: measured_times)
REFERENCE_RUN = "paper (reference run)"


def _cell_text(value):
    return str(value).replace("|", "\\|").replace("\n", " ")


def banner_markdown(info, title="How this page was built"):
    """MyST admonition: ``info``'s profile, commit, data_source, date and (if it has ``run``:
    ``{status, seconds, error}``) run time; ``changed`` (``{name: [profile's value, this run's]}``)
    adds a column of the parameters that differ from the profile."""
    cols = [("Profile", f"`{info['profile']}`"), ("Commit", f"`{info['commit']}`"),
            ("Data source", info["data_source"]), ("Built", info["date"])]
    run = info.get("run")
    if run:
        cols.append(("Run time", f"{run['seconds']:.1f} s" + (
            "" if run["status"] == "ok" else f" (**{run['status']}**: {run.get('error', '')})")))
    if info.get("changed"):
        cols.append(("Changed from the profile", ", ".join(
            f"`{k}` = `{new!r}` (profile: `{old!r}`)" for k, (old, new) in info["changed"].items())))
    cells = [_cell_text(v) for _, v in cols]
    table = ("| " + " | ".join(k for k, _ in cols) + " |\n|" + "---|" * len(cols) + "\n| "
             + " | ".join(cells) + " |\n")
    return f"```{{admonition}} {title}\n:class: note\n\n{table}```\n"


def _duration(seconds):
    if seconds is None:
        return "not measured yet"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def rerun_markdown(info):
    """MyST admonition "Rerun this chapter": ``info["commands"]`` (``make``: lines of the
    ``make`` commands; ``notebook``: the lines of the Jupyter/papermill route), an optional
    ``note``, and the measured run times ``info["times"]`` (``{profile: seconds}`` of this
    chapter, :data:`REFERENCE_RUN` for the committed paper run)."""
    times = info.get("times") or {}
    profile = info.get("profile", "quick")

    def row(p):
        seconds = times.get(p)
        if seconds is None and p == "paper" and times.get(REFERENCE_RUN) is not None:
            return f"| `paper` | {_duration(times[REFERENCE_RUN])} (the reference run) |"
        return f"| `{p}` | {_duration(seconds)} |"

    rows = "\n".join(row(p) for p in dict.fromkeys(["quick", "paper", profile]))
    commands = info.get("commands") or {}
    make = "\n".join(commands.get("make") or [])
    notebook = "\n".join(commands.get("notebook") or [])
    text = ("````{admonition} Rerun this chapter\n:class: tip\n\n"
            "From the repository's root (`make` creates `.venv` with the pinned set):\n\n"
            f"```bash\n{make}\n```\n\n")
    if notebook:
        text += ("or as a notebook of your own, with this page's parameters (change any of "
                 "them; `jupytext --sync` keeps your edits of the `.ipynb`):\n\n"
                 f"```bash\n{notebook}\n```\n\n")
    if info.get("note"):
        text += info["note"].rstrip() + "\n\n"
    return text + f"| Profile | Run time of this chapter |\n|---|---|\n{rows}\n````\n"


def _is_title(source):
    """A Markdown cell that starts with the chapter's ``# title`` (after ``(label)=`` lines)."""
    lines = [ln for ln in source.lstrip().splitlines()
             if not (ln.startswith("(") and ln.rstrip().endswith(")="))]
    return bool(lines) and lines[0].startswith("# ")


def insert_boxes(nb, info):
    """Put the banner and (when ``info`` has ``commands``) the rerun box in the notebook ``nb``
    (nbformat v4), just below the title cell (below papermill's error note where there is one,
    and below the chapter's own ``reference-status`` box); earlier boxes are replaced.  The
    parameters cells fold behind a "show code" toggle."""
    import nbformat

    nb.cells = [c for c in nb.cells
                if not {"provenance", "rerun"} & set(c.metadata.get("tags", []))]
    at = 0
    for i, c in enumerate(nb.cells[:3]):
        if "papermill-error-cell-tag" in c.metadata.get("tags", []):
            at = i + 1
        elif c.cell_type == "markdown" and _is_title(c.source):
            at = i + 1
            break
        else:
            break
    while at < len(nb.cells) and "reference-status" in nb.cells[at].metadata.get("tags", []):
        at += 1
    boxes = [nbformat.v4.new_markdown_cell(banner_markdown(info), metadata={"tags": ["provenance"]})]
    if info.get("commands"):
        boxes.append(nbformat.v4.new_markdown_cell(rerun_markdown(info),
                                                   metadata={"tags": ["rerun"]}))
    nb.cells[at:at] = boxes
    # the parameters (and papermill's injected values) fold behind a toggle: the rerun box
    # above lists them, and a reader meets prose first
    for c in nb.cells:
        tags = c.metadata.get("tags", [])
        if {"parameters", "injected-parameters"} & set(tags) and "hide-input" not in tags:
            c.metadata["tags"] = [*tags, "hide-input"]
    return nb


def page_info_path(notebook):
    """``<chapter>.lapace.json`` beside ``<chapter>.ipynb``."""
    notebook = Path(notebook)
    return notebook.with_name(notebook.stem + PAGE_INFO_SUFFIX)


def add_boxes(app, docname, source):
    """source-read: a notebook with a ``.lapace.json`` beside it gets its two boxes."""
    path = Path(app.env.doc2path(docname))
    info_path = page_info_path(path)
    if path.suffix != ".ipynb" or not info_path.is_file():
        return
    import nbformat

    nb = nbformat.reads(source[0], as_version=4)
    insert_boxes(nb, json.loads(info_path.read_text(encoding="utf-8")))
    source[0] = nbformat.writes(nb)


def setup(app):
    app.add_config_value("lapace_chapters_left_out", [], "env")
    app.connect("source-read", add_boxes)
    # html-page-context stops at the first handler returning a value: run before those
    app.connect("html-page-context", add_plotly, priority=90)
    app.connect("html-page-context", dedupe_assets, priority=100)
    app.connect("missing-reference", unbuilt_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
