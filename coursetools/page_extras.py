"""Sphinx extension: the parts of a page that students need and the theme does not give them.

- **An "Open in Colab" badge under the title of every notebook page**, with one line on saving a
  copy. The theme only offers Colab inside the unlabelled rocket menu, and nothing tells a student
  that Colab throws their work away unless they save a copy in Drive. The badge reuses the URL the
  theme built for its own launch button (from ``repository.url`` and ``branch`` in
  ``_config.yml``), so the two can never disagree; when ``launch_buttons.jupyterhub_url`` is set,
  an "Open on JupyterHub" badge sits beside it. The badge is added at build time to the rendered
  page only (not to the notebooks, so nothing drifts, and not to the search index). It is drawn
  with CSS (``_static/course.css``) and the Colab logo shipped with the theme: no external image,
  the site stays complete offline.
- **Each script once.** Sphinx 7.4 registers an inline script added by an extension twice (once
  under the name ``None``, once under ``''``); sphinx-thebe's ``const THEBE_JS_URL`` declared twice
  is a JavaScript error on every page.
- **Search results without raw LaTeX.** Sphinx's search page shows each hit with a snippet taken
  from the page's text and with the section title from the search index; both carry the TeX source
  of any math (``\\(\\operatorname{Var}(w) = 1/M\\)``), which MathJax never sees there. A small script,
  added to the search page only, turns that TeX into readable text (``Var(w) = 1/M``, ``W⁽¹⁾ᵀ``).
- **A style change reaches the site.** Sphinx copies ``_static/`` only when it rewrites some page;
  after an edit to ``_static/course.css`` alone it reports "no targets are out of date" and the
  site keeps the old stylesheet. The digest of the static files is kept in the build environment;
  when it changes, the root page is rebuilt, which copies them.
"""
from __future__ import annotations

import hashlib
import html
from pathlib import Path

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

SAVE_NOTE = "In Colab: <em>File → Save a copy in Drive</em>, or your changes are lost."
LAUNCH_GROUP = "launch-buttons"
# Badges for the launch targets that the theme offers on notebook pages: (theme's button text,
# badge text, logo shipped with sphinx-book-theme).
BADGES = (
    ("Colab", "Open in Colab", "_static/images/logo_colab.png"),
    ("JupyterHub", "Open on JupyterHub", "_static/images/logo_jupyterhub.svg"),
)


def launch_links(header_buttons) -> dict[str, str]:
    """``{button text: url}`` of the theme's launch menu (the rocket) on this page."""
    links = {}
    for group in header_buttons or []:
        if isinstance(group, dict) and group.get("label") == LAUNCH_GROUP:
            for button in group.get("buttons", []):
                if button.get("url"):
                    links[button["text"]] = button["url"]
    return links


def badges_html(links: dict[str, str], pathto) -> str:
    """The badge row for a notebook page: a badge per configured launch target, then the note."""
    badges = []
    for text, label, logo in BADGES:
        if text in links:
            badges.append(
                f'<a class="launch-badge" href="{html.escape(links[text])}" target="_blank" rel="noopener">'
                f'<img src="{pathto(logo, 1)}" alt="" width="20" height="20"/>'
                f'<span>{label}</span></a>')
    note = f'<span class="launch-badges__note">{SAVE_NOTE}</span>' if "Colab" in links else ""
    return f'<div class="launch-badges">{"".join(badges)}{note}</div>'


def insert_after_title(body: str, fragment: str) -> str:
    """``fragment`` right after the page's first ``<h1>`` (at the top if there is none)."""
    end = body.find("</h1>")
    if end < 0:
        return fragment + body
    end += len("</h1>")
    return body[:end] + "\n" + fragment + body[end:]


def unique_scripts(scripts) -> list:
    """Scripts in order, each once; an inline script's name may be ``None`` or ``''``."""
    seen, kept = set(), []
    for script in scripts:
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    return kept


# Runs on the search page before Sphinx's own search starts (DOMContentLoaded, registered first).
SEARCH_SCRIPT = r"""
(() => {
  const SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", Gamma: "Γ", delta: "δ", Delta: "Δ", epsilon: "ε",
    varepsilon: "ε", zeta: "ζ", eta: "η", theta: "θ", Theta: "Θ", kappa: "κ", lambda: "λ",
    Lambda: "Λ", mu: "μ", nu: "ν", xi: "ξ", pi: "π", Pi: "Π", rho: "ρ", sigma: "σ", Sigma: "Σ",
    tau: "τ", phi: "φ", varphi: "φ", Phi: "Φ", chi: "χ", psi: "ψ", omega: "ω", Omega: "Ω",
    partial: "∂", nabla: "∇", sum: "Σ", prod: "Π", int: "∫", infty: "∞", cdot: "·", cdots: "⋯",
    ldots: "…", dots: "…", vdots: "⋮", ddots: "⋱", times: "×", top: "ᵀ", intercal: "ᵀ",
    le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠", approx: "≈", sim: "∼", simeq: "≃",
    equiv: "≡", propto: "∝", in: "∈", notin: "∉", subset: "⊂", cup: "∪", cap: "∩", to: "→",
    rightarrow: "→", leftarrow: "←", Rightarrow: "⇒", iff: "⇔", mapsto: "↦", gets: "←",
    lVert: "‖", rVert: "‖", Vert: "‖", "|": "‖", lvert: "|", rvert: "|", vert: "|", mid: "|",
    pm: "±", mp: "∓", odot: "⊙", otimes: "⊗", circ: "∘", ast: "∗", star: "⋆", langle: "⟨",
    rangle: "⟩", lfloor: "⌊", rfloor: "⌋", lceil: "⌈", rceil: "⌉", prime: "′", ell: "ℓ",
    forall: "∀", exists: "∃", neg: "¬", land: "∧", lor: "∨", emptyset: "∅",
    quad: " ", qquad: " ", ",": " ", ":": " ", ";": " ", " ": " ", "!": "", "\\": " ",
    "{": "{", "}": "}", "_": "_", "%": "%", "$": "$", "#": "#", "&": "&",
  };
  const TEXT = new Set(["mathrm", "mathbf", "mathit", "mathsf", "mathtt", "mathcal", "mathbb",
    "mathfrak", "mathscr", "boldsymbol", "bm", "operatorname", "text", "textrm", "textbf",
    "textit", "mbox", "displaystyle", "textstyle"]);
  const ACCENTS = { tilde: "\u0303", widetilde: "\u0303", hat: "\u0302", widehat: "\u0302",
    bar: "\u0304", overline: "\u0305", vec: "\u20d7", dot: "\u0307", ddot: "\u0308" };
  const SIZES = new Set(["left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl",
    "Bigr", "biggl", "biggr", "middle"]);
  const BRACKETS = { bmatrix: ["[", "]"], pmatrix: ["(", ")"], vmatrix: ["|", "|"],
    Bmatrix: ["{", "}"] };
  const SUP = { "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷",
    "8": "⁸", "9": "⁹", "+": "⁺", "-": "⁻", "−": "⁻", "=": "⁼", "(": "⁽", ")": "⁾", n: "ⁿ",
    i: "ⁱ", l: "ˡ", t: "ᵗ", T: "ᵀ", "ᵀ": "ᵀ", "′": "′", "*": "*", "∗": "*" };
  const SUB = { "0": "₀", "1": "₁", "2": "₂", "3": "₃", "4": "₄", "5": "₅", "6": "₆", "7": "₇",
    "8": "₈", "9": "₉", "+": "₊", "-": "₋", "−": "₋", "=": "₌", "(": "₍", ")": "₎", a: "ₐ",
    e: "ₑ", h: "ₕ", i: "ᵢ", j: "ⱼ", k: "ₖ", l: "ₗ", m: "ₘ", n: "ₙ", o: "ₒ", p: "ₚ", r: "ᵣ",
    s: "ₛ", t: "ₜ", u: "ᵤ", v: "ᵥ", x: "ₓ" };

  // TeX source of a formula -> readable plain text.
  const texToText = (tex) => {
    let i = 0;
    const skipSpaces = () => { while (tex[i] === " ") i++; };
    const seq = (end) => {
      let out = "";
      while (i < tex.length && tex[i] !== end) out += token();
      return out;
    };
    const group = () => {
      skipSpaces();
      if (tex[i] === "{") { i++; const out = seq("}"); i++; return out; }
      return token();
    };
    const wrap = (s) => (/^[\w.′ᵀ]*$/u.test(s) ? s : `(${s})`);
    const script = (arg, table, mark) => {
      const chars = [...arg.trim()];
      if (chars.length && chars.every((c) => c in table)) return chars.map((c) => table[c]).join("");
      return mark + (chars.length > 1 && !/^[([]/.test(arg) ? `(${arg.trim()})` : arg.trim());
    };
    const command = (name) => {
      if (TEXT.has(name)) return group();
      if (name === "frac" || name === "tfrac" || name === "dfrac" || name === "cfrac") {
        const a = group();
        const b = group();
        return `${wrap(a.trim())}/${wrap(b.trim())}`;
      }
      if (name === "sqrt") {
        skipSpaces();
        if (tex[i] === "[") { while (i < tex.length && tex[i] !== "]") i++; i++; }
        return `√${wrap(group().trim())}`;
      }
      if (name in ACCENTS) { const a = group(); return [...a].length === 1 ? a + ACCENTS[name] : a; }
      if (SIZES.has(name)) { skipSpaces(); const d = token(); return d === "." ? "" : d; }
      if (name === "begin" || name === "end") {
        const env = group();
        const pair = BRACKETS[env];
        return pair ? pair[name === "begin" ? 0 : 1] : " ";
      }
      if (name in SYMBOLS) return SYMBOLS[name];
      return name;  // \max, \tanh, \log, \exp, ... read as their names
    };
    const token = () => {
      const c = tex[i];
      if (c === undefined) return "";
      if (c === "\\") {
        const m = /^\\([A-Za-z]+|.)/.exec(tex.slice(i));
        i += m ? m[0].length : 1;
        // "\partial E" reads "∂E"; "\eta < 1" keeps its spaces
        if (m && /^[A-Za-z]/.test(m[1]) && /^ +[A-Za-z]/.test(tex.slice(i))) skipSpaces();
        return m ? command(m[1]) : "";
      }
      if (c === "^") { i++; return script(group(), SUP, "^"); }
      if (c === "_") { i++; return script(group(), SUB, "_"); }
      if (c === "{") { i++; const out = seq("}"); i++; return out; }
      i++;
      return c === "~" || c === "&" ? " " : c;
    };
    return seq(undefined).replace(/\s+/g, " ").trim();
  };
  const mathText = (tex) => texToText(tex.trim().replace(/^(\\\(|\\\[|\$\$?)|(\\\)|\\\]|\$\$?)$/g, ""));
  // Section titles in the index are plain text with the math as bare TeX.
  // A command, a braced script (x_{i}), or a one-character script closing a word (x_1, W^T),
  // which an identifier such as ready_to_hand_in does not have.
  const looksLikeTex = (s) => /\\[A-Za-z]|[\^_]\{|[\w)][\^_][\w′](?![\w])/u.test(s);
  const plainHtml = (markup) => {
    const el = document.createElement("div");
    el.innerHTML = markup;
    el.querySelectorAll(".math").forEach((m) => { m.textContent = mathText(m.textContent); });
    return el.innerHTML;
  };
  window.courseTexToText = texToText;

  document.addEventListener("DOMContentLoaded", () => {
    const index = Search._index;
    if (index) {
      for (const [doc, title] of Object.entries(index.titles)) index.titles[doc] = plainHtml(title);
      const titles = {};
      for (const [title, places] of Object.entries(index.alltitles)) {
        const plain = looksLikeTex(title) ? texToText(title) : title;
        titles[plain] = (titles[plain] || []).concat(places);
      }
      index.alltitles = titles;
    }
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".math").forEach((m) => { m.textContent = mathText(m.textContent); });
      return htmlToText(doc.documentElement.outerHTML, anchor);
    };
  });
})();
"""


def on_page(app, pagename, templatename, context, doctree) -> None:
    if pagename == "search":
        app.add_js_file(None, body=SEARCH_SCRIPT)
    if doctree is not None and context.get("page_source_suffix") == ".ipynb" and "body" in context:
        links = launch_links(context.get("header_buttons"))
        if "Colab" not in links:
            LOGGER.warning("%s: notebook page without a Colab launch link (set repository.url and "
                           "launch_buttons.colab_url in _config.yml)", pagename,
                           location=pagename, type="page_extras")
        context["body"] = insert_after_title(context["body"], badges_html(links, context["pathto"]))
    if "script_files" in context:
        context["script_files"] = unique_scripts(context["script_files"])


def static_digest(srcdir: Path, static_paths) -> str:
    """A digest of the names and bytes of every file in the project's static folders."""
    digest = hashlib.sha256()
    for folder in static_paths:
        root = Path(srcdir, folder)
        for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def outdated_when_static_changed(app, env, added, changed, removed) -> list[str]:
    digest = static_digest(Path(app.srcdir), app.config.html_static_path)
    if getattr(env, "course_static_digest", None) == digest:
        return []
    env.course_static_digest = digest
    return [app.config.root_doc] if app.config.root_doc in env.all_docs else []


def setup(app):
    # After sphinx-book-theme's launch buttons (priority 501), which this reads.
    app.connect("html-page-context", on_page, priority=900)
    app.connect("env-get-outdated", outdated_when_static_changed)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

