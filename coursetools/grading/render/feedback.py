"""Output: one feedback page per student, in the grader's words (``feedback/<student>.md``).

Every test with its points; for a failed visible test the targeted message (inputs, expected and
obtained values, the hint); for a failed hidden test only the standard text of its mistake codes
(never its inputs, values, differences or anything the kernel printed). A test of a function
that uses other functions of the lab ran with the official versions of those, and the page
says so, so a student whose only mistake is in ``forward`` sees ``train`` pass and knows where
to look. The score shows how it was reached: the tests, the late penalty as a line of its own,
and each of the instructor's corrections with its reason (``final``). A student graded more
than once sees every attempt (file, when handed in, the grading run, points) and which one counts
under the class's policy (``latest`` or ``best``, ``results.store``).

The page is built once as a small document (``document``: headings, paragraphs, lists, a table,
code blocks) and written as Markdown here and as a self-contained HTML page by
``feedback_html``, so both say the same. Everything that comes from a student (ids, names,
error text, kernel output) goes through the escaping function of the format it is written in
(``escape``), so it cannot change the page around it: in Markdown every text is escaped, code
spans and blocks get fences no text can close; in HTML everything is an entity.
"""
from __future__ import annotations

import dataclasses

from coursetools.grading.render import escape
from coursetools.grading.results import final
from coursetools.grading.records import fmt
from coursetools.grading.records import Adjustment, Status, Submission, TestResult
from coursetools.grading.score.judge import mistake_text
from coursetools.grading.results.store import Store

WHY_NOT_GRADED = {
    Status.EMPTY: "the file is empty.",
    Status.NOT_A_NOTEBOOK: "the file is not a Jupyter notebook (.ipynb). In Colab use File -> "
                           "Download -> Download .ipynb.",
    Status.NOT_A_NOTEBOOK_FILE: "the file you handed in is not a notebook (.ipynb).",
    Status.WRONG_LAB: "it is a notebook of another lab.",
    Status.TOO_LARGE: "the notebook is larger than the grader accepts.",
    Status.MISSING: "nothing was handed in.",
    Status.NOT_ATTEMPTED: "every function is still the skeleton of the lab (did you hand in the "
                          "notebook you worked on?).",
}

FAIR_COSTS = ("Each test grades the parts of the lab it names (a function, a class, or methods "
              "of a class) and runs your versions of exactly those; the parts it only uses run "
              "in their official versions. One mistake costs at most the points of the part "
              "it is in: a test that grades several parts shares its points between them, and "
              "loses only the share of a part that fails on its own.")

# A document: a list of blocks (kind, content). Inline text is a list of (style, text) pairs,
# style "text", "code" or "strong".
Inline = list[tuple[str, str]]


def text(value: str) -> Inline:
    return [("text", str(value))]


def _result(test: TestResult) -> str:
    if test.passed:
        return "passed"
    if not test.codes:
        return "not graded"
    return "failed: " + ", ".join(f"{c} ({mistake_text(c)})" for c in test.codes)


def names(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    words = list(words)
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _fails(name: str, sub: Submission) -> bool:
    """Whether a contract item (or ``Class.method``) fails a test that grades it alone."""
    return any(not t.passed and t.items == [name.split(".")[0]] and (
        "." not in name or name in t.charged or not t.charged) for t in sub.tests)


def how_it_ran(test: TestResult, sub: Submission) -> list[str]:
    """The sentences that say how a test ran and was charged; each one true of this run.

    ``tests/grading/render/test_feedback.py`` checks them on cases where they used to lie (a
    test that never uses ``Linear``, an item whose definition failed, a shared test).
    """
    said = []
    graded = list(test.items) or ([test.subject] if test.subject else [])  # older results
    test = dataclasses.replace(test, items=graded)
    undefined = list(test.undefined) or (list(test.items) if "missing_function" in test.codes
                                         else [])
    if undefined and not test.passed:
        # a graded item was never defined: the test could not run it, official or not
        said.append(f"This test could not run: {names(undefined)} "
                    f"{'is' if len(undefined) < 2 else 'are'} not defined in the code that "
                    "was graded (a cell with a syntax error is skipped whole, and a definition "
                    "that fails leaves its name undefined; see the notes below).")
        return said
    methods = [n for n in test.isolated_from if "." in n]
    items = [n for n in test.isolated_from if "." not in n]
    if items and test.items:
        said.append(f"This test grades {names(test.items)}; it ran with the official "
                    f"{names(items)}, which it uses but does not grade, so its result is about "
                    f"your {names(test.items)} alone.")
    if methods:
        said.append(f"This test ran again with the official {names(methods)}: it passes "
                    f"then, and {names(methods)} {'fails' if len(methods) == 1 else 'fail'} "
                    "its own tests, so the mistake is charged there, once.")
    failing = [n for n in items if _fails(n, sub)]
    if failing:
        said.append(f"Your {names(failing)} {'fails its' if len(failing) == 1 else 'fail their'}"
                    f" own tests: fix {'it' if len(failing) == 1 else 'them'} too.")
    if test.charged and not test.passed:
        if test.earned > 0 and test.earned < test.points:
            said.append(f"This test shares its points between {names(test.items)}; it "
                        f"failed because of {names(test.charged)}, which "
                        f"{'fails' if len(test.charged) == 1 else 'fail'} on "
                        f"{'its' if len(test.charged) == 1 else 'their'} own, so it keeps "
                        f"{fmt(test.earned)} of its {fmt(test.points)} points.")
        elif test.earned == test.points:
            said.append(f"It keeps its points: the mistake is in {names(test.charged)}, whose "
                        "points this mistake has already cost (one mistake costs at most the "
                        "points of the part it is in).")
    return said


def _isolation_note(test: TestResult, sub: Submission) -> list:
    return [("p", text(sentence)) for sentence in how_it_ran(test, sub)]


def _failures(sub: Submission) -> list:
    blocks = []
    for test in (t for t in sub.tests if t.codes):
        kind = "hidden" if test.hidden else "visible"
        blocks.append(("h3", text(f"{test.test} ({kind}, {fmt(test.earned)} / "
                                  f"{fmt(test.points)} points)")))
        blocks += _isolation_note(test, sub)
        if test.hidden or not test.details:
            blocks.append(("ul", [text(mistake_text(c)) for c in test.codes]))
        else:
            blocks.append(("pre", "\n\n".join(test.details[:3]) or "failed"))
            if len(test.details) > 3:
                blocks.append(("p", text(f"({len(test.details) - 3} more failing outputs "
                                         "not shown)")))
    return blocks


def _points(test: TestResult, corrected: dict[str, Adjustment]) -> str:
    change = corrected.get(test.test)
    if change is None:
        return f"{fmt(test.earned)} / {fmt(test.points)}"
    return f"{fmt(change.after)} / {fmt(test.points)} (corrected from {fmt(test.earned)})"


def _facts(store: Store, sub: Submission) -> list[Inline]:
    facts = [[("text", "Student: "), ("code", sub.student)]]
    if sub.name:
        facts.append(text(f"Name: {sub.name}"))
    facts.append([("text", "Score: "),
                  ("strong", f"{fmt(sub.final_points)} / {fmt(store.max_points)}"),
                  ("text", " points")])
    facts.append(text(f"Status: {sub.status_text}"))
    if sub.source:
        handed = f"Graded file: {sub.source}"
        if sub.submitted:
            handed += f", handed in {sub.submitted.replace('T', ' ')}"
        facts.append(text(handed))
    if sub.late_days > 0:
        facts.append(text("Late: yes" + (f" ({fmt(sub.late_days)} started day"
                                         f"{'s' if sub.late_days != 1 else ''})"
                                         if sub.submitted and store.deadline else "")))
    return facts


def _answer_result(sub: Submission, answer) -> tuple[str, str]:
    """(points, what the instructor said) of one written answer for one student."""
    given = sub.answer_points.get(answer.id)
    if given is not None:
        return f"{fmt(given['points'])} / {fmt(answer.points)}", given["comment"]
    text_of = sub.answers.get(answer.id)
    if answer.id not in sub.answers:
        return f"0 / {fmt(answer.points)}", "no notebook was read"
    if text_of is None:
        return f"0 / {fmt(answer.points)}", "answer cell not found (its first line was deleted)"
    if not text_of:
        return f"0 / {fmt(answer.points)}", "no answer"
    return f"- / {fmt(answer.points)}", "not graded yet"


def _written_answers(store: Store, sub: Submission) -> list:
    if not store.answers:
        return []
    return [("h2", text("Written answers")),
            ("p", text("Your instructor grades these by hand.")),
            ("table", (["answer", "points", "comment"],
                       [[text(a.id), text(_answer_result(sub, a)[0]),
                         text(_answer_result(sub, a)[1])] for a in store.answers]))]


def _score(store: Store, sub: Submission) -> list:
    if not sub.adjustments:
        return []
    lines = [text(f"Tests: {fmt(sub.points)} / {fmt(store.max_points)} points.")]
    if sub.answer_points:
        lines.append(text("Written answers: " + fmt(sum(
            a["points"] for a in sub.answer_points.values())) + " points."))
    lines += [text(final.describe(change)) for change in sub.adjustments]
    lines.append([("text", "Score: "), ("strong", f"{fmt(sub.final_points)}"),
                  ("text", f" / {fmt(store.max_points)} points.")])
    return [("h2", text("How the score was reached")), ("ul", lines)]


POLICY_TEXT = {"latest": "the newest file counts", "best": "the file with the most points "
               "(after the late penalty) counts"}


def _attempts(store: Store, sub: Submission) -> list:
    attempts = store.attempts(sub.student)
    if len(attempts) < 2:
        return []
    rows = [[text(str(number)), [("code", a.file)],
             text(a.submitted.replace("T", " ") or "unknown"),
             text(str(a.run) if a.run is not None else "?"),
             text(fmt(a.points) + (f" ({fmt(a.counted)} after the late penalty)"
                                   if a.counted != a.points else "")),
             text("yes" if a.counts else "")]
            for number, a in enumerate(attempts, start=1)]
    return [("h2", text("Your attempts")),
            ("p", text(f"You were graded {len(attempts)} times; "
                       f"{POLICY_TEXT.get(store.policy, store.policy)}.")),
            ("table", (["attempt", "file", "handed in", "grading run", "points", "counts"], rows))]


def document(store: Store, sub: Submission) -> list:
    """The feedback page of one student, as blocks (see the module docstring)."""
    blocks = [("h1", text(f"Feedback: {store.lab}")), ("ul", _facts(store, sub))]
    reasons = [WHY_NOT_GRADED[s.status] for s in sub.statuses if s.status in WHY_NOT_GRADED]
    if reasons:
        blocks.append(("p", text("Your notebook could not be graded: " + reasons[0])))
    blocks += _score(store, sub)
    blocks += _attempts(store, sub)
    corrected = {c.target: c for c in sub.adjustments if c.what == "test"}
    blocks += [("h2", text("Tests")),
               ("p", text("Hidden tests use inputs you have not seen; for them only the kind "
                          "of mistake is shown.")),
               ("p", text(FAIR_COSTS)),
               ("table", (["test", "kind", "points", "result"],
                          [[text(t.test), text("hidden" if t.hidden else "visible"),
                            text(_points(t, corrected)), text(_result(t))]
                           for t in sub.tests]))]
    blocks += _written_answers(store, sub)
    failures = _failures(sub)
    if failures:
        blocks += [("h2", text("What went wrong")), *failures]
    if sub.notes:
        blocks += [("h2", text("Notes on your notebook")), ("ul", [text(n) for n in sub.notes])]
    return blocks


# ------------------------------------------------------------------ Markdown
def _md_inline(parts: Inline, in_table: bool = False) -> str:
    """Every text of the page goes through ``escape``: the grader's words and a student's alike."""
    out = []
    for style, value in parts:
        if style == "code":
            out.append(escape.markdown_code(value, in_table))
        elif style == "strong":
            out.append(f"**{escape.markdown_text(value)}**")
        else:
            out.append(escape.markdown_text(value))
    return "".join(out)


def markdown(blocks: list) -> str:
    lines = []
    for kind, content in blocks:
        if kind in ("h1", "h2", "h3"):
            lines += ["#" * int(kind[1]) + " " + _md_inline(content), ""]
        elif kind == "p":
            lines += [_md_inline(content), ""]
        elif kind == "ul":
            lines += [f"- {_md_inline(item)}" for item in content] + [""]
        elif kind == "pre":
            lines += [escape.markdown_block(content), ""]
        elif kind == "table":
            header, rows = content
            lines += ["| " + " | ".join(escape.markdown_text(h) for h in header) + " |",
                      "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(_md_inline(c, in_table=True) for c in row) + " |"
                      for row in rows] + [""]
    return "\n".join(lines).rstrip() + "\n"


def render(store: Store, sub: Submission) -> str:
    """The Markdown feedback page of one student."""
    return markdown(document(store, sub))
