"""Facts about notebook cells, and nbgrader's marker regions parsed strictly in one place.

Standard library only: student kernels (``checks.loader``, ``checks.verify``) and
the sandbox launcher import it, so it must not pull in nbformat or nbgrader.
Cells may be nbformat ``NotebookNode`` objects or the plain dicts of
``json.load``, whose ``source`` is a string or a list of lines.

Marker regions
--------------
A region is a ``### BEGIN SOLUTION`` line, the lines after it, and a
``### END SOLUTION`` line (likewise ``### BEGIN HIDDEN TESTS`` /
``### END HIDDEN TESTS``). Lines are ``source.split("\\n")`` and line numbers
count from 1, as nbgrader splits them.

Which lines nbgrader takes for markers: its ``ClearSolutions`` and
``ClearHiddenTests`` preprocessors (nbgrader/preprocessors/clearsolutions.py,
``_replace_solution_region``; clearhiddentests.py, ``_remove_hidden_test_region``)
take ANY line that contains the delimiter ``BEGIN SOLUTION`` / ``END SOLUTION`` /
``BEGIN HIDDEN TESTS`` / ``END HIDDEN TESTS`` anywhere in it (substring test,
without the ``###``), test BEGIN before END on each line, raise on a BEGIN inside
an open region and on a region still open at the end of the cell, and drop an
END with no BEGIN without a word. Here, in strict mode (the default):

* a marker is a line whose text, after leading and trailing whitespace, is the
  marker string exactly (indentation is allowed, as in nbgrader; the stub that
  replaces a solution takes the BEGIN line's indentation, as in nbgrader);
* a line that nbgrader would take for a marker but that is not one by the rule
  above (``x = 1  # END SOLUTION``, ``print("BEGIN HIDDEN TESTS")``) raises
  ``MarkerError``: nbgrader would cut there, so the two readings would differ;
* a BEGIN inside an open region, a region not closed by the end of the source,
  and (stricter than nbgrader, which ignores it) an END with no open region
  raise ``MarkerError``.

``strict=False`` (used only where the text is a student's, see
``grading.sandbox_execute`` and ``grading.sandbox_launch``) reads every line
nbgrader would take for a marker as one, never raises, ignores a stray END and
a nested BEGIN, and lets an unclosed region run to the end of the source: it
never finds less hidden text than nbgrader would hide.
"""

from __future__ import annotations

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN)
_PAIRS = {BEGIN_SOLUTION: END_SOLUTION, BEGIN_HIDDEN: END_HIDDEN}


class MarkerError(ValueError):
    """Unbalanced, nested or ambiguous nbgrader markers; the message names the cell, the line and the fix."""


# ------------------------------------------------------------------ cells


def cell_source(cell) -> str:
    """The source of ``cell`` as one string (a list of lines, as in a notebook's JSON, is joined)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else (source or "")


def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata (``{}`` when it has none)."""
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def grade_id(cell) -> str | None:
    """The cell's nbgrader grade_id, or None."""
    return nbgrader_meta(cell).get("grade_id")


def is_grade_cell(cell) -> bool:
    """Whether nbgrader grades the cell (a test cell or a manually graded answer)."""
    return bool(nbgrader_meta(cell).get("grade"))


def is_solution_cell(cell) -> bool:
    """Whether the cell is one a student answers in (nbgrader ``solution``)."""
    return bool(nbgrader_meta(cell).get("solution"))


def is_autograded_test(cell) -> bool:
    """Whether the cell is an autograded test: a code cell nbgrader grades that is not an answer cell
    (its score comes from running it)."""
    return cell.get("cell_type") == "code" and is_grade_cell(cell) and not is_solution_cell(cell)


def code_cells(nb) -> list:
    """The code cells of a notebook (NotebookNode or the dict of ``json.load``), in order."""
    return [cell for cell in nb.get("cells", []) if cell.get("cell_type") == "code"]


def find_cell(nb, grade_id_: str, cell_type: str | None = None):
    """The first cell of ``nb`` with nbgrader grade_id ``grade_id_`` (and of ``cell_type``, if given), or None."""
    for cell in nb.get("cells", []):
        if grade_id(cell) == grade_id_ and (cell_type is None or cell.get("cell_type") == cell_type):
            return cell
    return None


def describe(cell, notebook: str = "") -> str:
    """How messages name a cell: ``notebook cell 'grade_id'`` (or its id, when it has no grade_id)."""
    name = grade_id(cell)
    label = f"cell {name!r}" if name else f"cell {cell.get('id')!r}" if cell.get("id") else "cell"
    return f"{notebook} {label}".strip()


# ------------------------------------------------------------------ marker regions


def _delimiter(marker: str) -> str:
    """What nbgrader looks for in a line: the marker without its ``###`` (e.g. ``BEGIN SOLUTION``)."""
    return marker.removeprefix("###").strip()


def _check_pair(begin: str, end: str) -> None:
    if _PAIRS.get(begin) != end:
        raise ValueError(
            f"{begin!r} / {end!r} is not a marker pair; use BEGIN_SOLUTION, END_SOLUTION or BEGIN_HIDDEN, END_HIDDEN"
        )


def has_markers(source: str, begin: str, end: str) -> bool:
    """Whether any line of ``source`` is one nbgrader would take for a ``begin`` or ``end`` marker."""
    _check_pair(begin, end)
    return _delimiter(begin) in source or _delimiter(end) in source


def _error(where: str, number: int, what: str, begin: str, end: str) -> MarkerError:
    place = f"{where}, line {number}" if where else f"line {number}"
    return MarkerError(
        f"{place}: {what}. A region is a line {begin!r} and a line {end!r}, each alone on its line "
        "(indentation allowed), not nested; fix the markers of that cell."
    )


def regions(source: str, begin: str, end: str, where: str = "", strict: bool = True) -> list[tuple[int, int]]:
    """The regions of ``source`` as ``(begin line, end line)``: 1-based numbers of the marker lines.

    Strict by default (see the module docstring): raises ``MarkerError`` naming
    ``where`` (e.g. ``describe(cell, notebook)``), the line and what is wrong.
    With ``strict=False`` an unclosed region ends at the last line, numbered
    ``len(lines) + 1`` (one past the end: there is no END line).
    """
    _check_pair(begin, end)
    if not has_markers(source, begin, end):
        return []
    lines = source.split("\n")
    found, opened = [], None
    begin_word, end_word = _delimiter(begin), _delimiter(end)
    for number, line in enumerate(lines, start=1):
        is_begin = begin_word in line
        is_end = not is_begin and end_word in line
        if not (is_begin or is_end):
            continue
        if strict and line.strip() != (begin if is_begin else end):
            word = begin_word if is_begin else end_word
            raise _error(
                where,
                number,
                f"{line.strip()!r} contains {word!r}, so nbgrader takes it for a marker, "
                f"but it is not the marker line {begin if is_begin else end!r}; write the marker "
                "alone on its line, or reword the line",
                begin,
                end,
            )
        if is_begin:
            if opened is not None:
                if strict:
                    raise _error(
                        where,
                        number,
                        f"{begin!r} inside the region opened on line {opened} "
                        f"(nested BEGIN); close that region with {end!r} first",
                        begin,
                        end,
                    )
                continue
            opened = number
        elif opened is None:
            if strict:
                raise _error(
                    where,
                    number,
                    f"{end!r} without a {begin!r} before it; add the BEGIN line or delete this one",
                    begin,
                    end,
                )
        else:
            found.append((opened, number))
            opened = None
    if opened is not None:
        if strict:
            raise _error(
                where, opened, f"{begin!r} is never closed; add {end!r} after the region's last line", begin, end
            )
        found.append((opened, len(lines) + 1))
    return found


def inside(source: str, begin: str, end: str, where: str = "", strict: bool = True) -> str:
    """The lines between the markers of every region (marker lines excluded), joined with newlines."""
    lines = source.split("\n")
    return "\n".join(
        line for first, last in regions(source, begin, end, where, strict) for line in lines[first : last - 1]
    )


def _edit(source: str, begin: str, end: str, where: str, strict: bool, keep, stub: str | None) -> str:
    """Rebuild ``source``: ``keep(line, in_region, is_marker)`` chooses lines; ``stub`` replaces each region."""
    lines = source.split("\n")
    found = regions(source, begin, end, where, strict)
    if not found:
        return source
    out, k = [], 0
    for first, last in found:
        out += lines[k : first - 1]
        marker, content = lines[first - 1], lines[first : last - 1]
        closing = lines[last - 1 : last]
        if stub is not None:
            indent = marker[: len(marker) - len(marker.lstrip())]
            out += [indent + line for line in stub.split("\n")]
        else:
            out += [line for line in [marker] if keep(True)] + [line for line in content if keep(False)]
            out += [line for line in closing if keep(True)]
        k = last
    return "\n".join(out + lines[k:])


def outside(source: str, begin: str, end: str, where: str = "", keep_markers: bool = False, strict: bool = True) -> str:
    """``source`` without its regions: marker lines and everything between them go (``keep_markers``: the
    marker lines stay, what is between them goes). nbgrader's ClearHiddenTests does this with the defaults."""
    return _edit(source, begin, end, where, strict, lambda is_marker: is_marker and keep_markers, None)


def without_markers(source: str, begin: str, end: str, where: str = "") -> str:
    """``source`` with the marker lines removed and what is between them kept (a worked solution)."""
    return _edit(source, begin, end, where, True, lambda is_marker: not is_marker, None)


def replace_regions(source: str, begin: str, end: str, stub: str, where: str = "") -> str:
    """``source`` with each region (markers included) replaced by ``stub``, every stub line indented as the
    BEGIN line (nbgrader's ClearSolutions does this with its code stub)."""
    return _edit(source, begin, end, where, True, None, stub)


def replace_hidden_tests(source: str, code: str) -> str:
    """``source`` with ONE hidden-test region holding ``code`` where its first region was, the others gone.

    Read tolerantly (``strict=False``): every line nbgrader would take for a marker counts and an
    unclosed region runs to the end, so no line of the old hidden text can be left behind, whatever
    the markers look like. The text outside the regions stays, and the new region's marker lines
    take the first BEGIN line's indentation. A source without a region is returned unchanged.
    """
    found = regions(source, BEGIN_HIDDEN, END_HIDDEN, strict=False)
    if not found:
        return source
    lines = source.split("\n")
    first_begin = lines[found[0][0] - 1]
    indent = first_begin[: len(first_begin) - len(first_begin.lstrip())]
    out, k = [], 0
    for number, (first, last) in enumerate(found):
        out += lines[k : first - 1]
        if number == 0:
            out += [indent + line for line in [BEGIN_HIDDEN, *code.split("\n"), END_HIDDEN]]
        k = last
    return "\n".join(out + lines[k:])


def hidden_test_text(source: str, where: str = "") -> str:
    """The lines of the hidden-test regions of ``source`` (strict)."""
    return inside(source, BEGIN_HIDDEN, END_HIDDEN, where)


def solution_text(source: str, where: str = "") -> str:
    """The lines of the solution regions of ``source`` (strict), as written (not dedented)."""
    return inside(source, BEGIN_SOLUTION, END_SOLUTION, where)
