"""Checks of the built site (``_build/html``) that Sphinx's own ``-W -n`` cannot make.

Sphinx fails the build on unknown references, but it does not know that every table-of-contents
entry must become a page, that a raw ``<a href>`` or ``<img>`` written in Markdown points at a
real file, that a Colab button must open a notebook that exists in this repository, or that the
instructor notebooks in ``solutions/`` must never reach the site. Each function here returns a
list of problems (strings); an empty list means the check passed.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml
from bs4 import BeautifulSoup

COLAB_PREFIX = "https://colab.research.google.com/github/"
SOURCE_SUFFIXES = (".ipynb", ".md")


def toc_files(toc_path: Path) -> list[str]:
    """Every document named in a jb-book ``_toc.yml`` (root, chapters, sections), in order."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [str(Path(f).with_suffix("")) for f in found]


def source_of(root: Path, docname: str) -> Path | None:
    """The source file (``.ipynb`` or ``.md``) of a document name, or None."""
    for suffix in SOURCE_SUFFIXES:
        candidate = root / f"{docname}{suffix}"
        if candidate.exists():
            return candidate
    return None


def repository_slug(config_path: Path) -> tuple[str, str]:
    """``(owner/name, branch)`` from the one place that names the repository: ``_config.yml``."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    url = config["repository"]["url"].rstrip("/")
    slug = "/".join(urlparse(url).path.strip("/").split("/")[:2])
    return slug, config["repository"].get("branch", "main")


def html_pages(html_dir: Path) -> list[Path]:
    """The built pages of the book (not Sphinx's own search/genindex pages or copies of sources)."""
    skip = {"search.html", "genindex.html"}
    return sorted(p for p in html_dir.rglob("*.html")
                  if p.name not in skip and not {"_static", "_sources", "_images"} & set(p.relative_to(html_dir).parts))


def missing_pages(root: Path, html_dir: Path) -> list[str]:
    """Table-of-contents entries that have no source or no built page."""
    problems = []
    for docname in toc_files(root / "_toc.yml"):
        if source_of(root, docname) is None:
            problems.append(f"{docname}: listed in _toc.yml but has no .ipynb or .md source")
        if not (html_dir / f"{docname}.html").exists():
            problems.append(f"{docname}: listed in _toc.yml but {docname}.html was not built")
    return problems


def broken_local_references(html_dir: Path) -> list[str]:
    """``href``/``src`` attributes that point at files missing from the built site."""
    problems = []
    for page in html_pages(html_dir):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in (("a", "href"), ("img", "src"), ("link", "href"), ("script", "src")):
            for element in soup.find_all(tag):
                target = element.get(attr)
                if not target:
                    continue
                parsed = urlparse(target)
                if parsed.scheme or parsed.netloc or target.startswith(("#", "mailto:", "data:")):
                    continue
                path = unquote(parsed.path)
                if not path:
                    continue
                resolved = (page.parent / path).resolve()
                if resolved.is_dir():
                    resolved = resolved / "index.html"
                if not resolved.exists():
                    problems.append(f"{page.relative_to(html_dir)}: <{tag} {attr}={target!r}> is missing")
    return problems


def built_sources(root: Path, html_dir: Path):
    """``(docname, source, page)`` for every table-of-contents entry that has both."""
    for docname in toc_files(root / "_toc.yml"):
        source = source_of(root, docname)
        page = html_dir / f"{docname}.html"
        if source is not None and page.exists():
            yield docname, source, page


def prose_of(source: Path) -> str:
    """The Markdown prose of a page: Markdown cells only, without fenced code or inline code.

    A ``$`` inside code (a shell variable, a price in a string) is not math, so it must not make
    a page count as one that needs MathJax.
    """
    text = source.read_text(encoding="utf-8")
    if source.suffix == ".ipynb":
        cells = json.loads(text).get("cells", [])
        text = "\n\n".join("".join(cell.get("source", "")) for cell in cells
                            if cell.get("cell_type") == "markdown")
    text = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", text, flags=re.M | re.S)
    return re.sub(r"(`+)[^`]*?\1", "", text)


def pages_without_math(root: Path, html_dir: Path) -> list[str]:
    """Pages whose prose contains ``$…$`` math but whose HTML has no MathJax math markup."""
    problems = []
    for docname, source, page in built_sources(root, html_dir):
        if re.search(r"\$[^$\s][^$]*\$", prose_of(source)):
            soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
            if not soup.select(".math"):
                problems.append(f"{docname}: source has $…$ math but the page has no math markup")
    return problems


def colab_links(page: Path) -> list[str]:
    """Every Colab URL on a built page."""
    return re.findall(r'https://colab\.research\.google\.com/github/[^"\'<> ]+', page.read_text(encoding="utf-8"))


def bad_colab_links(root: Path, html_dir: Path) -> list[str]:
    """Notebook pages without a Colab link, and Colab links that do not open this page's notebook."""
    slug, branch = repository_slug(root / "_config.yml")
    problems = []
    for docname, source, page in built_sources(root, html_dir):
        links = colab_links(page)
        if source.suffix != ".ipynb":
            problems += [f"{docname}: a Markdown page links to Colab ({link}); Colab opens only .ipynb"
                         for link in links]
            continue
        expected = f"{COLAB_PREFIX}{slug}/blob/{branch}/{docname}.ipynb"
        if not links:
            problems.append(f"{docname}: notebook page has no 'open in Colab' link")
        for link in links:
            if link != expected:
                problems.append(f"{docname}: Colab link {link} is not {expected}")
            rel = link.split(f"/blob/{branch}/", 1)[-1]
            if not (root / rel).is_file():
                problems.append(f"{docname}: Colab link opens {rel}, which is not a file of the repository")
    return problems


def solution_leaks(html_dir: Path, secret_lines: list[str]) -> list[str]:
    """Built files (HTML, sources, search index, executed copies) that expose ``solutions/``.

    ``secret_lines`` are lines that only the instructor notebooks contain (solution code and
    hidden tests); none of them may appear anywhere in the built site.
    """
    problems = [f"{p.relative_to(html_dir)}: a file built from solutions/" for p in html_dir.rglob("*")
                if "solutions" in p.relative_to(html_dir).parts]
    for path in html_dir.rglob("*"):
        if not path.is_file() or path.suffix not in {".html", ".js", ".ipynb", ".txt", ".md", ".json", ".py"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "solutions/" in text and path.suffix == ".html" and re.search(r'href="[^"]*solutions/', text):
            problems.append(f"{path.relative_to(html_dir)}: links into solutions/")
        for line in secret_lines:
            if line in text:
                problems.append(f"{path.relative_to(html_dir)}: contains instructor-only line {line!r}")
                break
    return problems


def _code_lines(paths) -> set[str]:
    import nbformat

    lines = set()
    for path in paths:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                lines.update(line.strip() for line in cell.source.splitlines())
    return lines


def _public_text(root: Path) -> str:
    """Everything readers may see anyway: chapter and lab sources, notebooks and Markdown pages."""
    import nbformat

    parts = []
    for folder in ("chapters", "labs"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix == ".ipynb":
                parts += [cell.source for cell in nbformat.read(path, as_version=4).cells]
            elif path.suffix == ".md":
                parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def instructor_only_lines(root: Path, min_length: int = 12) -> list[str]:
    """Code lines that only the instructor notebooks contain: solutions and hidden tests.

    A line that a student lab, a chapter or a Markdown page also shows is public teaching
    material, not a secret; very short lines (``return y1``) are too common to prove a leak and
    are left out.
    """
    public = _public_text(root)
    secret = {line for line in _code_lines(sorted((root / "solutions").glob("*.ipynb")))
              if len(line) >= min_length and not line.startswith("#") and line not in public}
    return sorted(secret) + ["### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"]


# Figures: is every label readable at the size the page shows it?
#
# A label of `s` points is `s * dpi / 72` pixels tall in the PNG the inline backend saved, and the
# browser scales the whole PNG by `displayed width / natural width`. The dpi is read from each PNG
# (matplotlib writes it into the file), the default font size from the inline backend itself;
# sizes that the figure's own cell asks for (`fontsize=8`, `labelsize="small"`, rcParams on the
# page) lower it. A size set inside a helper function defined in another cell is not seen.
MIN_LABEL_PX = 9.0
NAMED_FONT_SIZES = {"xx-small": 0.579, "x-small": 0.694, "small": 0.833, "smaller": 0.833,
                    "medium": 1.0, "large": 1.2, "larger": 1.2, "x-large": 1.44, "xx-large": 1.728}
_SIZE_ARGUMENT = re.compile(r"""\b(?:fontsize|labelsize|title_fontsize)\s*=\s*(?:(\d+(?:\.\d+)?)|["']([a-z-]+)["'])""")
_RC_FONT_SIZE = re.compile(r"""(?:rcParams\s*\[\s*["']font\.size["']\s*\]\s*=\s*|rc\(\s*["']font["']\s*,\s*size\s*=\s*)(\d+(?:\.\d+)?)""")


def inline_backend_font_pt() -> float:
    """The font size (points) of a figure's text under the inline backend, unless code sets one.

    matplotlib-inline no longer overrides matplotlib's defaults (its ``InlineBackend.rc`` is empty),
    so this is matplotlib's ``font.size``; tick labels, axis labels and legends default to it.
    """
    import matplotlib
    from matplotlib_inline.config import InlineBackend

    return float(InlineBackend().rc.get("font.size", matplotlib.rcParamsDefault["font.size"]))


def smallest_font_pt(cell_code: str, page_code: str = "", default: float | None = None) -> float:
    """The smallest font size (points) a figure drawn by ``cell_code`` can use.

    ``page_code`` is the code of the page up to and including that cell: a ``font.size`` set there
    changes the default for every later figure.
    """
    base = inline_backend_font_pt() if default is None else default
    for match in _RC_FONT_SIZE.finditer(page_code or cell_code):
        base = float(match.group(1))
    sizes = [base]
    for number, name in _SIZE_ARGUMENT.findall(cell_code):
        if number:
            sizes.append(float(number))
        elif name in NAMED_FONT_SIZES:
            sizes.append(base * NAMED_FONT_SIZES[name])
    return min(sizes)


def png_dpi(path: Path) -> float:
    """The resolution matplotlib saved a PNG with (its pHYs chunk), in dots per inch."""
    from PIL import Image

    with Image.open(path) as image:
        dpi = image.info.get("dpi")
    if not dpi:
        raise ValueError(f"{path}: the PNG does not say its resolution")
    return float(dpi[0])


def label_px(font_pt: float, dpi: float, natural_width: float, displayed_width: float) -> float:
    """Height in CSS pixels of a ``font_pt`` label in a PNG saved at ``dpi`` and shown scaled."""
    return font_pt * dpi / 72 * displayed_width / natural_width
