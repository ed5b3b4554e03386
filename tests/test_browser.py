"""The built site as a reader sees it: a real Chromium, the network cut off except loopback.

Marker `site`: `make test` runs these after `make book`. Screenshots of the home page, a chapter
and a lab are saved under `_build/screenshots/` for review.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from coursetools import site
from tests.conftest import ROOT

pytestmark = pytest.mark.site

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
LOOPBACK = {"127.0.0.1", "localhost"}
SCREENSHOTS = ROOT / "_build" / "screenshots"
DOCNAMES = site.toc_files(ROOT / "_toc.yml")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base_url(html_dir):
    handler = functools.partial(QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser_context():
    """A Chromium context in which every request that leaves loopback is blocked and recorded."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def only_loopback(route):
        if urlparse(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", only_loopback)
        context.blocked = blocked
        yield context
        browser.close()


def open_page(context, url: str):
    page = context.new_page()
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    if page.evaluate("() => !!(window.MathJax && window.MathJax.startup)"):
        page.evaluate("() => MathJax.startup.promise")
    return page


@pytest.fixture(scope="module")
def visited(browser_context, base_url):
    """Every table-of-contents page, loaded once: what the tests below look at."""
    pages = {}
    for docname in DOCNAMES:
        url = urljoin(base_url, f"{docname}.html")
        page = open_page(browser_context, url)
        pages[docname] = {
            "url": url,
            "math": page.locator("mjx-container").count(),
            "math_errors": page.locator("mjx-merror").count(),
            "broken_images": page.evaluate(
                "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"),
            "images": page.evaluate("() => document.images.length"),
            "links": page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)"),
            "colab": page.evaluate(
                "() => [...document.querySelectorAll('a[href*=\"colab.research.google.com\"]')].map(a => a.href)"),
            "downloads": page.evaluate(
                "() => [...document.querySelectorAll('a[href$=\".ipynb\"]')].map(a => a.href)"
                " .filter(h => !h.includes('colab.research.google.com'))"),
            "details": page.locator("article details").count(),
        }
        if docname == "intro":
            page.screenshot(path=str(SCREENSHOTS / "home.png"))
        page.close()
    return pages


def setup_module():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def has_math(docname: str) -> bool:
    source = site.source_of(ROOT, docname)
    return source is not None and "$" in source.read_text(encoding="utf-8")


@pytest.mark.parametrize("docname", DOCNAMES)
def test_page_typesets_math_and_loads_images(visited, docname):
    page = visited[docname]
    if has_math(docname):
        assert page["math"] > 0, f"{docname}: MathJax typeset nothing"
    assert page["math_errors"] == 0, f"{docname}: MathJax reported {page['math_errors']} errors"
    assert page["broken_images"] == [], f"{docname}: images that did not load"


def test_index_leads_to_the_home_page(browser_context, base_url):
    page = browser_context.new_page()
    page.goto(urljoin(base_url, "index.html"))
    page.wait_for_url("**/intro.html", timeout=10000)
    assert "Backprop by Hand" in page.title()
    page.close()


def test_internal_links_resolve(visited, browser_context, base_url):
    targets = {link.split("#")[0] for page in visited.values() for link in page["links"]
               if link.startswith(base_url)}
    broken = [t for t in sorted(targets) if not browser_context.request.get(t).ok]
    assert broken == []


def test_no_request_leaves_the_machine(visited, browser_context):
    assert browser_context.blocked == [], "the site needed the network for: " + ", ".join(browser_context.blocked)


def test_colab_and_download_buttons_open_the_right_notebook(visited, browser_context):
    slug, branch = site.repository_slug(ROOT / "_config.yml")
    notebook_pages = [d for d in DOCNAMES if site.source_of(ROOT, d).suffix == ".ipynb"]
    assert notebook_pages, "the course has notebook pages"
    for docname in notebook_pages:
        colab = visited[docname]["colab"]
        assert colab == [f"https://colab.research.google.com/github/{slug}/blob/{branch}/{docname}.ipynb"], docname
        downloads = visited[docname]["downloads"]
        assert downloads, f"{docname}: no .ipynb download button"
        for url in downloads:
            response = browser_context.request.get(url)
            assert response.ok, url
            notebook = json.loads(response.text())
            assert notebook["nbformat"] == 4
            if docname.startswith("labs/"):
                assert "### BEGIN SOLUTION" not in response.text(), f"{url} hands out the solution"


@pytest.mark.parametrize("query", ["delta", "Jacobian"])
def test_search_finds(browser_context, base_url, query):
    page = open_page(browser_context, urljoin(base_url, f"search.html?q={query}"))
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=15000)
    assert results.count() > 0
    page.close()


def test_exercise_solutions_are_hidden_until_clicked(visited, browser_context):
    with_details = [d for d in DOCNAMES if visited[d]["details"]]
    assert with_details, "no page has an exercise solution to reveal"
    page = open_page(browser_context, visited[with_details[0]]["url"])
    details = page.locator("article details").first
    body = details.locator(":scope > :not(summary)").first
    assert not body.is_visible(), "the solution is shown before it is asked for"
    details.locator("summary").click()
    body.wait_for(state="visible", timeout=5000)
    assert body.is_visible()
    page.close()


def test_screenshots_of_a_chapter_and_a_lab(browser_context, visited):
    chapter = next(d for d in DOCNAMES if d.startswith("chapters/") and visited[d]["images"]
                   and site.source_of(ROOT, d).suffix == ".ipynb")
    lab = next((d for d in DOCNAMES if d.startswith("labs/") and d != "labs/index"), "labs/index")
    for name, docname in (("chapter", chapter), ("lab", lab)):
        page = open_page(browser_context, visited[docname]["url"])
        if name == "chapter":  # show a figure and the math around it, not only the title
            page.locator("article img").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        page.close()
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
