"""The built docs site as a reader sees it: served on localhost and loaded in headless Chromium.

Run by ``nox -s browser`` after ``mkdocs build`` (site in ``build/site``, or ``$LOSSKIT_SITE``), with
Debian's ``chromium`` and ``chromium-driver`` (``docs/tooling/install-chromium.sh``). Screenshots are
kept in ``build/browser/`` (``$LOSSKIT_SCREENSHOTS``).
"""

from __future__ import annotations

import functools
import http.server
import inspect
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from losskit import Registry

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("LOSSKIT_SITE", ROOT / "build" / "site"))
SHOTS = Path(os.environ.get("LOSSKIT_SCREENSHOTS", ROOT / "build" / "browser"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
TIMEOUT = 60

webdriver = pytest.importorskip("selenium.webdriver")
if not (SITE / "index.html").is_file():
    pytest.skip(f"no built site in {SITE}: run `mkdocs build` first (nox -s browser does)", allow_module_level=True)
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("needs Debian's chromium and chromium-driver: docs/tooling/install-chromium.sh", allow_module_level=True)

PAGES = sorted(str(p.parent.relative_to(SITE)) for p in SITE.rglob("index.html"))
REGISTRY = Registry()
FAMILIES = sorted({spec.family for _, spec in REGISTRY.specs()})


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site():
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for a driver online
    profile = tempfile.mkdtemp(prefix="losskit-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
        f"--user-data-dir={profile}", "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(TIMEOUT)
    driver.set_script_timeout(TIMEOUT)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def load(browser, site: str, page: str) -> None:
    """Open ``page`` and wait for MathJax (when the page loads it) to finish typesetting."""
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(site + (page.strip("/") + "/" if page not in ("", ".") else ""))
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const wait = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
        "  ? MathJax.startup.promise.then(() => done(true)) : done(false);"
        "document.readyState === 'complete' ? wait() : window.addEventListener('load', wait);"
    )


def severe(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def broken_images(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);"
    )


def test_the_site_has_the_pages_a_reader_expects():
    expected = {".", "why", "install", "quickstart", "composing", "config", "hydra", "fairness", "distributed",
                "plugin-guide", "conformance", "cli", "guarantees", "api", "losses", "catalogue",
                "examples/losskit-example"}
    assert expected <= set(PAGES), sorted(expected - set(PAGES))
    assert {f"losses/{f}" for f in FAMILIES} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_loads_without_errors_or_broken_images(browser, site, page):
    load(browser, site, page)
    assert "losskit" in browser.title
    assert browser.find_elements("css selector", "article h1"), "no heading: an empty page"
    errors = severe(browser)
    assert not errors, errors
    assert not broken_images(browser)
    unrendered = browser.execute_script(
        "return [...document.querySelectorAll('.arithmatex')].filter(e => !e.querySelector('mjx-container'))"
        ".map(e => e.textContent.slice(0, 80));"
    )
    assert not unrendered, f"formulas MathJax did not render: {unrendered}"
    assert not browser.find_elements("css selector", "[data-mml-node='merror']"), "a formula has a TeX error"


def test_the_catalogue_lists_every_registered_loss(browser, site):
    load(browser, site, "losses")
    listed = set(browser.execute_script("return [...document.querySelectorAll('article table a code')].map(c => c.textContent);"))
    names = set(REGISTRY.list_losses())
    assert names <= listed, f"missing from the catalogue: {sorted(names - listed)}"
    for family in FAMILIES:
        load(browser, site, f"losses/{family}")
        ids = set(browser.execute_script("return [...document.querySelectorAll('article h2[id]')].map(h => h.id);"))
        own = {n.replace(":", "-") for n, s in ((n, REGISTRY.get_spec(n)) for n in names) if s.family == family}
        assert own <= ids, f"{family}: no section for {sorted(own - ids)}"


def _sections(browser) -> dict[str, dict[str, int]]:
    """Per loss section (h2 id): the rendered display formulas and the loaded plots in it."""
    return browser.execute_script(
        """
        const out = {};
        let current = null;
        for (const el of document.querySelector('article').children) {
          if (el.tagName === 'H2' && el.id) { current = out[el.id] = {display: 0, plots: 0, broken: 0}; continue; }
          if (!current) continue;
          current.display += el.querySelectorAll('mjx-container[display="true"]').length
            + (el.matches('mjx-container[display="true"]') ? 1 : 0);
          for (const img of el.querySelectorAll('img.losskit-plot')) {
            if (img.complete && img.naturalWidth > 0) current.plots += 1; else current.broken += 1;
          }
        }
        return out;
        """
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_formulas_render_and_plots_load_in_each_loss_section(browser, site, family):
    load(browser, site, f"losses/{family}")
    sections = _sections(browser)
    drawn = {p.stem for p in (SITE / "losses" / "plots").glob("*.png")}
    for listed in REGISTRY.list_losses():
        spec = REGISTRY.get_spec(listed)
        if spec.family != family:
            continue
        anchor = listed.replace(":", "-")
        section = sections[anchor]
        if ".. math::" in (inspect.getdoc(spec.factory) or ""):
            assert section["display"] > 0, f"{listed}: its formula did not render"
        assert section["broken"] == 0, f"{listed}: a plot did not load"
        assert section["plots"] == (1 if anchor in drawn else 0), f"{listed}: {section}"


def test_focal_shows_lin_et_als_figure_and_a_screenshot_is_kept(browser, site):
    if "focal" not in REGISTRY.list_losses():
        pytest.skip("the classification family is not installed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    load(browser, site, "losses/classification")
    browser.set_window_size(1280, 1500)
    width = browser.execute_script(
        "const s = document.getElementById('focal'); let e = s.nextElementSibling;"
        "while (e && !e.querySelector('img.losskit-plot')) e = e.nextElementSibling;"
        "s.scrollIntoView({block: 'start'}); window.scrollBy(0, -60);"
        "return e.querySelector('img.losskit-plot').naturalWidth;"
    )
    assert width == 900
    browser.save_screenshot(str(SHOTS / "catalogue-focal.png"))
    browser.set_window_size(1280, 1000)
    load(browser, site, "losses")
    browser.save_screenshot(str(SHOTS / "catalogue-index.png"))
    load(browser, site, "")
    browser.save_screenshot(str(SHOTS / "home.png"))
    assert (SHOTS / "catalogue-focal.png").stat().st_size > 10_000


def test_search_finds_a_loss(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    load(browser, site, "")
    browser.find_element(By.CSS_SELECTOR, "label.md-search__icon, .md-search__inner").click()
    box = WebDriverWait(browser, TIMEOUT).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input.md-search__input")))
    box.send_keys("tukey")
    WebDriverWait(browser, TIMEOUT).until(
        lambda d: any("tukey" in r.text.lower() for r in d.find_elements(By.CSS_SELECTOR, ".md-search-result__item"))
    )
