"""The built site as a reader sees it: a real Chromium on a desktop (1280 px wide) and on a phone
(390 px), the network cut off except loopback.

Marker `site`: `make test` runs these after `make book`. Screenshots of the home page, a chapter
and a lab (desktop and phone) are saved under `_build/screenshots/` for review.
"""
from __future__ import annotations

import functools
import http.server
import io
import json
import os
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from bs4 import BeautifulSoup

from coursetools import site_checks as site
from tests.conftest import ROOT

pytestmark = pytest.mark.site

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
LOOPBACK = {"127.0.0.1", "localhost"}
SCREENS = {"desktop": dict(viewport={"width": 1280, "height": 900}),
           "phone": dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)}
SCREENSHOTS = ROOT / "_build" / "screenshots"
DOCNAMES = site.toc_files(ROOT / "_toc.yml")
NOTEBOOK_PAGES = [d for d in DOCNAMES if site.source_of(ROOT, d).suffix == ".ipynb"]
LABS = [d for d in NOTEBOOK_PAGES if d.startswith("labs/")]
HELPER_TITLE = "#@title Test helpers"

# One pass over a loaded page: everything the tests below look at.
PAGE_FACTS = """() => {
  const W = document.documentElement.clientWidth;
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden"; };
  const describe = (el) => `<${el.tagName.toLowerCase()} class="${el.className}">`
    + ` right edge ${Math.round(el.getBoundingClientRect().right)} px: `
    + JSON.stringify(el.textContent.trim().slice(0, 60));
  const clips = (el) => getComputedStyle(el).overflowX !== "visible";
  // Content wider than the screen is fine only inside a box that scrolls (or clips) and fits.
  const sticking = [];
  for (const el of document.querySelectorAll(".bd-article *")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= W + 0.5) continue;
    let box = el.parentElement, inside = false;
    for (; box && box !== document.body; box = box.parentElement)
      if (clips(box) && box.getBoundingClientRect().right <= W + 0.5) { inside = true; break; }
    if (!inside) sticking.push(describe(el));
  }
  const equations = [...document.querySelectorAll("mjx-container[display='true']")];
  const cells = [...document.querySelectorAll(".bd-article .cell")];
  const figures = [];
  cells.forEach((cell, k) => {
    for (const img of cell.querySelectorAll(".cell_output img")) figures.push({
      src: img.src, natural: img.naturalWidth, displayed: img.getBoundingClientRect().width,
      code: (cell.querySelector(".cell_input") || {textContent: ""}).textContent,
      page_code: cells.slice(0, k + 1).map(c => (c.querySelector(".cell_input") || {textContent: ""}).textContent).join("\\n"),
    });
  });
  return {
    scroll_width: document.documentElement.scrollWidth, client_width: W,
    sticking_out: sticking.slice(0, 5),
    equations: equations.length,
    equations_scrolling: equations.filter(m => m.scrollWidth > m.clientWidth + 1).length,
    equations_cut: equations.filter(m => m.getBoundingClientRect().right > W + 0.5
        || (m.scrollWidth > m.clientWidth + 1 && !["auto", "scroll"].includes(getComputedStyle(m).overflowX)))
      .map(describe),
    badges: [...document.querySelectorAll("a.launch-badge")].map(a => ({
      text: a.textContent.trim(), href: a.href, visible: visible(a),
      top: a.getBoundingClientRect().top + window.scrollY})),
    badge_note: (document.querySelector(".launch-badges__note") || {textContent: ""}).textContent,
    search_controls: [...document.querySelectorAll(
      ".search-button-field, .search-button, form.bd-search input, #searchbox input")].filter(visible).length,
    figures,
  };
}"""


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
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_context(browser, screen: str, **options):
    """A browser context in which every request that leaves loopback is blocked and recorded."""
    blocked: list[str] = []

    def only_loopback(route):
        if urlparse(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context = browser.new_context(**SCREENS[screen], **options)
    context.route("**/*", only_loopback)
    context.blocked = blocked
    return context


@pytest.fixture(scope="module")
def browser_context(browser):
    context = new_context(browser, "desktop")
    yield context
    context.close()


@pytest.fixture(scope="module")
def phone_context(browser):
    context = new_context(browser, "phone")
    yield context
    context.close()


def open_page(context, url: str):
    """Load a page, wait for MathJax; ``page.errors`` collects console errors and uncaught exceptions."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    if page.evaluate("() => !!(window.MathJax && window.MathJax.startup)"):
        page.evaluate("() => MathJax.startup.promise")
    page.errors = errors
    return page


def visit_every_page(context, base_url: str, screen: str) -> dict:
    pages = {}
    for docname in DOCNAMES:
        url = urljoin(base_url, f"{docname}.html")
        page = open_page(context, url)
        pages[docname] = {
            "url": url,
            "math": page.locator("mjx-container").count(),
            "math_errors": page.locator("mjx-merror").count(),
            "broken_images": page.evaluate(
                "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"),
            "images": page.evaluate("() => document.images.length"),
            "links": page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)"),
            "article_links": page.evaluate("() => [...document.querySelectorAll('.bd-article a[href]')].map(a => a.href)"),
            "colab": page.evaluate(
                "() => [...document.querySelectorAll('a[href*=\"colab.research.google.com\"]')].map(a => a.href)"),
            "downloads": page.evaluate(
                "() => [...document.querySelectorAll('a[href$=\".ipynb\"]')].map(a => a.href)"
                " .filter(h => !h.includes('colab.research.google.com'))"),
            "details": page.locator("article details").count(),
            **page.evaluate(PAGE_FACTS),
        }
        pages[docname]["errors"] = list(page.errors)
        if docname == "intro":
            page.screenshot(path=str(SCREENSHOTS / f"home-{screen}.png"))
        page.close()
    return pages


@pytest.fixture(scope="module")
def visited(browser_context, base_url):
    """Every table-of-contents page on a desktop, loaded once."""
    return visit_every_page(browser_context, base_url, "desktop")


@pytest.fixture(scope="module")
def visited_phone(phone_context, base_url):
    """Every table-of-contents page on a phone, loaded once."""
    return visit_every_page(phone_context, base_url, "phone")


@pytest.fixture(scope="module")
def on_screen(visited, visited_phone):
    return {"desktop": visited, "phone": visited_phone}


def setup_module():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def has_math(docname: str) -> bool:
    source = site.source_of(ROOT, docname)
    return source is not None and "$" in site.prose_of(source)


def colab_url(docname: str) -> str:
    slug, branch = site.repository_slug(ROOT / "_config.yml")
    return f"https://colab.research.google.com/github/{slug}/blob/{branch}/{docname}.ipynb"


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


def test_no_request_leaves_the_machine(on_screen, browser_context, phone_context):
    blocked = browser_context.blocked + phone_context.blocked
    assert blocked == [], "the site needed the network for: " + ", ".join(blocked)


@pytest.mark.parametrize("screen", SCREENS)
def test_no_console_errors(on_screen, screen):
    errors = {d: p["errors"] for d, p in on_screen[screen].items() if p["errors"]}
    assert errors == {}


@pytest.mark.parametrize("screen", SCREENS)
def test_no_page_scrolls_sideways(on_screen, screen):
    problems = []
    for docname, page in on_screen[screen].items():
        if page["scroll_width"] > page["client_width"]:
            problems.append(f"{docname}: {page['scroll_width']} px wide on a {page['client_width']} px screen")
        problems += [f"{docname}: {element}" for element in page["sticking_out"]]
    assert problems == []


@pytest.mark.parametrize("screen", SCREENS)
def test_long_equations_scroll_inside_their_own_box(on_screen, screen):
    cut = [f"{d}: {e}" for d, page in on_screen[screen].items() for e in page["equations_cut"]]
    assert cut == []
    if screen == "phone":  # the test means something: a phone does have equations too wide for it
        assert sum(page["equations_scrolling"] for page in on_screen[screen].values()) > 0


@pytest.mark.parametrize("screen", SCREENS)
def test_one_search_field(on_screen, screen):
    counts = {d: p["search_controls"] for d, p in on_screen[screen].items() if p["search_controls"] != 1}
    assert counts == {}, "pages with no search or more than one (page: visible search controls)"


@pytest.mark.parametrize("screen", SCREENS)
def test_colab_badge_at_the_top_of_every_notebook_page(on_screen, screen):
    assert NOTEBOOK_PAGES, "the course has notebook pages"
    for docname, page in on_screen[screen].items():
        badges = [b for b in page["badges"] if b["text"] == "Open in Colab"]
        if docname not in NOTEBOOK_PAGES:
            assert badges == [], f"{docname}: Colab opens only notebooks, not a Markdown page"
            continue
        assert len(badges) == 1, f"{docname}: {len(badges)} 'Open in Colab' badges"
        badge = badges[0]
        assert badge["href"] == colab_url(docname)
        assert badge["visible"] and badge["top"] < 700, f"{docname}: the badge is not at the top: {badge}"
        assert "Save a copy in Drive" in page["badge_note"], f"{docname}: no word on saving a copy"


def test_colab_and_download_buttons_open_the_right_notebook(visited, browser_context):
    for docname in NOTEBOOK_PAGES:
        colab = visited[docname]["colab"]
        assert set(colab) == {colab_url(docname)}, docname  # the badge and the rocket menu
        downloads = visited[docname]["downloads"]
        assert downloads, f"{docname}: no .ipynb download button"
        for url in downloads:
            response = browser_context.request.get(url)
            assert response.ok, url
            notebook = json.loads(response.text())
            assert notebook["nbformat"] == 4
            if docname.startswith("labs/"):
                assert "### BEGIN SOLUTION" not in response.text(), f"{url} hands out the solution"


def linked_pages(page: dict, base_url: str) -> set[str]:
    """Pages linked from the text of a page (not from the navigation around it)."""
    return {urlparse(link).path.lstrip("/").removesuffix(".html") for link in page["article_links"]
            if link.startswith(base_url)}


def test_home_page_links_the_whole_book(visited, base_url):
    missing = [d for d in DOCNAMES if d != "intro" and d not in linked_pages(visited["intro"], base_url)]
    assert missing == [], "pages the home page does not link"


def test_labs_index_links_every_lab(visited, base_url):
    assert LABS, "the course has labs"
    missing = [d for d in LABS if d not in linked_pages(visited["labs/index"], base_url)]
    assert missing == [], "labs the labs index does not link"


def search_results(context, base_url: str, query: str) -> list[str]:
    """The text of every result (title and snippet) once the search and its snippets are done."""
    page = open_page(context, urljoin(base_url, f"search.html?q={query}"))
    page.wait_for_function(
        "() => /Search finished/.test(document.querySelector('#search-results')?.textContent || '')"
        " && [...document.querySelectorAll('#search-results li')].every(li => li.querySelector('p.context'))",
        timeout=20000)
    texts = page.locator("#search-results li").all_inner_texts()
    errors = list(page.errors)
    page.close()
    assert errors == [], f"search page errors: {errors}"
    return texts


@pytest.mark.parametrize("query", ["delta", "Jacobian"])
def test_search_finds(browser_context, base_url, query):
    assert search_results(browser_context, base_url, query)


def heading_tex(html_dir: Path) -> set[str]:
    """The TeX source of every formula in a heading of the site (without its delimiters)."""
    found = set()
    for path in site.html_pages(html_dir):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for math in soup.select("article :is(h1, h2, h3, h4) .math"):
            tex = re.sub(r"^\\\(|\\\)$", "", math.get_text().strip()).strip()
            if "\\" in tex or "^" in tex or "_" in tex:
                found.add(tex)
    return found


def test_search_results_show_no_raw_latex(browser_context, base_url, html_dir):
    tex = heading_tex(html_dir)
    assert tex, "no heading has math: this test would prove nothing"
    problems = []
    for query in ("variance", "convention", "Jacobian", "ReLU", "delta"):
        for text in search_results(browser_context, base_url, query):
            for mark in ("\\(", "\\)", "\\[", "\\]", "$$"):
                if mark in text:
                    problems.append(f"{query}: {mark!r} in {text[:160]!r}")
            problems += [f"{query}: heading TeX {t!r} in a result" for t in tex if t in text]
    assert problems == []


@pytest.mark.parametrize("tex, text", [
    (r"\operatorname{Var}(w) = 1/M", "Var(w) = 1/M"),
    (r"W^{(1)\top}", "W⁽¹⁾ᵀ"),
    (r"\frac{\partial E}{\partial w_{ji}^{(l)}}", "(∂E)/(∂wⱼᵢ⁽ˡ⁾)"),
    (r"\eta < 1 / \lVert z^{(1)} \rVert^2", "η < 1 / ‖z⁽¹⁾ ‖²"),
    (r"\mathcal{N}(0, 1/M_{l-1})", "N(0, 1/Mₗ₋₁)"),
    (r"\tfrac12 \sum_n (y_n - d_n)^2", "1/2 Σₙ (yₙ - dₙ)²"),
    (r"\tilde{x}_n, \sqrt{2/M}", "x̃ₙ, √(2/M)"),
    (r"\left[\begin{bmatrix} a & b \\ c & d \end{bmatrix}\right]", "[[ a b c d ]]"),
    (r"g_{\mathcal B}^{[t]}", "g_B^[t]"),
])
def test_search_reads_tex_as_text(browser_context, base_url, tex, text):
    page = open_page(browser_context, urljoin(base_url, "search.html"))
    assert page.evaluate("tex => window.courseTexToText(tex)", tex) == text
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


def helper_cell(page):
    """The lab's test-helper cell: the cell whose code starts with the Colab form title."""
    return page.locator(".cell").filter(
        has=page.locator(".cell_input pre", has_text=re.compile(r"^\s*" + HELPER_TITLE)))


@pytest.mark.parametrize("lab", LABS)
def test_lab_helper_cell_is_collapsed_until_clicked(visited, browser_context, lab):
    page = open_page(browser_context, visited[lab]["url"])
    cell = helper_cell(page)
    assert cell.count() == 1, f"{lab}: no code cell starting with {HELPER_TITLE!r}"
    code = cell.locator(".cell_input pre")
    assert not code.is_visible(), f"{lab}: the test helpers are shown in full (tag the cell hide-input)"
    toggle = cell.locator("summary")
    assert toggle.is_visible(), f"{lab}: nothing to click to show the test helpers"
    toggle.click()
    code.wait_for(state="visible", timeout=5000)
    page.close()


@pytest.fixture(scope="module")
def dark_context(browser):
    context = new_context(browser, "desktop", color_scheme="dark")
    yield context
    context.close()


def test_figures_stay_white_in_dark_mode(visited, dark_context):
    from PIL import Image

    chapters = [d for d in NOTEBOOK_PAGES if visited[d]["figures"]]
    assert chapters, "no page has a figure"
    problems = []
    for docname in chapters:
        page = open_page(dark_context, visited[docname]["url"])
        assert page.evaluate("() => document.documentElement.dataset.theme") == "dark", docname
        for k, img in enumerate(page.locator(".cell_output img").all()):
            shot = Image.open(io.BytesIO(img.screenshot())).convert("RGB")
            corner = shot.getpixel((2, 2))  # the figures' own corners are white
            if min(corner) < 250:
                problems.append(f"{docname} figure {k + 1}: corner drawn as {corner}")
            background = img.evaluate("i => getComputedStyle(i).backgroundColor")
            if background != "rgb(255, 255, 255)":  # what a transparent figure would show
                problems.append(f"{docname} figure {k + 1}: background {background}")
        if docname == chapters[0]:
            page.locator(".cell_output img").first.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "dark-mode.png"))
        page.close()
    assert problems == []


def figure_file(html_dir: Path, src: str) -> Path:
    return html_dir / unquote(urlparse(src).path).lstrip("/")


@pytest.mark.parametrize("screen", SCREENS)
def test_figure_labels_are_readable(on_screen, html_dir, screen):
    """Every label at least 9 px tall as displayed (see `site.label_px`)."""
    failing, measured = [], 0
    for docname, page in on_screen[screen].items():
        for k, figure in enumerate(page["figures"]):
            if not figure["natural"] or not figure["displayed"]:
                continue  # not displayed (inside a folded block)
            measured += 1
            dpi = site.png_dpi(figure_file(html_dir, figure["src"]))
            font = site.smallest_font_pt(figure["code"], figure["page_code"])
            px = site.label_px(font, dpi, figure["natural"], figure["displayed"])
            if px < site.MIN_LABEL_PX:
                failing.append(f"{docname} figure {k + 1}: {font:g} pt at {dpi:.0f} dpi, "
                               f"{figure['natural']} px shown at {figure['displayed']:.0f} px: "
                               f"labels {px:.1f} px")
    assert measured, "no figure measured"
    assert failing == [], f"{len(failing)} of {measured} figures have labels under {site.MIN_LABEL_PX:g} px"


def test_screenshots_of_a_chapter_and_a_lab(browser_context, phone_context, visited):
    chapter = next(d for d in DOCNAMES if d.startswith("chapters/") and visited[d]["images"]
                   and site.source_of(ROOT, d).suffix == ".ipynb")
    page = open_page(browser_context, visited[chapter]["url"])
    page.locator(".cell_output img").first.scroll_into_view_if_needed()  # a figure and the math around it
    page.screenshot(path=str(SCREENSHOTS / "chapter.png"))
    page.close()
    lab = LABS[0] if LABS else "labs/index"
    for screen, context in (("desktop", browser_context), ("phone", phone_context)):
        page = open_page(context, visited[lab]["url"])
        page.screenshot(path=str(SCREENSHOTS / f"lab-{screen}.png"))
        helpers = helper_cell(page)
        if helpers.count():  # the folded test helpers under "How this lab works"
            helpers.first.evaluate("cell => { cell.scrollIntoView({block: 'start'}); window.scrollBy(0, -250); }")
            page.screenshot(path=str(SCREENSHOTS / f"lab-{screen}-helpers.png"))
        page.close()
    for name in ("chapter", "lab-desktop", "lab-phone"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000, name
