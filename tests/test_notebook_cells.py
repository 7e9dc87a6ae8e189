"""dynaq_course.notebook_cells: cell facts and the strict reading of nbgrader's marker regions."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from dynaq_course import notebook_cells as nc
from dynaq_course.notebook_cells import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    MarkerError,
    hidden_test_text,
    inside,
    outside,
    regions,
    solution_text,
)

SOLVED = "\n".join(
    [
        "def f(x):",
        "    ### BEGIN SOLUTION",
        "    y = x + 1",
        "    return y",
        "    ### END SOLUTION",
        "",
        "def g():",
        "### BEGIN SOLUTION",
        "    return 2",
        "### END SOLUTION",
    ]
)
TESTS = "\n".join(
    ["assert f(1) == 2", "### BEGIN HIDDEN TESTS", "assert f(2) == 3", "### END HIDDEN TESTS", "print('done')"]
)


# ------------------------------------------------------------------ cells


def test_cell_source_joins_json_lines_and_keeps_strings():
    assert nc.cell_source({"source": ["a\n", "b"]}) == "a\nb"
    assert nc.cell_source({"source": "a\nb"}) == "a\nb"
    assert nc.cell_source({}) == ""
    assert nc.cell_source(nbformat.v4.new_code_cell("x = 1")) == "x = 1"


def test_nbgrader_facts_of_plain_and_nbformat_cells():
    plain = {"cell_type": "code", "source": [], "metadata": {"nbgrader": {"grade_id": "f", "solution": True}}}
    node = nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade_id": "f-tests", "grade": True}})
    bare = {"cell_type": "markdown", "source": "", "metadata": {}}
    assert nc.grade_id(plain) == "f" and nc.is_solution_cell(plain) and not nc.is_grade_cell(plain)
    assert nc.grade_id(node) == "f-tests" and nc.is_grade_cell(node) and not nc.is_solution_cell(node)
    assert nc.nbgrader_meta(bare) == {} and nc.grade_id(bare) is None
    assert nc.nbgrader_meta({"metadata": {"nbgrader": None}}) == {}


def test_code_cells_and_find_cell():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("text", metadata={"nbgrader": {"grade_id": "q"}}),
            nbformat.v4.new_code_cell("x", metadata={"nbgrader": {"grade_id": "f"}}),
            nbformat.v4.new_code_cell("y"),
        ]
    )
    plain = json.loads(nbformat.writes(nb))
    for notebook in (nb, plain):
        assert [nc.cell_source(c) for c in nc.code_cells(notebook)] == ["x", "y"]
        assert nc.cell_source(nc.find_cell(notebook, "f")) == "x"
        assert nc.cell_source(nc.find_cell(notebook, "q")) == "text"
        assert nc.find_cell(notebook, "q", cell_type="code") is None
        assert nc.find_cell(notebook, "missing") is None


def test_describe_names_the_notebook_and_the_cell():
    assert nc.describe({"metadata": {"nbgrader": {"grade_id": "f"}}}, "a.ipynb") == "a.ipynb cell 'f'"
    assert nc.describe({"id": "abc", "metadata": {}}) == "cell 'abc'"


# ------------------------------------------------------------------ balanced regions


def test_regions_are_the_marker_line_numbers():
    assert regions(SOLVED, BEGIN_SOLUTION, END_SOLUTION) == [(2, 5), (8, 10)]
    assert regions(TESTS, BEGIN_HIDDEN, END_HIDDEN) == [(2, 4)]
    assert regions(TESTS, BEGIN_SOLUTION, END_SOLUTION) == []
    assert regions("", BEGIN_HIDDEN, END_HIDDEN) == []


def test_inside_joins_every_region():
    assert solution_text(SOLVED) == "    y = x + 1\n    return y\n    return 2"
    assert hidden_test_text(TESTS) == "assert f(2) == 3"
    assert inside(TESTS, BEGIN_SOLUTION, END_SOLUTION) == ""
    assert inside("### BEGIN SOLUTION\n### END SOLUTION", BEGIN_SOLUTION, END_SOLUTION) == ""


def test_outside_drops_the_regions():
    assert outside(TESTS, BEGIN_HIDDEN, END_HIDDEN) == "assert f(1) == 2\nprint('done')"
    assert outside(SOLVED, BEGIN_SOLUTION, END_SOLUTION) == "def f(x):\n\ndef g():"
    kept = outside(TESTS, BEGIN_HIDDEN, END_HIDDEN, keep_markers=True)
    assert kept == "assert f(1) == 2\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\nprint('done')"
    assert outside("no markers\n", BEGIN_HIDDEN, END_HIDDEN) == "no markers\n"


def test_without_markers_and_replace_regions():
    assert nc.without_markers(TESTS, BEGIN_HIDDEN, END_HIDDEN) == "assert f(1) == 2\nassert f(2) == 3\nprint('done')"
    stubbed = nc.replace_regions(SOLVED, BEGIN_SOLUTION, END_SOLUTION, "# YOUR CODE HERE\nraise NotImplementedError()")
    assert stubbed.split("\n") == [
        "def f(x):",
        "    # YOUR CODE HERE",
        "    raise NotImplementedError()",
        "",
        "def g():",
        "# YOUR CODE HERE",
        "raise NotImplementedError()",
    ]


@pytest.mark.parametrize("indent", ["", "    ", "\t", "  \t "])
def test_markers_may_be_indented_and_have_trailing_spaces(indent):
    source = f"a\n{indent}### BEGIN HIDDEN TESTS  \n{indent}b\n{indent}### END HIDDEN TESTS\t\nc"
    assert regions(source, BEGIN_HIDDEN, END_HIDDEN) == [(2, 4)]
    assert outside(source, BEGIN_HIDDEN, END_HIDDEN) == "a\nc"


def test_source_as_json_lines_reads_like_the_string():
    cell = {"source": [line + "\n" for line in TESTS.split("\n")[:-1]] + [TESTS.split("\n")[-1]]}
    assert hidden_test_text(nc.cell_source(cell)) == hidden_test_text(TESTS)


@pytest.mark.parametrize("source", [SOLVED, TESTS, SOLVED + "\n" + TESTS, "x\n### BEGIN SOLUTION\n\n### END SOLUTION"])
def test_same_result_as_nbgraders_own_preprocessors(source):
    """Where both accept the source, the regions are those nbgrader's ClearSolutions/ClearHiddenTests cut."""
    cell = nbformat.v4.new_code_cell(
        source, metadata={"nbgrader": {"grade": True, "solution": True, "grade_id": "c", "points": 1}}
    )
    hidden = ClearHiddenTests()._remove_hidden_test_region(cell)
    assert hidden == bool(regions(source, BEGIN_HIDDEN, END_HIDDEN))
    assert cell.source == outside(source, BEGIN_HIDDEN, END_HIDDEN)
    cell.source = source
    clear = ClearSolutions()
    solved = clear._replace_solution_region(cell, "python")
    assert solved == bool(regions(source, BEGIN_SOLUTION, END_SOLUTION))
    assert cell.source == nc.replace_regions(source, BEGIN_SOLUTION, END_SOLUTION, clear.code_stub["python"])


# ------------------------------------------------------------------ what must raise


@pytest.mark.parametrize(
    "source, line, words",
    [
        ("a\n### END HIDDEN TESTS\nb", 2, "without a"),
        ("a\n### BEGIN HIDDEN TESTS\nb", 2, "never closed"),
        ("### BEGIN HIDDEN TESTS\nb\n### BEGIN HIDDEN TESTS\nc\n### END HIDDEN TESTS", 3, "nested BEGIN"),
        ("### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END HIDDEN TESTS", 3, "without a"),
        ("x = 1  # BEGIN HIDDEN TESTS\ny\n### END HIDDEN TESTS", 1, "nbgrader takes it for a marker"),
        ("### BEGIN HIDDEN TESTS\ny\nprint('END HIDDEN TESTS')", 3, "nbgrader takes it for a marker"),
        ("# BEGIN HIDDEN TESTS\ny\n# END HIDDEN TESTS", 1, "nbgrader takes it for a marker"),
        ("### BEGIN HIDDEN TESTS and more\ny\n### END HIDDEN TESTS", 1, "nbgrader takes it for a marker"),
    ],
)
def test_unbalanced_nested_or_ambiguous_markers_raise(source, line, words):
    with pytest.raises(MarkerError) as error:
        regions(source, BEGIN_HIDDEN, END_HIDDEN, where="06.ipynb cell 'f-hidden'")
    message = str(error.value)
    assert message.startswith(f"06.ipynb cell 'f-hidden', line {line}: ") and words in message
    assert "### BEGIN HIDDEN TESTS" in message and "fix the markers" in message
    for call in (
        hidden_test_text,
        lambda s: outside(s, BEGIN_HIDDEN, END_HIDDEN),
        lambda s: nc.without_markers(s, BEGIN_HIDDEN, END_HIDDEN),
    ):
        with pytest.raises(MarkerError):
            call(source)


@pytest.mark.parametrize(
    "source",
    [
        "### END SOLUTION",
        "    ### BEGIN SOLUTION\n    x = 1",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n### END SOLUTION",
        "x = 1  ### END SOLUTION",
    ],
)
def test_solution_markers_are_strict_too(source):
    with pytest.raises(MarkerError, match="line"):
        solution_text(source)
    with pytest.raises(MarkerError):
        nc.replace_regions(source, BEGIN_SOLUTION, END_SOLUTION, "stub")


def test_marker_error_is_a_value_error_and_names_the_line_without_where():
    with pytest.raises(ValueError, match=r"^line 1: "):
        solution_text("### END SOLUTION")


def test_the_other_pair_is_not_read():
    """Hidden-test markers inside a solution are not solution markers (and the reverse)."""
    source = "### BEGIN SOLUTION\n### END HIDDEN TESTS\n### END SOLUTION"
    assert solution_text(source) == "### END HIDDEN TESTS"
    with pytest.raises(MarkerError):
        hidden_test_text(source)


def test_mismatched_pair_is_refused():
    with pytest.raises(ValueError, match="not a marker pair"):
        regions("x", BEGIN_SOLUTION, END_HIDDEN)


# ------------------------------------------------------------------ tolerant reading (student text)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("a\n### BEGIN HIDDEN TESTS\nsecret\nmore", "secret\nmore"),  # unclosed: to the end
        ("### END HIDDEN TESTS\na", ""),  # stray END ignored
        ("### BEGIN HIDDEN TESTS\nx\n### BEGIN HIDDEN TESTS\ny\n### END HIDDEN TESTS", "x\n### BEGIN HIDDEN TESTS\ny"),
        ("# BEGIN HIDDEN TESTS (any line nbgrader would cut at)\nz\n# END HIDDEN TESTS", "z"),
    ],
)
def test_tolerant_reading_never_finds_less_than_nbgrader_hides(source, expected):
    assert inside(source, BEGIN_HIDDEN, END_HIDDEN, strict=False) == expected


def test_tolerant_outside_of_an_unclosed_region_drops_the_rest():
    assert outside("a\n### BEGIN HIDDEN TESTS\nsecret", BEGIN_HIDDEN, END_HIDDEN, strict=False) == "a"


def test_standard_library_only():
    """Student kernels and the sandbox launcher import it: it loads nothing beyond the package and the stdlib."""
    code = (
        "import sys, dynaq_course; before = set(sys.modules); import dynaq_course.notebook_cells; "
        "print(sorted(set(sys.modules) - before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['dynaq_course.notebook_cells']"
    imports = [line for line in open(nc.__file__).read().split("\n") if line.startswith(("import ", "from "))]
    assert imports == ["from __future__ import annotations"]
