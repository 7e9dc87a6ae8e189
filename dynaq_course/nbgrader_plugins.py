"""nbgrader preprocessors used by the course's ``nbgrader_config.py``."""
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

HIDDEN_MARKER = "BEGIN HIDDEN TESTS"


class HideHiddenTestTracebacks(Preprocessor):
    """In feedback, show a failing hidden test's error message but not its code.

    nbgrader's ``ClearHiddenTests`` removes the hidden lines from the cell, but
    a failing hidden test's traceback still quotes them. Run this before
    ``ClearHiddenTests``: it keeps only ``ErrorName: message`` for such cells.
    The course's checks write their messages for students, so that line says
    what went wrong without the test code.
    """

    # nbconvert preprocessors are off unless enabled, and nbgrader registers the
    # ones listed in GenerateFeedback.preprocessors without enabling them.
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and HIDDEN_MARKER in cell.source:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [
                        f"{output.get('ename', 'Error')}: {output.get('evalue', '')}",
                        "(This is a hidden test: its code is not shown.)",
                    ]
        return cell, resources


class EditionCells(Preprocessor):
    """Apply the course's edition tags when nbgrader generates the student edition.

    Drops cells tagged ``self-learner-only`` and folds ``hint`` cells into a
    closed ``<details>`` (``editions.release_cells``). It is first in
    ``GenerateAssignment.preprocessors`` (nbgrader_config.py), so a plain
    ``nbgrader generate_assignment`` never puts self-learner text in release/.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        from .editions import release_cells

        name = resources.get("unique_key") or resources.get("metadata", {}).get("name", "")
        return release_cells(nb, str(name)), resources
