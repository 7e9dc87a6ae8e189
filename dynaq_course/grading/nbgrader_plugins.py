"""nbgrader plug-ins used by the course's ``nbgrader_config.py`` (feedback only).

* ``ReadableCheckFailures``: a failed check shows its message first, wrapped,
  without the course's internal traceback frames.
* ``HideHiddenTestTracebacks``: a failing hidden test shows its message, not its code.
* ``MathToMathML``: the markdown math (``$k$``, ``$$...$$``) becomes MathML, which
  browsers draw themselves, so feedback needs no network.
* ``OfflineFeedbackExporter``: nbgrader's feedback HTML without the MathJax
  ``<script>`` it would load from a CDN.
"""

from __future__ import annotations

import html
import re

from jinja2 import DictLoader
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, List

from dynaq_course.checks.messages import wrap
from dynaq_course.notebook_cells import BEGIN_HIDDEN, END_HIDDEN, has_markers

HIDDEN_NOTE = "(This is a hidden test: its code is not shown.)"
# Errors whose message is written for the learner (see grading.messages.LearnerFacingError).
LEARNER_FACING = ("ExerciseCheckFailed", "ExerciseNotReady")


class ReadableCheckFailures(Preprocessor):
    """In feedback, show a failed check as its message alone, first and wrapped to 88 columns.

    Kernels that ran the course's checks already print it so (``_render_traceback_``);
    this also covers errors written without a kernel (the grader's re-check appends
    ``ExerciseCheckFailed: <message>`` on one line) and notebooks graded by an older
    course version. A trailing note in parentheses is kept.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in LEARNER_FACING:
                old = output.get("traceback", [])
                notes = [
                    line
                    for line in old[-1:]
                    if line.startswith("(") and line.endswith(")") and line not in output.get("evalue", "")
                ]
                output["traceback"] = wrap(output.get("evalue", "")) + notes
        return cell, resources


class HideHiddenTestTracebacks(Preprocessor):
    """In feedback, show a failing hidden test's error message but not its code.

    nbgrader's ``ClearHiddenTests`` removes the hidden lines from the cell, but
    a failing hidden test's traceback still quotes them. Run this before
    ``ClearHiddenTests``: it keeps only the message (wrapped; prefixed with the
    error's name unless the message is one of the course's own) and a note.
    A cell counts when any line is one ClearHiddenTests takes for a marker
    (``notebook_cells.has_markers``); nothing here raises on malformed markers,
    as feedback is made from students' notebooks.
    """

    # nbconvert preprocessors are off unless enabled, and nbgrader registers the
    # ones listed in GenerateFeedback.preprocessors without enabling them.
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and has_markers(cell.source, BEGIN_HIDDEN, END_HIDDEN):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    ename, evalue = output.get("ename", "Error"), output.get("evalue", "")
                    text = evalue if ename in LEARNER_FACING else f"{ename}: {evalue}"
                    output["traceback"] = wrap(text) + [HIDDEN_NOTE]
        return cell, resources


# ------------------------------------------------------------------ math without MathJax

_CODE = re.compile(r"(^|\n)(```|~~~).*?(\n\2[^\n]*(?=\n|$)|$)|(`+)(?:.|\n)*?(?<!`)\4(?!`)", re.DOTALL)
# $$display$$ (may span lines), then $inline$: no space just inside the dollars, no digit right after
# the closing one (so "costs $5 and $6" stays text), \$ is a literal dollar.
_MATH = re.compile(r"(?<![\\$])\$\$(.+?)\$\$|(?<![\\$])\$(?![\s$])((?:\\.|[^$\\])+?)(?<!\s)\$(?!\d)", re.DOTALL)
# Characters markdown would act on inside the MathML text; written as entities they stay characters.
_MARKDOWN_SPECIALS = {c: f"&#{ord(c)};" for c in "\\`*_[]$~|{}"}


def _protect(mathml: str) -> str:
    """MathML that markdown leaves alone: its text's markdown characters as entities, on one line."""

    def text(match):
        return "".join(_MARKDOWN_SPECIALS.get(c, c) for c in match.group(0))

    return re.sub(r">[^<]+<", text, mathml.replace("\n", ""))


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """``tex`` as a MathML element (latex2mathml); the TeX itself, in a <code> span, if it cannot convert."""
    try:
        from latex2mathml.converter import convert

        return _protect(convert(tex, display="block" if display else "inline"))
    except Exception:  # noqa: BLE001 - ImportError or TeX latex2mathml does not know: show the source
        return "<code>" + "".join(_MARKDOWN_SPECIALS.get(c, c) for c in html.escape(tex)) + "</code>"


def markdown_math_to_mathml(source: str) -> str:
    """Every ``$...$`` / ``$$...$$`` of a markdown text turned into MathML; code spans and fences untouched."""

    def convert(text: str) -> str:
        return _MATH.sub(
            lambda m: tex_to_mathml(m.group(1).strip(), True) if m.group(1) is not None else tex_to_mathml(m.group(2)),
            text,
        )

    out, last = [], 0
    for code in _CODE.finditer(source):
        out += [convert(source[last : code.start()]), code.group(0)]
        last = code.end()
    out.append(convert(source[last:]))
    return "".join(out)


class MathToMathML(Preprocessor):
    """Turn the math of markdown cells into MathML, so feedback shows formulas without MathJax (no network).

    Browsers draw MathML natively (Chrome/Edge 109+, Firefox, Safari). Pair it with
    ``OfflineFeedbackExporter``, which leaves MathJax out of the page.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown" and "$" in cell.source:
            cell.source = markdown_math_to_mathml(cell.source)
        return cell, resources


# Replaces nbconvert's mathjax.html.j2, which nbgrader's feedback template calls with a CDN address.
OFFLINE_MATHJAX_MACRO = """{%- macro mathjax(url="") -%}
<!-- MathJax is not loaded: this page's math is MathML (dynaq_course.grading.nbgrader_plugins.MathToMathML). -->
<style>math { font-size: 1.1em; } math[display="block"] { margin: 0.5em 0; }</style>
{%- endmacro %}
"""


class OfflineFeedbackExporter(HTMLExporter):
    """nbgrader's feedback HTML, with a ``mathjax`` macro that loads nothing from the network."""

    extra_loaders = List([DictLoader({"mathjax.html.j2": OFFLINE_MATHJAX_MACRO})])


class EditionCells(Preprocessor):
    """Apply the course's edition tags when nbgrader generates the student edition.

    Drops cells tagged ``self-learner-only`` and folds ``hint`` cells into a
    closed ``<details>`` (``editions.release_cells``). It is first in
    ``GenerateAssignment.preprocessors`` (nbgrader_config.py), so a plain
    ``nbgrader generate_assignment`` never puts self-learner text in release/.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        from dynaq_course.grading.editions import release_cells

        name = resources.get("unique_key") or resources.get("metadata", {}).get("name", "")
        return release_cells(nb, str(name)), resources
