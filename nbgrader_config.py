"""nbgrader configuration of the Dyna-Q course. The repository root is the course directory."""

import os

c = get_config()  # noqa: F821 (provided by nbgrader)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "dynaq"
c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(COURSE_ROOT, "gradebook.db")

# Single-machine exchange inside the course folder (git-ignored). For a shared
# JupyterHub, point this at a folder every user can write, e.g. /srv/nbgrader/exchange.
c.Exchange.root = os.environ.get("DYNAQ_EXCHANGE", os.path.join(COURSE_ROOT, "exchange"))

# The longest cell under grading is a shortened experiment (a second or two);
# a minute is generous for honest code and stops a function that never returns.
c.Execute.timeout = 60
# After a cell's reply, nbgrader waits for the kernel's last output messages and, by nbclient's
# default, gives up after 4 s and drops the whole submission ("error processing assignment"). A
# machine grading several submissions at once can be that slow: wait longer. (A kernel that a
# submission broke still ends its submission, 15 s later.)
c.Execute.iopub_timeout = 15

# A test cell a student deleted is put back from the gradebook, not lost.
c.OverwriteCells.add_missing_cells = True

# Students' stubs read like the tutorial's.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("Student exercise: write this function")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# The student edition leaves out cells tagged "self-learner-only" and folds "hint" cells
# (dynaq_course/editions.py says what each edition does with the tags); then nbgrader's own steps.
from nbgrader.converters import GenerateAssignment  # noqa: E402

c.GenerateAssignment.preprocessors = [
    "dynaq_course.grading.nbgrader_plugins.EditionCells"
] + GenerateAssignment.class_traits()["preprocessors"].default()

# After the kernel has run a notebook, re-check the exercise test cells outside it: a
# student's cell can rebind whatever a test cell calls. The re-check only ever turns a
# pass into a fail. (`python -m dynaq_course.grade` replaces this list with its sandboxed
# one and does the same re-check itself, with the student's code inside the sandbox.)
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

# Feedback never shows hidden-test code (nbgrader's default feedback keeps it), shows a failed
# check's message first and wrapped, and draws its math as MathML: the page needs no network
# (nbgrader's template would load MathJax from a CDN; the exporter below leaves it out).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "dynaq_course.grading.nbgrader_plugins.ReadableCheckFailures",
    "dynaq_course.grading.nbgrader_plugins.HideHiddenTestTracebacks",
    "nbgrader.preprocessors.ClearHiddenTests",
    "dynaq_course.grading.nbgrader_plugins.MathToMathML",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.GenerateFeedback.exporter_class = "dynaq_course.grading.nbgrader_plugins.OfflineFeedbackExporter"

# Kernels draw figures headless with the inline backend, so feedback shows them.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
