"""How heavy the built site is for a reader on a slow connection: total size and largest page.

A page's weight is its HTML plus the images it shows (JavaScript and CSS are shared by every page
and cached after the first). Reads `_build/html` as built by `make book`.
"""
from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"


def page_weight(page: Path) -> int:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    images = {(page.parent / img["src"]).resolve() for img in soup.find_all("img", src=True)
              if not img["src"].startswith(("http:", "https:", "data:"))}
    return page.stat().st_size + sum(p.stat().st_size for p in images if p.exists())


def main(repeats: int = 1) -> dict:
    if not (HTML / "index.html").exists():
        return {"error": "site not built: run `make book` first"}
    files = [p for p in HTML.rglob("*") if p.is_file()]
    pages = {str(p.relative_to(HTML)): page_weight(p) for p in HTML.rglob("*.html")}
    largest = max(pages, key=pages.get)
    return {
        "total_mb": round(sum(p.stat().st_size for p in files) / 1e6, 2),
        "files": len(files),
        "mathjax_mb": round(sum(p.stat().st_size for p in (HTML / "_static" / "mathjax").rglob("*") if p.is_file()) / 1e6, 2),
        "largest_page": largest,
        "largest_page_kb_with_images": round(pages[largest] / 1e3, 1),
    }
