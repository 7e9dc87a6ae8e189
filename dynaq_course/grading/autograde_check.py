"""An nbgrader preprocessor that re-checks the exercise test cells after the kernel ran them.

A test cell's points come from its outputs, and the kernel that produced them
ran the student's code first: a student's cell can rebind whatever the test
cell calls. ``TrustedVerdicts`` runs after ``Execute`` inside the nbgrader
process (which never runs student code): it takes the executed notebook's
exercise cell (from the notebook in memory, which the kernel cannot rewrite),
gets the trusted verdicts of ``verify`` (fresh child process + verifier, the
reference from the hidden tests of source/<assignment>), and when the kernel
let a test cell pass but the trusted verdict fails, appends the verdict's error
to that cell, so ``SaveAutoGrades`` gives it no points. It never turns a failed
cell into a passed one.

Enable it in nbgrader_config.py (after Execute, before SaveAutoGrades)::

    c.Autograde.autograde_preprocessors = [
        "nbgrader.preprocessors.Execute",
        "dynaq_course.grading.autograde_check.TrustedVerdicts",
        "nbgrader.preprocessors.IgnorePattern",
        "nbconvert.preprocessors.ClearMetadataPreprocessor",
        "nbgrader.preprocessors.LimitOutput",
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Float, Unicode

from dynaq_course.checks import registry, verify


class TrustedVerdicts(Preprocessor):
    enabled = Bool(True).tag(config=True)
    timeout = Float(verify.CHILD_TIMEOUT, help="Seconds the child running the student's code gets.").tag(config=True)
    source_root = Unicode(
        "",
        help="Folder holding source/<assignment>; default: the course root "
        "(nbgrader's working folder while it converts).",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        name = (resources.get("nbgrader", {}) or {}).get("notebook") or resources.get("unique_key", "")
        exercises = registry.in_notebook(name)
        if not exercises:
            return nb, resources
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        source = Path(self.source_root or Path.cwd()) / "source" / assignment
        with tempfile.TemporaryDirectory(prefix="dynaq-trusted-") as work:
            path = Path(work) / exercises[0].notebook
            nbformat.write(nb, path)
            children = {ex.name: verify.run_child(path, ex.name, "hidden", timeout=self.timeout) for ex in exercises}
        references = verify.reference_sources(source)
        cells = registry.graded_cells(exercises)
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id not in cells:
                continue
            exercise, level = cells[grade_id]
            verdict = verify.judge(
                exercise.name, level, children[exercise.name], references[exercise.name] if level == "hidden" else None
            )
            kernel_failed = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            if not verdict.passed and not kernel_failed:
                self.log.warning(
                    "%s %s: the kernel passed it, the trusted check did not (%s)", name, grade_id, verdict.code
                )
                cell.setdefault("outputs", []).append(
                    nbformat.v4.new_output(
                        "error",
                        ename="ExerciseCheckFailed",
                        evalue=verdict.message,
                        traceback=[
                            f"ExerciseCheckFailed: {verdict.message}",
                            "(Checked again outside the notebook's kernel.)",
                        ],
                    )
                )
        return nb, resources
