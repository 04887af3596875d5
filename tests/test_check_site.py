"""scripts/check_site.py: the reader checks find what they are meant to find (a synthetic site
in Debian's Chromium through Playwright; skipped where either is missing), and a figure's
smallest on-screen text is measured from the font size save_figure records in the PNG."""

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_site", REPO / "scripts" / "check_site.py")
cs = importlib.util.module_from_spec(spec)
sys.modules["check_site"] = cs  # dataclasses look their module up
spec.loader.exec_module(cs)


def figure(tmp_path, name, fontsize, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lapace_book.provenance import save_figure

    monkeypatch.setenv("LAPACE_RESULTS_DIR", str(tmp_path / "results"))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([0, 1], [0, 1], label="a line")
    ax.tick_params(labelsize=fontsize)
    ax.set_title("title", fontsize=14)
    path = save_figure(fig, name, profile="quick", dpi=100)
    plt.close(fig)
    return path


def test_save_figure_records_the_smallest_font(tmp_path, monkeypatch):
    from PIL import Image

    path = figure(tmp_path, "small", 5, monkeypatch)
    with Image.open(path) as im:
        assert im.info[cs.FONT_KEY] == "5" and round(im.info["dpi"][0]) == 100


def test_figure_text_is_font_size_times_shown_over_natural_width(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    for name, size in (("small", 5), ("fine", 10)):
        shutil.copy(figure(tmp_path, name, size, monkeypatch), site / f"{name}.png")
    from PIL import Image

    Image.new("RGB", (10, 10)).save(site / "plain.png")
    base = "http://127.0.0.1:1/"
    figs = [{"src": base + "small.png", "shown": 600, "natural": 600},
            {"src": base + "fine.png", "shown": 600, "natural": 600},
            {"src": base + "plain.png", "shown": 10, "natural": 10}]
    problems, notes, smallest = cs.figure_text(site, base, figs)
    # 5 pt at 100 dpi: 6.9 image px, shown at natural size
    assert len(problems) == 1 and "small.png: smallest text 6.9 px on screen" in problems[0]
    assert smallest == pytest.approx(5 * 100 / 72, rel=1e-3)
    assert notes == [f"figure text not measured (no {cs.FONT_KEY} in plain.png)"]
    # 10 pt shown at half its natural width: 6.9 px, too small as well
    problems, _, _ = cs.figure_text(site, base, [{"src": base + "fine.png", "shown": 300,
                                                  "natural": 600}])
    assert problems and "6.9 px" in problems[0]


BAD = """<!doctype html><html><head><title>bad</title></head><body><main>
<p>Results below.</p>
<div class="cell_output"><pre>Traceback (most recent call last):\n  boom</pre></div>
<table><thead><tr><th>n_inputs</th></tr></thead><tbody><tr><td>0.1234567</td></tr></tbody></table>
<div style="width: 2000px">wide</div>
<img src="small.png" style="width: 600px"><!-- 504 px natural: 6.9 px x 600/504 -->
<a href="missing.html">gone</a>
<p>The path at /work/main/results/x.csv</p>
</main></body></html>"""


def test_the_reader_checks_find_what_a_reader_would_see(tmp_path, monkeypatch):
    if not Path("/usr/bin/chromium").exists() and not os.environ.get("CHROMIUM"):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(figure(tmp_path, "small", 5, monkeypatch), site / "small.png")
    (site / "bad.html").write_text(BAD)
    (site / "index.html").write_text("<!doctype html><html><head><title>ok</title></head>"
                                     "<body><main><p>Fine.</p></main></body></html>")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=cs.find_chromium(None),
                                     args=cs.CHROMIUM_FLAGS, headless=True)
        checker = cs.SiteChecker(site, tmp_path / "shots", browser, timeout=30)
        try:
            good, bad = checker.result("index.html"), checker.result("bad.html")
        finally:
            checker.close()
            browser.close()
    assert good.ok, good.problems
    p = bad.problems
    assert any("missing.html (no such file)" in x for x in p["links"])
    assert any("traceback" in x for x in p["tracebacks"])
    assert any("'n_inputs'" in x for x in p["tables"]) and any("4 decimals" in x for x in p["tables"])
    assert any("page wider than the window" in x for x in p["overflow"])
    assert any("/work/main/results/x.csv" in x for x in p["leaks"])
    assert any("small.png: smallest text 8.3 px" in x and "< 9 px" in x for x in p["figure_text"]), \
        p["figure_text"]
    assert not p["requests"] and not p["images"] and not p["math"]
    assert (tmp_path / "shots" / "bad.png").is_file()


def plotly_page(site: Path) -> None:
    """A page like the explorer's: a figure with a dropdown (2 entries) and an animated slider
    (3 frames), plotly.js served by the site."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    frames = [go.Frame(name=f"t{t}", data=[go.Scatter(x=[0, 1], y=[0, t])], traces=[0])
              for t in range(3)]
    fig = go.Figure(data=[go.Scatter(x=[0, 1], y=[0, 0]), go.Scatter(x=[0, 1], y=[1, 1],
                                                                     visible=False)],
                    frames=frames)
    fig.update_layout(height=500, updatemenus=[{"buttons": [
        {"label": "first", "method": "update", "args": [{"visible": [True, False]}]},
        {"label": "second", "method": "update", "args": [{"visible": [False, True]}]}],
        "active": 0, "direction": "down", "x": 0, "y": 1.2, "xanchor": "left"}],
        sliders=[{"active": 0, "steps": [{"label": str(t), "method": "animate",
                                          "args": [[f"t{t}"], {"mode": "immediate",
                                                               "frame": {"duration": 0}}]}
                                         for t in range(3)]}])
    (site / "plotly.min.js").write_text(get_plotlyjs())
    body = fig.to_html(include_plotlyjs=False, full_html=False, div_id="fig", auto_play=False)
    (site / "plot.html").write_text("<!doctype html><html><head><title>plot</title>"
                                    '<script src="plotly.min.js"></script></head><body><main>'
                                    + body + "</main></body></html>")


def test_the_plotly_check_clicks_the_slider_and_the_dropdown(tmp_path):
    if not Path("/usr/bin/chromium").exists() and not os.environ.get("CHROMIUM"):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    site = tmp_path / "site"
    site.mkdir()
    plotly_page(site)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=cs.find_chromium(None),
                                     args=cs.CHROMIUM_FLAGS, headless=True)
        checker = cs.SiteChecker(site, tmp_path / "shots", browser, timeout=30)
        try:
            res = checker.result("plot.html")
        finally:
            checker.close()
            browser.close()
    assert res.ok, res.problems
    assert (tmp_path / "shots" / "plot__plotly-0.png").is_file()
