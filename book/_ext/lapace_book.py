"""Sphinx extension local to the book (loaded through ``local_extensions`` in _config.yml).

Drops duplicated ``<script>``/``<link>`` entries from every page: with Jupyter Book 1.0.4 and
Sphinx 7.4, the inline scripts of sphinx-thebe and sphinx-togglebutton are emitted twice, and the
second ``const THEBE_JS_URL = ...`` is a JavaScript SyntaxError in every page's console (which
``scripts/check_site.py`` reports).
"""


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


def setup(app):
    # html-page-context stops at the first handler returning a value: run before those
    app.connect("html-page-context", dedupe_assets, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

