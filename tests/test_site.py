"""The built site as a reader sees it, in headless Chromium (Playwright driving Debian's
``/usr/bin/chromium``): one test per page and reader check (``scripts/check_site.py`` lists
them). ``make check-site`` runs these on ``_build/html``; without ``LAPACE_SITE`` (a plain
``make test``) the module is skipped."""

import os
from pathlib import Path

import pytest

SITE = os.environ.get("LAPACE_SITE")
if not SITE:
    pytest.skip("the site check: make check-site (LAPACE_SITE names a built site)",
                allow_module_level=True)

import importlib.util  # noqa: E402
import sys  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_site", REPO / "scripts" / "check_site.py")
cs = importlib.util.module_from_spec(spec)
sys.modules["check_site"] = cs  # dataclasses look their module up
spec.loader.exec_module(cs)

SITE_DIR = Path(SITE).resolve()
PAGES = [p.relative_to(SITE_DIR).as_posix() for p in cs.site_pages(SITE_DIR)]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's browser: Debian's Chromium, never one Playwright downloads."""
    return {**browser_type_launch_args, "headless": True, "args": cs.CHROMIUM_FLAGS,
            "executable_path": cs.find_chromium(os.environ.get("CHROMIUM"))}


@pytest.fixture(scope="session")
def checker(browser):
    shots = Path(os.environ.get("LAPACE_SITE_SCREENSHOTS") or REPO / "_build" / "screenshots")
    site = cs.SiteChecker(SITE_DIR, shots, browser,
                          timeout=float(os.environ.get("LAPACE_SITE_TIMEOUT") or 60))
    yield site
    print("\n" + cs.summary([site.results[p] for p in PAGES if p in site.results]))
    site.close()


@pytest.mark.parametrize("check", cs.CHECKS)
@pytest.mark.parametrize("html", PAGES)
def test_reader_sees(checker, html, check):
    result = checker.result(html)
    if check == "figure_text":
        import warnings

        for note in result.notes:
            warnings.warn(f"{html}: {note}", stacklevel=1)
    problems = result.problems[check]
    if check == "figure_text" and os.environ.get("LAPACE_SITE_FIGURE_TEXT") == "warn":
        import warnings

        for problem in problems:
            warnings.warn(f"{html}: {problem}", stacklevel=1)
        return
    assert not problems, f"{html} ({check}):\n  - " + "\n  - ".join(problems)
