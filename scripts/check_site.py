#!/usr/bin/env python
"""Open every page of the built book in headless Chromium (Playwright) and fail on anything a
reader would see broken.

    python scripts/check_site.py [_build/html] [--screenshots _build/screenshots]   # make check-site

The checks are parametrised pytest tests, one per page and reader check
(``tests/test_site.py``, which skips unless ``LAPACE_SITE`` names a built site); this script
serves the site and runs them. The site is served by a local HTTP server on 127.0.0.1 (random
free port) and opened in Debian's Chromium (``/usr/bin/chromium``, ``apt-get install -y
chromium``) through Playwright's own driver, never a browser that Playwright downloads
(``playwright install`` is not needed). For every ``*.html`` page a check (:data:`CHECKS`) fails
when

- ``links``: an internal ``href``/``src`` names no file or no ``id``/``name`` there, or an
  asset would come from outside the site;
- ``requests``: a request failed, went outside the site or got an HTTP error, or the page
  threw a JavaScript error;
- ``images``: an image did not load (``img.complete && img.naturalWidth > 0`` is false);
- ``math``: the page has math markup but MathJax produced no ``mjx-container`` for it (or an
  error), or ``$...$`` shows outside math, code and scripts;
- ``tracebacks``: the page shows an error output (a cell's traceback, ``.output.error``, or
  "Traceback (most recent call last)" in an output) or a stderr stream;
- ``leaks``: an output shows a machine path, a cache log or a warning (``...Warning:``), or
  the page text a machine path (``/work/``, ``/root/``, ``/home/``, ``/tmp/``) or an object
  repr (``<... at 0x...>``);
- ``tables``: a table reads as code: a column header that is an identifier (``n_inputs``) or a
  cell with more than 4 decimals (a raw frame);
- ``contradictions``: a sentence's comparing word disagrees with the numbers it quotes
  (:func:`lapace_book.show.text.contradictions`);
- ``overflow``: the page is wider than the 1280 px window (wide tables belong in a scrolling
  container) or a display equation is wider than its text column (clipped);
- ``figure_text``: a figure's smallest text is under :data:`MIN_TEXT_PX` px on screen at the
  1280 px window: the font size the image was drawn with (its PNG text chunk
  ``lapace:smallest-font-pt``, written by :func:`lapace_book.provenance.save_figure`, and the
  PNG's dpi) times its displayed width over its natural width; an image without that chunk is
  not measured (listed as a warning). ``--figure-text warn`` (``make check-site``'s default
  until the book's figures pass) reports these as warnings instead of failures;
- ``plotly``: a page holds a Plotly figure (``.plotly-graph-div``) and plotly.js is missing or
  comes from outside the site, the figure did not render, a slider step names an animation
  frame the figure lacks, or the figure is not interactive: a real mouse click at the end of
  its slider must select the last step, and picking the second entry of its dropdown must
  select it, each changing what the plot shows (its SVG, menus left out).

A full-page screenshot of every page is kept under ``_build/screenshots/`` (taken before any
click), and one of every Plotly figure after the clicks (``<page>__plotly-<n>.png``). The exit
status is pytest's: 0 all checks passed, 1 a check failed; 2 if the check could not run.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parent.parent
#: Debian's Chromium, as Playwright launches it (no downloaded browser, no sandbox in CI)
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
]
VIEWPORT = {"width": 1280, "height": 900}
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads"}
#: the smallest on-screen text a figure may have, in CSS pixels at the 1280 px window
MIN_TEXT_PX = 9.0
#: the PNG text chunk lapace_book.provenance.save_figure writes (the smallest font, in points)
FONT_KEY = "lapace:smallest-font-pt"
#: the reader checks, each a parametrised test per page (tests/test_site.py)
CHECKS = ("links", "requests", "images", "math", "tracebacks", "leaks", "tables",
          "contradictions", "overflow", "figure_text", "plotly")


# ---------------------------------------------------------------------------------------------
# static checks: internal links and anchors
# ---------------------------------------------------------------------------------------------
class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []  # (tag.attr, url)
        self.redirect = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            url = (a.get("content") or "").partition("url=")[2].strip()
            if url:
                self.refs.append(("meta.refresh", url))
                self.redirect = True
        for name in ("id", "name") if tag == "a" else ("id",):
            if a.get(name):
                self.ids.add(a[name])
        for attr in ("href", "src"):
            url = a.get(attr)
            if url and tag in ("a", "link", "img", "script", "source", "iframe", "area"):
                self.refs.append((f"{tag}.{attr}", url))


@functools.cache
def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(errors="replace"))
    return p


def broken_links(site: Path, page: Path) -> list[str]:
    """Internal href/src of ``page`` that do not resolve (file or anchor); external assets."""
    problems = []
    for what, url in _parse(page).refs:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "//") or url.startswith("//"):
            if what in ("script.src", "img.src", "iframe.src") or (
                    what == "link.href" and parts.path.endswith((".css", ".js", ".woff2"))):
                problems.append(f"external asset {url}")
            continue
        if parts.scheme or url.startswith(("mailto:", "javascript:", "data:")):
            continue
        target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        try:
            target.relative_to(site)
        except ValueError:
            problems.append(f"{url} points outside the site")
            continue
        if not target.exists():
            problems.append(f"{url} (no such file)")
        elif parts.fragment and target.suffix == ".html" and \
                unquote(parts.fragment) not in _parse(target).ids:
            problems.append(f"{url} (no anchor #{parts.fragment})")
    return problems


# ---------------------------------------------------------------------------------------------
# HTTP server and browser
# ---------------------------------------------------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def find_chromium(explicit: str | None) -> str:
    for cand in (explicit, os.environ.get("CHROMIUM"), "/usr/bin/chromium",
                 shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and Path(cand).exists():
            return cand
    raise SystemExit("check_site: Chromium not found; install Debian's package as root: "
                     "apt-get update && apt-get install -y chromium")


# what the page itself reports, once loaded and MathJax has finished
PAGE_PROBE = r"""
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  // load every image now, even lazy ones below the fold
  for (const img of document.images) { img.loading = "eager"; }
  const until = Date.now() + 15000;
  while (Date.now() < until && [...document.images].some(i => !i.complete)) { await sleep(100); }
  // MathJax 3: wait for its start-up typesetting
  let mathjax = "absent";
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await Promise.race([MathJax.startup.promise, sleep(20000)]); mathjax = "done"; }
    catch (e) { mathjax = "error: " + e; }
  }
  const mathEls = [...document.querySelectorAll("span.math, div.math")];
  const unrendered = mathEls.filter(el => !el.querySelector("mjx-container"));
  const images = [...document.images];
  const broken = images.filter(i => !(i.complete && i.naturalWidth > 0));
  const errorEls = [...document.querySelectorAll(
      ".output.error, .output.traceback, div.output_error, .cell_output .traceback")];
  const outputs = [...document.querySelectorAll(".cell_output, .output, .output_area")];
  const tracebacks = outputs.filter(
      o => o.textContent.includes("Traceback (most recent call last)"));
  // what a reader must never see in an output: machine paths, cache logs, warnings
  const leakPattern =
      /(\/(work|home|root|tmp|Users)\/[^\s]*|loaded from cache|stored in \S*\.cache|\w+Warning:)/;
  const leaks = outputs.map(o => (o.textContent.match(leakPattern) || [null])[0]).filter(x => x);
  // ... and nowhere on the page (prose, boxes, tables): a machine path or an object repr
  const main = document.querySelector("main") || document.body;
  const pageText = main.innerText;
  const pathPattern = /(?:^|[\s"'`(=:])(\/(?:work|home|root|tmp|Users)\/[^\s"'`)]*)/g;
  const paths = [...pageText.matchAll(pathPattern)].map(m => m[1]);
  const reprs = pageText.match(/<[A-Za-z_][\w.]*(?: object)? at 0x[0-9a-fA-F]+>/g) || [];
  // text outside math, code and scripts: a `$...$` there is math MathJax never saw
  const clone = main.cloneNode(true);
  clone.querySelectorAll("pre, code, script, style, mjx-container, .math, textarea")
       .forEach(el => el.remove());
  const rawMath = (clone.textContent.match(/\$[^$\s][^$\n]{0,80}?\$/g) || []);
  const stderr = document.querySelectorAll(".output.stderr, .stderr").length;
  // tables for a reader: headers are words (not `n_inputs`), numbers have a few digits
  const codeHeaders = [...main.querySelectorAll("thead th")].map(th => th.textContent.trim())
      .filter(t => /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(t));
  const longNumbers = [...main.querySelectorAll("td")].map(td => td.textContent.trim())
      .filter(t => /^[-+]?\d*\.\d{5,}$/.test(t));
  const warnings = [...new Set(outputs.map(
      o => (o.textContent.match(/\b\w*Warning:[^\n]{0,60}/) || [null])[0]).filter(x => x))];
  // the page at 1280 px: nothing may push it sideways, no display equation may be clipped
  const viewport = window.innerWidth;
  const pageWidth = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
  const wide = pageWidth > viewport + 1 ? [...main.querySelectorAll("*")]
      .filter(el => el.getBoundingClientRect().right > viewport + 1)
      .filter(el => !el.parentElement || el.parentElement.getBoundingClientRect().right
                    <= viewport + 1)
      .slice(0, 3).map(el => el.tagName.toLowerCase() + (typeof el.className === "string"
                       && el.className ? "." + el.className.split(" ")[0] : "")) : [];
  const clipped = [...document.querySelectorAll('mjx-container[display="true"]')]
      .filter(el => el.scrollWidth > el.clientWidth + 2 ||
                    el.getBoundingClientRect().right > (el.closest(".bd-article, article, main")
                        || document.body).getBoundingClientRect().right + 2)
      .map(el => (el.querySelector("mjx-assistive-mml") || el).textContent.slice(0, 50));
  return {
    leaks: [...new Set(leaks)],
    paths: [...new Set(paths)],
    reprs: [...new Set(reprs)],
    rawMath: [...new Set(rawMath)],
    stderr: stderr,
    codeHeaders: [...new Set(codeHeaders)],
    longNumbers: longNumbers.slice(0, 3),
    text: pageText,
    warnings: warnings,
    overflow: pageWidth > viewport + 1 ? {page: pageWidth, viewport: viewport, wide: wide}
                                       : null,
    clippedMath: clipped,
    title: document.title,
    images: images.length,
    brokenImages: broken.map(i => i.getAttribute("src")),
    mathMarkup: mathEls.length + document.querySelectorAll("mjx-container").length,
    mathjax: mathjax,
    mjx: document.querySelectorAll("mjx-container").length,
    unrenderedMath: unrendered.map(el => el.textContent.slice(0, 60)),
    mathErrors: document.querySelectorAll("mjx-merror").length,
    // count each error once: drop elements nested in another flagged element
    errorOutputs: (() => {
      const all = [...new Set([...errorEls, ...tracebacks])];
      return all.filter(e => !all.some(o => o !== e && o.contains(e))).length;
    })(),
    height: Math.max(document.body.scrollHeight, document.documentElement.scrollHeight),
    plotlyFigures: document.querySelectorAll(".plotly-graph-div").length,
    // every image as the reader sees it at this window width: its file, shown and natural width
    figures: images.filter(i => i.naturalWidth > 0).map(i => ({
        src: i.currentSrc || i.src, shown: i.getBoundingClientRect().width,
        natural: i.naturalWidth})),
  };
})()
"""

# a page's Plotly figures: plotly.js (and where from), rendered, the slider's frames; the
# helpers that the clicks below use (window.__checkSite)
PLOTLY_PROBE = r"""
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const divs = [...document.querySelectorAll(".plotly-graph-div")];
  const drawn = gd => gd.classList.contains("js-plotly-plot")
      && !!gd.querySelector("svg.main-svg, canvas");
  const until = Date.now() + 15000;
  while (Date.now() < until && divs.some(d => !drawn(d))) { await sleep(100); }
  // what the plot shows: its SVG without the menus and sliders (they move when clicked)
  const shown = gd => {
    let h = 0;
    for (const svg of gd.querySelectorAll("svg.main-svg")) {
      const c = svg.cloneNode(true);
      c.querySelectorAll(".menulayer, .hoverlayer").forEach(e => e.remove());
      for (const ch of c.outerHTML) { h = (h * 31 + ch.charCodeAt(0)) | 0; }
    }
    return h;
  };
  const centre = el => {
    el.scrollIntoView({block: "center", inline: "nearest", behavior: "instant"});
    const r = el.getBoundingClientRect();
    return {x: r.left + r.width / 2, y: r.top + r.height / 2, right: r.right, left: r.left,
            top: r.top, bottom: r.bottom, width: r.width, height: r.height};
  };
  window.__checkSite = {shown, centre};
  return {
    plotly: typeof window.Plotly === "object" && typeof Plotly.newPlot === "function",
    version: window.Plotly ? Plotly.version : null,
    sources: [...document.scripts].map(s => s.src).filter(s => /plotly/i.test(s)),
    figures: divs.map(gd => {
      const sliders = (gd._fullLayout && gd._fullLayout.sliders) || [];
      const menus = ((gd._fullLayout && gd._fullLayout.updatemenus) || [])
          .filter(m => m.type !== "buttons");
      const frames = (gd._transitionData && gd._transitionData._frameHash) || {};
      const steps = sliders.length ? sliders[0].steps : [];
      return {
        id: gd.id, drawn: drawn(gd), steps: steps.length,
        buttons: menus.length ? menus[0].buttons.length : 0,
        frames: Object.keys(frames).length,
        missingFrames: steps.filter(s => s.method === "animate")
            .flatMap(s => (s.args[0] || [])).filter(n => !(n in frames)),
      };
    }),
  };
})()
"""



def site_pages(site: Path) -> list[Path]:
    """Every ``*.html`` page of the site (assets' folders left out), sorted."""
    return sorted(p for p in site.rglob("*.html")
                  if not SKIP_DIRS.intersection(p.relative_to(site).parts))


@dataclass
class PageResult:
    """One page's findings, by check (:data:`CHECKS`), and what the summary shows."""

    page: str
    problems: dict[str, list[str]] = field(default_factory=lambda: {c: [] for c in CHECKS})
    notes: list[str] = field(default_factory=list)  # not failures: e.g. an unmeasured image
    images: int = 0
    math: str = "-"
    smallest_text_px: float | None = None

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())


def image_file(site: Path, base_url: str, src: str) -> Path | None:
    """The site's file behind an image URL (``None`` for data: URLs or outside the site)."""
    if not src.startswith(base_url):
        return None
    path = (site / unquote(urlsplit(src).path.removeprefix(urlsplit(base_url).path))).resolve()
    return path if path.is_file() else None


def figure_text(site: Path, base_url: str, figures: list[dict]) -> tuple[list[str], list[str],
                                                                       float | None]:
    """``(problems, notes, smallest px)`` for the page's images: each PNG's smallest font on
    screen = points × dpi / 72 (the image's pixels) × shown width / natural width."""
    from PIL import Image

    problems, notes, smallest = [], [], None
    for fig in figures:
        path = image_file(site, base_url, fig["src"])
        if path is None or path.suffix.lower() != ".png" or not fig["natural"]:
            continue
        with Image.open(path) as im:
            info = dict(im.info)
        if FONT_KEY not in info:
            notes.append(f"figure text not measured (no {FONT_KEY} in {path.name})")
            continue
        dpi = float((info.get("dpi") or (72, 72))[0]) or 72.0
        on_screen = float(info[FONT_KEY]) * dpi / 72 * fig["shown"] / fig["natural"]
        smallest = on_screen if smallest is None else min(smallest, on_screen)
        if on_screen < MIN_TEXT_PX:
            problems.append(
                f"figure {path.name}: smallest text {on_screen:.1f} px on screen (< {MIN_TEXT_PX:g}"
                f" px at a {VIEWPORT['width']} px window: {info[FONT_KEY]} pt at {dpi:.0f} dpi, "
                f"shown {fig['shown']:.0f} of {fig['natural']} px wide); enlarge the fonts or "
                "the figure's share of the column")
    return problems, notes, smallest


class SiteChecker:
    """The site on a local server, one Chromium page (Playwright), every page checked once."""

    def __init__(self, site: Path, screenshots: Path, browser, timeout: float = 60) -> None:
        self.site, self.shots, self.timeout = site.resolve(), screenshots, timeout
        self.server, self.base_url = serve(self.site)
        self.context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        self.page = self.context.new_page()
        self.page.set_default_timeout(timeout * 1000)
        self.events: list[tuple[str, str]] = []
        self.page.on("requestfailed", self._failed)
        self.page.on("request", lambda r: self.events.append(("request", r.url)))
        self.page.on("response", lambda r: self.events.append(("response", f"{r.status} {r.url}")))
        self.page.on("pageerror", lambda e: self.events.append(("pageerror", str(e))))
        self.results: dict[str, PageResult] = {}

    def _failed(self, request) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" not in failure:  # a request the page itself cancelled
            self.events.append(("failed", f"{failure} ({request.resource_type} {request.url})"))

    def close(self) -> None:
        try:
            self.context.close()
        finally:
            self.server.shutdown()

    def result(self, rel: str) -> PageResult:
        """The page's findings (checked on first ask)."""
        if rel not in self.results:
            try:
                self.results[rel] = self.check_page(self.site / rel)
            except Exception as err:  # a page that cannot be checked fails every check
                res = PageResult(rel)
                for c in CHECKS:
                    res.problems[c].append(f"could not check the page: {type(err).__name__}: "
                                           f"{str(err).splitlines()[0] if str(err) else ''}")
                self.results[rel] = res
        return self.results[rel]

    def check_page(self, page: Path) -> PageResult:
        from lapace_book.show.text import contradictions

        rel = page.relative_to(self.site).as_posix()
        res = PageResult(rel)
        res.problems["links"] = [f"broken link: {b}" for b in broken_links(self.site, page)]
        if _parse(page).redirect:  # e.g. index.html -> book/intro.html: its target is checked
            res.math = "redirect"
            return res
        self.events.clear()
        self.page.goto(self.base_url + rel, wait_until="load")
        probe = self.page.evaluate(PAGE_PROBE)
        p = res.problems
        for kind, text in self.events:
            if kind == "failed":
                p["requests"].append(f"request failed: {text}")
            elif kind == "request" and not text.startswith((self.base_url, "data:", "about:",
                                                            "blob:")):
                p["requests"].append(f"request outside the site: {text}")
            elif kind == "response":
                status, _, url = text.partition(" ")
                # Chromium asks for /favicon.ico by itself on some pages (the site has none)
                if int(status) >= 400 and urlsplit(url).path != "/favicon.ico":
                    p["requests"].append(f"HTTP {status}: {url}")
            elif kind == "pageerror":
                p["requests"].append("javascript error: " + (text.splitlines() or [""])[0])

        res.images = probe["images"]
        p["images"] += [f"image did not load: {src}" for src in probe["brokenImages"]]
        if probe["mathMarkup"]:
            if probe["unrenderedMath"] or probe["mjx"] == 0:
                res.math = "NO"
                p["math"].append(f"math not rendered by MathJax ({probe['mathjax']}): "
                                 f"{probe['unrenderedMath'][:3]}")
            elif probe["mathErrors"]:
                res.math = "ERR"
                p["math"].append(f"{probe['mathErrors']} MathJax error(s) (mjx-merror)")
            else:
                res.math = "ok"
        p["math"] += [f"unrendered math in the page text: {t[:80]}" for t in probe["rawMath"]]
        p["leaks"] += [f"output shows a machine path, cache log or warning: {t[:80]}"
                       for t in probe["leaks"]]
        p["leaks"] += [f"page shows a machine path: {t[:80]}" for t in probe["paths"]]
        p["leaks"] += [f"page shows an object repr: {t[:80]}" for t in probe["reprs"]]
        p["leaks"] += [f"output shows a warning: {t[:80]}" for t in probe["warnings"]
                       if not any(t in leak for leak in probe["leaks"])]
        p["tables"] += [f"table header reads as code: {t!r} (write it in words)"
                        for t in probe["codeHeaders"]]
        if probe["longNumbers"]:
            p["tables"].append(f"table cells with more than 4 decimals: {probe['longNumbers']} "
                               "(round for reading: 2-3 significant digits)")
        p["contradictions"] += [f"sentence contradicts the numbers it quotes: {t[:160]}"
                                for t in contradictions(probe["text"])]
        if probe["stderr"]:
            p["tracebacks"].append(f"{probe['stderr']} stderr output(s) shown")
        if probe["errorOutputs"]:
            p["tracebacks"].append(f"{probe['errorOutputs']} error output(s) / traceback(s) shown")
        if probe["overflow"]:
            o = probe["overflow"]
            p["overflow"].append(f"page wider than the window: {o['page']} px > {o['viewport']} px "
                                 f"(sticking out: {', '.join(o['wide']) or '?'}); put wide "
                                 "content in a horizontally scrolling container")
        p["overflow"] += [f"display equation wider than the text column (clipped): {t}"
                          for t in probe["clippedMath"]]
        p["figure_text"], res.notes, res.smallest_text_px = figure_text(
            self.site, self.base_url, probe["figures"])

        out = self.shots / (rel.removesuffix(".html").replace("/", "__") + ".png")
        out.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(out), full_page=True)
        if probe["plotlyFigures"]:
            p["plotly"] += self.check_plotly(self.shots / out.stem)
        return res

    # -- Plotly --------------------------------------------------------------------------------
    def _evaluate(self, expression: str):
        return self.page.evaluate(expression)

    def _steady_centre(self, element: str, timeout: float = 5.0) -> dict:
        """``__checkSite.centre(element)`` once two readings 0.2 s apart agree (the layout has
        settled), or the last reading after ``timeout`` seconds."""
        deadline, last = time.monotonic() + timeout, None
        while True:
            box = self._evaluate(f"__checkSite.centre({element})")
            if box == last or time.monotonic() > deadline:
                return box
            last = box
            time.sleep(0.2)

    def _wait_for(self, expression: str, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._evaluate(expression):
                return True
            time.sleep(0.1)
        return False

    def check_plotly(self, shot_stem: Path) -> list[str]:
        """The page's Plotly figures: plotly.js from the site, rendered, and interactive (a
        real click at the end of the slider selects its last step, a click on the dropdown's
        second entry selects it, each changing what the plot shows); a screenshot of each."""
        info = self._evaluate(PLOTLY_PROBE)
        if not info["plotly"]:
            return [f"{len(info['figures'])} Plotly figure(s) but plotly.js did not load "
                    "(window.Plotly missing)"]
        problems = [f"plotly.js loaded from outside the site: {src}" for src in info["sources"]
                    if not src.startswith(self.base_url)]
        mouse = self.page.mouse
        for n, fig in enumerate(info["figures"]):
            name = f"Plotly figure #{fig['id']}"
            if not fig["drawn"]:
                problems.append(f"{name} did not render (no .js-plotly-plot with an svg or canvas)")
                continue
            if fig["missingFrames"]:
                problems.append(f"{name}: slider steps name missing frames {fig['missingFrames'][:3]}")
            gd = f"document.getElementById({json.dumps(fig['id'])})"
            if fig["steps"] > 1:
                before = self._evaluate(f"__checkSite.shown({gd})")
                last, selected = fig["steps"] - 1, False
                for _ in range(CLICK_TRIES):  # the page may still move under the first click
                    rail = self._steady_centre(f"{gd}.querySelector('.slider-rail-touch-rect')")
                    mouse.click(rail["right"] - 2, rail["y"])
                    selected = self._wait_for(f"{gd}._fullLayout.sliders[0].active === {last}")
                    if selected:
                        break
                if not selected:
                    problems.append(f"{name}: a click at the end of its slider did not select "
                                    f"the last of its {fig['steps']} steps")
                elif not self._wait_for(f"__checkSite.shown({gd}) !== {before}"):
                    problems.append(f"{name}: the slider's last step changed nothing on screen")
            if fig["buttons"] > 1:
                before = self._evaluate(f"__checkSite.shown({gd})")
                head = self._evaluate(f"__checkSite.centre({gd}.querySelector("
                                      "'.updatemenu-header .updatemenu-item-rect'))")
                mouse.click(head["x"], head["y"])
                entry = self._evaluate(
                    f"(() => {{ const b = {gd}.querySelectorAll("
                    "'.updatemenu-dropdown-button-group .updatemenu-dropdown-button'); "
                    "return b.length > 1 ? __checkSite.centre(b[1]) : null; })()")
                if entry is None:
                    problems.append(f"{name}: clicking its dropdown showed no entries")
                else:
                    mouse.click(entry["x"], entry["y"])
                    if not self._wait_for(f"{gd}._fullLayout.updatemenus[0].active === 1"):
                        problems.append(f"{name}: a click on the dropdown's second entry did "
                                        "not select it")
                    elif not self._wait_for(f"__checkSite.shown({gd}) !== {before}"):
                        problems.append(f"{name}: the dropdown's second entry changed nothing "
                                        "on screen")
            time.sleep(0.6)  # menus fade out
            self._evaluate(f"{gd}.scrollIntoView({{block: 'start', behavior: 'instant'}})")
            self.page.locator(f"[id={json.dumps(fig['id'])}]").screenshot(
                path=str(shot_stem.with_name(f"{shot_stem.name}__plotly-{n}.png")))
        return problems


#: clicks a control gets before the check says it does not respond
CLICK_TRIES = 3


def summary(results: list[PageResult]) -> str:
    """The table printed after the tests: per page images, math, smallest figure text, result."""
    w = max([len(r.page) for r in results] + [4])
    lines = [f"{'page':<{w}}  images  math  smallest text  result"]
    for r in results:
        small = "-" if r.smallest_text_px is None else f"{r.smallest_text_px:.1f} px"
        lines.append(f"{r.page:<{w}}  {r.images:>6}  {r.math:>4}  {small:>13}  "
                     f"{'ok' if r.ok else 'FAIL'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Check the built book in headless Chromium.")
    ap.add_argument("site", nargs="?", type=Path, default=REPO / "_build" / "html")
    ap.add_argument("--screenshots", type=Path, default=REPO / "_build" / "screenshots")
    ap.add_argument("--chromium", default=None, help="browser executable (default: chromium)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per page")
    ap.add_argument("--figure-text", choices=("fail", "warn"),
                    default=os.environ.get("FIGURE_TEXT") or "fail",
                    help=f"a figure text under {MIN_TEXT_PX:g} px fails the check (default) or "
                         "is only reported as a warning")
    ap.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = ap.parse_args(argv)

    site = args.site.resolve()
    if not (site / "index.html").exists():
        print(f"check_site: {site}/index.html not found; run `make book` first", file=sys.stderr)
        return 2
    try:
        chromium = find_chromium(args.chromium)
        import playwright.sync_api  # noqa: F401
    except (SystemExit, ImportError) as err:
        print(f"check_site: {err}", file=sys.stderr)
        return 2
    shutil.rmtree(args.screenshots, ignore_errors=True)
    args.screenshots.mkdir(parents=True)
    os.environ.update(LAPACE_SITE=str(site), LAPACE_SITE_SCREENSHOTS=str(args.screenshots.resolve()),
                      LAPACE_SITE_TIMEOUT=str(args.timeout), CHROMIUM=chromium,
                      LAPACE_SITE_FIGURE_TEXT=args.figure_text)
    import pytest

    rc = pytest.main(["-q", "-s", "-rfE", "-p", "no:cacheprovider", "--rootdir", str(REPO),
                      str(REPO / "tests" / "test_site.py"), *args.pytest_args])
    print(f"check_site: screenshots in {args.screenshots}")
    return {0: 0, 1: 1}.get(int(rc), 2)


if __name__ == "__main__":
    sys.exit(main())
