"""The Sphinx extension coursetools.page_extras: Colab badge, scripts once, search without LaTeX."""
from types import SimpleNamespace

from coursetools import page_extras

COLAB = "https://colab.research.google.com/github/someone/course/blob/main/chapters/a.ipynb"
HUB = "https://hub.example.edu/hub/user-redirect/git-pull?repo=x&urlpath=tree/course/chapters/a.ipynb&branch=main"
BODY = '<section id="a">\n<h1>A title<a class="headerlink" href="#a">#</a></h1>\n<p>Text.</p>\n</section>'


def theme_buttons(**links):
    """``header_buttons`` as sphinx-book-theme leaves them on a notebook page."""
    return [{"type": "link", "label": "download-buttons"},
            {"type": "group", "label": "launch-buttons",
             "buttons": [{"type": "link", "text": text, "url": url} for text, url in links.items()]}]


def pathto(name, resource=0):
    return "../" + name


class FakeApp:
    def __init__(self):
        self.js = []

    def add_js_file(self, filename, **attributes):
        self.js.append((filename, attributes))


def context(suffix=".ipynb", **links):
    return {"page_source_suffix": suffix, "body": BODY, "pathto": pathto,
            "header_buttons": theme_buttons(**links), "script_files": []}


def test_launch_links_come_from_the_theme_menu():
    assert page_extras.launch_links(theme_buttons(Colab=COLAB, JupyterHub=HUB)) == {"Colab": COLAB, "JupyterHub": HUB}
    assert page_extras.launch_links(theme_buttons()) == {}
    assert page_extras.launch_links(None) == {}


def test_badge_opens_the_notebook_in_colab_and_says_to_save_a_copy():
    row = page_extras.badges_html({"Colab": COLAB}, pathto)
    assert f'href="{COLAB}"' in row and "Open in Colab" in row
    assert "Save a copy in Drive" in row
    assert 'src="../_static/images/logo_colab.png"' in row  # shipped with the theme: no external image
    assert "JupyterHub" not in row


def test_jupyterhub_badge_when_configured():
    row = page_extras.badges_html({"Colab": COLAB, "JupyterHub": HUB}, pathto)
    assert "Open on JupyterHub" in row
    assert "&amp;urlpath=" in row  # the URL is escaped inside the attribute


def test_badge_goes_right_under_the_title():
    out = page_extras.insert_after_title(BODY, "<div>badge</div>")
    assert out.index("</h1>") < out.index("<div>badge</div>") < out.index("<p>Text.</p>")
    assert page_extras.insert_after_title("<p>no title</p>", "<b/>") == "<b/><p>no title</p>"


def test_notebook_pages_get_the_badge_markdown_pages_do_not():
    app = FakeApp()
    notebook = context(Colab=COLAB)
    page_extras.on_page(app, "chapters/a", "page.html", notebook, doctree=object())
    assert notebook["body"].count("launch-badge\"") == 1 and COLAB in notebook["body"]
    markdown = context(suffix=".md")
    page_extras.on_page(app, "chapters/b", "page.html", markdown, doctree=object())
    assert markdown["body"] == BODY
    assert app.js == []  # the search script goes on the search page only


def test_a_notebook_page_without_colab_link_is_reported(caplog):
    page = context()
    page_extras.on_page(FakeApp(), "chapters/a", "page.html", page, doctree=object())
    assert "without a Colab launch link" in caplog.text


def test_search_page_gets_the_latex_to_text_script():
    app = FakeApp()
    page_extras.on_page(app, "search", "search.html", {"script_files": []}, doctree=None)
    assert app.js == [(None, {"body": page_extras.SEARCH_SCRIPT})]
    for hook in ("Search.htmlToText", "alltitles", "DOMContentLoaded"):
        assert hook in page_extras.SEARCH_SCRIPT


def script(filename, priority=500, **attributes):
    return SimpleNamespace(filename=filename, priority=priority, attributes=attributes)


def test_each_script_once():
    thebe = 'const THEBE_JS_URL = "x"'
    scripts = [script("a.js"), script(None, body=thebe), script("b.js"), script("", body=thebe),
               script("a.js"), script("a.js", priority=800), script(None, body="other")]
    kept = page_extras.unique_scripts(scripts)
    assert [(s.filename, s.priority, s.attributes) for s in kept] == [
        ("a.js", 500, {}), (None, 500, {"body": thebe}), ("b.js", 500, {}), ("a.js", 800, {}),
        (None, 500, {"body": "other"})]


def test_a_change_to_a_static_file_rebuilds_the_root_page_once(tmp_path):
    (tmp_path / "_static").mkdir()
    css = tmp_path / "_static" / "course.css"
    css.write_text("a { color: red; }")
    app = SimpleNamespace(srcdir=str(tmp_path),
                          config=SimpleNamespace(html_static_path=["_static"], root_doc="intro"))
    env = SimpleNamespace(all_docs={"intro": 0, "chapters/a": 0})

    def outdated():
        return page_extras.outdated_when_static_changed(app, env, set(), set(), set())

    assert outdated() == ["intro"]          # first build: nothing recorded yet
    assert outdated() == []                 # nothing changed: Sphinx may skip writing
    css.write_text("a { color: blue; }")
    assert outdated() == ["intro"]          # the stylesheet changed: a page is written, static copied
    assert outdated() == []
    (tmp_path / "_static" / "new.svg").write_text("<svg/>")
    assert outdated() == ["intro"]          # a new file counts too
