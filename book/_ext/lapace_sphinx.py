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
"""

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


def setup(app):
    app.add_config_value("lapace_chapters_left_out", [], "env")
    # html-page-context stops at the first handler returning a value: run before those
    app.connect("html-page-context", add_plotly, priority=90)
    app.connect("html-page-context", dedupe_assets, priority=100)
    app.connect("missing-reference", unbuilt_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
