#!/usr/bin/env python
"""Open every page of the built book in headless Chromium and fail on anything a reader would
see broken.

    python scripts/check_site.py [_build/html] [--screenshots _build/screenshots]

The site is served by a local HTTP server on 127.0.0.1 (random free port). For every ``*.html``
page the check fails when

- an image did not load (``img.complete && img.naturalWidth > 0`` is false),
- the page has math markup but MathJax produced no ``mjx-container`` for it (or an error),
- the page shows an error output (a cell's traceback, ``.output.error``/``.output.traceback``,
  or "Traceback (most recent call last)" in an output),
- a link or asset inside the site is broken (every internal ``href``/``src`` must name an existing
  file and, with ``#anchor``, an existing ``id``/``name`` there),
- a request failed (e.g. an asset that would come from a CDN, unreachable offline),
- an output shows a machine path, a cache log, a warning (``...Warning:``) or a stderr stream,
- the page text shows a machine path (``/work/``, ``/root/``, ``/home/``, ``/tmp/``), an object
  repr (``<... at 0x...>``) or ``$...$`` outside math, code and scripts (math MathJax never saw),
- a table reads as code: a column header that is an identifier (``n_inputs``) or a cell with
  more than 4 decimals (a raw frame),
- a sentence's comparing word disagrees with the numbers it quotes
  (:func:`lapace_book.show.text.contradictions`: "earlier than ... (0.65 against 0.80)", "higher ... on
  3 of 4 data sets (...)"),
- the page is wider than the 1280 px window (horizontal overflow: wide tables belong in a
  scrolling container) or a display equation is wider than its text column (clipped),
- a page holds a Plotly figure (``.plotly-graph-div``) and plotly.js is missing or comes from
  outside the site, the figure did not render (``.js-plotly-plot`` with an ``svg``/``canvas``),
  a slider step names an animation frame the figure lacks, or the figure is not interactive:
  a real mouse click (Chrome DevTools ``Input.dispatchMouseEvent``) at the end of its slider
  must select the last step, and picking the second entry of its dropdown must select it,
  each changing what the plot shows (its SVG, menus left out).

A full-page screenshot of every page is kept under ``_build/screenshots/`` (taken before any
click), and one of every Plotly figure after the clicks (``<page>__plotly-<n>.png``). A summary table is
printed; the exit status is 1 on any failure, 2 if the check could not run.

Chromium is Debian's ``chromium`` (``apt-get install -y chromium``), driven through the Chrome
DevTools protocol over ``--remote-debugging-pipe``: no Python dependency, no driver binary, no
debugging port.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lapace_book.show.text import contradictions  # the package is installed in the venv

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
    "--window-size=1280,900", "--remote-debugging-pipe",
]
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads"}


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


class Browser:
    """Minimal Chrome DevTools protocol client over --remote-debugging-pipe (fd 3 in, 4 out)."""

    def __init__(self, executable: str, timeout: float = 60) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="check-site-chromium-")
        # the browser reads commands on fd 3 and writes replies on fd 4; use fds >= 10 here so
        # that the (bash) redirections below cannot clobber one another
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        import fcntl

        to_r_hi = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10)
        from_w_hi = fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
        os.close(to_r)
        os.close(from_w)
        cmd = [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        shell = f'exec "$@" 3<&{to_r_hi} 4>&{from_w_hi} {to_r_hi}<&- {from_w_hi}>&-'
        self.log = open(Path(self.profile).parent / f"{Path(self.profile).name}.log", "wb")
        self.proc = subprocess.Popen(["bash", "-c", shell, "bash", *cmd],
                                     pass_fds=(to_r_hi, from_w_hi), stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        os.close(to_r_hi)
        os.close(from_w_hi)
        self._w = os.fdopen(to_w, "wb", buffering=0)
        self._r = os.fdopen(from_r, "rb", buffering=0)
        self._next = 0
        self._replies: dict[int, queue.Queue] = {}
        self._events: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._reader, daemon=True).start()
        self.session = None

    def _reader(self) -> None:
        buf = b""
        while True:
            chunk = self._r.read(1 << 16)
            if not chunk:  # the browser exited: fail every pending and future command
                with self._lock:
                    self.closed = True
                    for q in self._replies.values():
                        q.put({"error": "browser closed the DevTools pipe"})
                self._events.put({"method": "__closed__"})
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self._lock:
                        q = self._replies.get(msg["id"])
                    if q is not None:
                        q.put(msg)
                else:
                    self._events.put(msg)

    def send(self, method: str, params: dict | None = None, session: bool = True,
             timeout: float | None = None) -> dict:
        with self._lock:
            if self.closed:
                raise RuntimeError(f"{method}: browser closed the DevTools pipe")
            self._next += 1
            mid = self._next
            q = self._replies[mid] = queue.Queue()
        msg = {"id": mid, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        try:
            self._w.write(json.dumps(msg).encode() + b"\0")
        except BrokenPipeError:
            raise RuntimeError(f"{method}: browser closed the DevTools pipe") from None
        try:
            reply = q.get(timeout=timeout or self.timeout)
        except queue.Empty:
            raise TimeoutError(f"no reply to {method} in {timeout or self.timeout} s") from None
        finally:
            with self._lock:
                self._replies.pop(mid, None)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def events(self) -> list[dict]:
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    def wait_event(self, method: str, timeout: float) -> list[dict]:
        """Wait for ``method``; return all events seen meanwhile (the awaited one last)."""
        seen, deadline = [], time.monotonic() + timeout
        while True:
            try:
                ev = self._events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no {method} within {timeout} s") from None
            seen.append(ev)
            if ev.get("method") == method:
                return seen
            if ev.get("method") == "__closed__":
                raise RuntimeError("browser closed the DevTools pipe")

    def open_page(self) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        att = self.send("Target.attachToTarget", {"targetId": target["targetId"],
                                                  "flatten": True}, session=False)
        self.session = att["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})

    def evaluate(self, expression: str, timeout: float | None = None) -> object:
        res = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                             "returnByValue": True}, timeout=timeout)
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails'].get('text')} "
                               f"{res['exceptionDetails'].get('exception', {}).get('description')}")
        return res["result"].get("value")

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
        Path(self.log.name).unlink(missing_ok=True)

    def log_tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-2000:]


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


@dataclass
class PageResult:
    page: str
    images: int = 0
    math: str = "-"
    errors: int = 0
    broken: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_page(browser: Browser, site: Path, base_url: str, page: Path, shots: Path,
               timeout: float) -> PageResult:
    rel = page.relative_to(site).as_posix()
    res = PageResult(rel)
    res.broken = broken_links(site, page)
    res.problems += [f"broken link: {b}" for b in res.broken]
    if _parse(page).redirect:  # e.g. index.html -> book/intro.html: its target is checked
        res.math = "redirect"
        return res

    browser.events()  # drop what earlier pages left
    browser.send("Page.navigate", {"url": base_url + rel})
    events = browser.wait_event("Page.loadEventFired", timeout)
    probe = browser.evaluate(PAGE_PROBE, timeout=timeout)
    events += browser.events()
    for ev in events:
        p = ev.get("params", {})
        if ev.get("method") == "Network.loadingFailed" and not p.get("canceled"):
            res.problems.append(f"request failed: {p.get('errorText')} "
                                f"({p.get('type', '')} {p.get('requestId')})")
        elif ev.get("method") == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if not url.startswith((base_url, "data:", "about:", "blob:")):
                res.problems.append(f"request outside the site: {url}")
        elif ev.get("method") == "Network.responseReceived":
            status = p.get("response", {}).get("status", 200)
            url = p.get("response", {}).get("url", "")
            # Chromium asks for /favicon.ico by itself on some pages (the site has none): not
            # a request of the page, and whether it is made depends on timing
            if status >= 400 and urlsplit(url).path != "/favicon.ico":
                res.problems.append(f"HTTP {status}: {url}")
        elif ev.get("method") == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            res.problems.append("javascript error: " + str(
                d.get("exception", {}).get("description", d.get("text", ""))).splitlines()[0])

    res.images = probe["images"]
    res.problems += [f"image did not load: {src}" for src in probe["brokenImages"]]
    if probe["mathMarkup"]:
        if probe["unrenderedMath"] or probe["mjx"] == 0:
            res.math = "NO"
            res.problems.append(f"math not rendered by MathJax ({probe['mathjax']}): "
                                f"{probe['unrenderedMath'][:3]}")
        elif probe["mathErrors"]:
            res.math = "ERR"
            res.problems.append(f"{probe['mathErrors']} MathJax error(s) (mjx-merror)")
        else:
            res.math = "ok"
    res.problems += [f"output shows a machine path, cache log or warning: {t[:80]}"
                     for t in probe["leaks"]]
    res.problems += [f"page shows a machine path: {t[:80]}" for t in probe["paths"]]
    res.problems += [f"page shows an object repr: {t[:80]}" for t in probe["reprs"]]
    res.problems += [f"unrendered math in the page text: {t[:80]}" for t in probe["rawMath"]]
    res.problems += [f"output shows a warning: {t[:80]}" for t in probe["warnings"]
                     if not any(t in leak for leak in probe["leaks"])]
    res.problems += [f"table header reads as code: {t!r} (write it in words)"
                     for t in probe["codeHeaders"]]
    if probe["longNumbers"]:
        res.problems.append(f"table cells with more than 4 decimals: {probe['longNumbers']} "
                            "(round for reading: 2-3 significant digits)")
    res.problems += [f"sentence contradicts the numbers it quotes: {t[:160]}"
                     for t in contradictions(probe["text"])]
    if probe["stderr"]:
        res.problems.append(f"{probe['stderr']} stderr output(s) shown")
    if probe["overflow"]:
        o = probe["overflow"]
        res.problems.append(f"page wider than the window: {o['page']} px > {o['viewport']} px "
                            f"(sticking out: {', '.join(o['wide']) or '?'}); put wide content "
                            "in a horizontally scrolling container")
    res.problems += [f"display equation wider than the text column (clipped): {t}"
                     for t in probe["clippedMath"]]
    res.errors = probe["errorOutputs"]
    if res.errors:
        res.problems.append(f"{res.errors} error output(s) / traceback(s) shown")

    shot = browser.send("Page.captureScreenshot", {"format": "png",
                                                   "captureBeyondViewport": True},
                        timeout=timeout)
    out = shots / (rel.removesuffix(".html").replace("/", "__") + ".png")
    out.write_bytes(base64.b64decode(shot["data"]))
    if probe["plotlyFigures"]:
        res.problems += check_plotly(browser, base_url, shots / out.stem, timeout)
    return res


def _click(browser: Browser, x: float, y: float) -> None:
    """A real left click at viewport point (x, y)."""
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                  "button": "left", "clickCount": 1})


#: clicks a control gets before the check says it does not respond
CLICK_TRIES = 3


def _steady_centre(browser: Browser, element: str, timeout: float = 5.0) -> dict:
    """``__checkSite.centre(element)`` once two readings 0.2 s apart agree (the layout has
    settled), or the last reading after ``timeout`` seconds."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        box = browser.evaluate(f"__checkSite.centre({element})")
        if box == last or time.monotonic() > deadline:
            return box
        last = box
        time.sleep(0.2)


def _wait_for(browser: Browser, expression: str, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if browser.evaluate(expression):
            return True
        time.sleep(0.1)
    return False


def check_plotly(browser: Browser, base_url: str, shot_stem: Path, timeout: float) -> list[str]:
    """The page's Plotly figures: plotly.js from the site, rendered, and interactive (a click
    at the end of the slider selects its last step, a click on the dropdown's second entry
    selects it, each changing what the plot shows); a screenshot of each after the clicks."""
    info = browser.evaluate(PLOTLY_PROBE, timeout=timeout)
    if not info["plotly"]:
        return [f"{len(info['figures'])} Plotly figure(s) but plotly.js did not load "
                "(window.Plotly missing)"]
    problems = [f"plotly.js loaded from outside the site: {src}" for src in info["sources"]
                if not src.startswith(base_url)]
    for n, fig in enumerate(info["figures"]):
        name = f"Plotly figure #{fig['id']}"
        if not fig["drawn"]:
            problems.append(f"{name} did not render (no .js-plotly-plot with an svg or canvas)")
            continue
        if fig["missingFrames"]:
            problems.append(f"{name}: slider steps name missing frames {fig['missingFrames'][:3]}")
        gd = f"document.getElementById({json.dumps(fig['id'])})"
        if fig["steps"] > 1:
            before = browser.evaluate(f"__checkSite.shown({gd})")
            last, selected = fig["steps"] - 1, False
            for _ in range(CLICK_TRIES):       # the page may still move (images, fonts) under
                rail = _steady_centre(browser,  # the first click: measure, click, look again
                                      f"{gd}.querySelector('.slider-rail-touch-rect')")
                _click(browser, rail["right"] - 2, rail["y"])
                selected = _wait_for(browser, f"{gd}._fullLayout.sliders[0].active === {last}")
                if selected:
                    break
            if not selected:
                problems.append(f"{name}: a click at the end of its slider did not select the "
                                f"last of its {fig['steps']} steps")
            elif not _wait_for(browser, f"__checkSite.shown({gd}) !== {before}"):
                problems.append(f"{name}: the slider's last step changed nothing on screen")
        if fig["buttons"] > 1:
            before = browser.evaluate(f"__checkSite.shown({gd})")
            head = browser.evaluate(f"__checkSite.centre({gd}.querySelector("
                                    "'.updatemenu-header .updatemenu-item-rect'))")
            _click(browser, head["x"], head["y"])
            entry = browser.evaluate(
                f"(() => {{ const b = {gd}.querySelectorAll("
                "'.updatemenu-dropdown-button-group .updatemenu-dropdown-button'); "
                "return b.length > 1 ? __checkSite.centre(b[1]) : null; })()")
            if entry is None:
                problems.append(f"{name}: clicking its dropdown showed no entries")
            else:
                _click(browser, entry["x"], entry["y"])
                if not _wait_for(browser, f"{gd}._fullLayout.updatemenus[0].active === 1"):
                    problems.append(f"{name}: a click on the dropdown's second entry did not "
                                    "select it")
                elif not _wait_for(browser, f"__checkSite.shown({gd}) !== {before}"):
                    problems.append(f"{name}: the dropdown's second entry changed nothing on "
                                    "screen")
        time.sleep(0.6)  # menus fade out
        box = browser.evaluate(f"(() => {{ {gd}.scrollIntoView({{block: 'start', behavior: 'instant'}}); "
                               f"const r = {gd}.getBoundingClientRect(); return "
                               "{x: r.left + scrollX, y: r.top + scrollY, width: r.width, "
                               "height: Math.min(r.height, innerHeight)}; })()")
        shot = browser.send("Page.captureScreenshot", {"format": "png", "clip": {**box, "scale": 1}},
                            timeout=timeout)
        shot_stem.with_name(f"{shot_stem.name}__plotly-{n}.png").write_bytes(
            base64.b64decode(shot["data"]))
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Check the built book in headless Chromium.")
    ap.add_argument("site", nargs="?", type=Path, default=REPO / "_build" / "html")
    ap.add_argument("--screenshots", type=Path, default=REPO / "_build" / "screenshots")
    ap.add_argument("--chromium", default=None, help="browser executable (default: chromium)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per page")
    args = ap.parse_args(argv)

    site = args.site.resolve()
    if not (site / "index.html").exists():
        print(f"check_site: {site}/index.html not found; run `make book` first", file=sys.stderr)
        return 2
    pages = sorted(p for p in site.rglob("*.html")
                   if not SKIP_DIRS.intersection(p.relative_to(site).parts))
    shutil.rmtree(args.screenshots, ignore_errors=True)
    args.screenshots.mkdir(parents=True)

    server, base_url = serve(site)
    browser = Browser(find_chromium(args.chromium), timeout=args.timeout)
    results = []
    try:
        try:
            browser.open_page()
        except (OSError, TimeoutError, RuntimeError) as err:
            print(f"check_site: could not drive Chromium ({err}):\n{browser.log_tail()}",
                  file=sys.stderr)
            return 2
        for page in pages:
            try:
                results.append(check_page(browser, site, base_url, page, args.screenshots,
                                          args.timeout))
            except (TimeoutError, RuntimeError) as err:
                r = PageResult(page.relative_to(site).as_posix())
                r.problems.append(f"could not check the page: {err}")
                results.append(r)
    finally:
        browser.close()
        server.shutdown()

    w = max(len(r.page) for r in results) if results else 4
    print(f"{'page':<{w}}  images  math  errors  broken links  result")
    for r in results:
        print(f"{r.page:<{w}}  {r.images:>6}  {r.math:>4}  {r.errors:>6}  {len(r.broken):>12}  "
              f"{'ok' if r.ok else 'FAIL'}")
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"\n{r.page}:")
        for p in r.problems:
            print(f"  - {p}")
    print(f"\ncheck_site: {len(results)} pages, {len(failed)} failed; screenshots in "
          f"{args.screenshots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
