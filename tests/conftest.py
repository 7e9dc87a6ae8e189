"""The test tiers (one table, ``TIERS``) and the fixtures tests share.

Tiers, as pytest markers (declared in pyproject.toml):

* ``fast``: unit and property tests. No nbgrader (neither a subprocess nor in-process
  generate_assignment/autograde), no grading sandbox (bwrap), no notebook kernel
  (nbclient), no grade command, no dask, no browser. Every test not in another tier
  is ``fast``. The edit loop: ``bash scripts/run-tests.sh fast``.
* ``e2e``: the course end to end: real nbgrader, the sandbox, the grade command and
  its dask back end, the grader's verifier in a fresh process per corpus cell,
  notebooks run in a kernel, the browser.
* ``accuracy`` (also ``e2e``): every grading-corpus cell through ``nbgrader autograde``.
* ``browser`` (also ``e2e``): JupyterLab driven in Chromium (tests/browser/).

``pytest -m fast`` is the same selection as ``pytest -m "not e2e"``. A test file not in
``TIERS`` is fast; a new file that runs any of the above goes in the table. Two
checks keep the table true: a fast test that uses one of the shared nbgrader
fixtures below stops the collection, and a fast test that starts nbgrader, a
kernel, bwrap, JupyterLab or the grade command (in the test or in setting up its
fixtures) fails, each with a message saying to move it to the e2e tier.

Shared fixtures (``shared_courses.py`` builds them once per test run, for every
xdist worker): ``generated_dyna_q`` and ``generated_going_further``, a copy of the
course after ``nbgrader generate_assignment``; ``mini_course``, notebooks 02 and 03 cut
to their graded cells, generated. They are READ-ONLY: a test that writes (submits,
grades, releases) copies one first with ``course_copy.copy_course``.
``reference_functions`` gives the instructor's solutions of the two exercises, read
from their cells in source/.
"""

import os
import subprocess

os.environ.setdefault("MPLBACKEND", "Agg")

from pathlib import Path

import pytest
import shared_courses

from dynaq_course.checks.loader import load_exercise
from dynaq_course.grading.editions import ASSIGNMENT, course_root

SOURCE = course_root() / "source" / ASSIGNMENT
TESTS = Path(__file__).parent

FAST, E2E, ACCURACY, BROWSER = "fast", "e2e", "accuracy", "browser"

# ------------------------------------------------------------------ the tiers, in one table
#
# file (relative to tests/, a folder ends with "/") -> its tier, or, where a file mixes,
# {"*": the file's tier, test function: the tier of that test}. Files not listed are fast.
TIERS = {
    # Grader accuracy: every corpus cell through nbgrader autograde (minutes of set-up each).
    "test_grading_accuracy.py": ACCURACY,
    "test_grading_accuracy_further.py": ACCURACY,
    # JupyterLab in Chromium.
    "browser/": BROWSER,
    # nbgrader's whole pipeline (generate, release, exchange, autograde, feedback, export) and the
    # release notebooks run in a kernel; two tests only check the tables the others use.
    "test_pipeline.py": {"*": E2E, "test_expected_scores_table": FAST, "test_hidden_test_lines_to_look_for": FAST},
    # Notebook 06 through nbgrader autograde.
    "test_going_further_pipeline.py": E2E,
    # The grade command (python -m dynaq_course.grade) on a generated mini course.
    "test_grade_dask.py": E2E,
    "test_grade_parallel.py": E2E,
    "test_grade_failures.py": {"*": E2E, "test_precheck_invalid_nbformat": FAST},
    "test_grade_stored_tests.py": E2E,
    "test_graded_run.py": E2E,
    # The class report reads a gradebook that nbgrader generate_assignment made.
    "test_report.py": E2E,
    # Attack submissions graded in the sandbox; one test only reads the attack files' headers.
    "test_attacks.py": {"*": E2E, "test_every_attack_file_has_a_header": FAST},
    # The sandbox with the package installed from another folder (venvs, kernels, the grade command).
    "test_sandbox_install.py": E2E,
    # bwrap runs, and the grade command with and without the sandbox.
    "test_sandbox.py": {
        "*": FAST,
        "test_status_says_what_the_sandbox_is": E2E,
        "test_child_prefix_runs_a_command_in_the_sandbox": E2E,
        "test_child_prefix_refuses_to_run_in_the_course": E2E,
        "test_honest_submissions_grade_identically_with_and_without_the_sandbox": E2E,
    },
    # The release edition rebuilt by nbgrader generate_assignment.
    "test_editions.py": {"*": FAST, "test_release_matches_source": E2E},
    # Editions of a tagged course built with nbgrader, and notebook 03 run in a kernel.
    "test_self_learner_edition.py": {
        "*": FAST,
        "test_graded_only_cells_are_only_in_release": E2E,
        "test_self_learner_only_cells_are_only_in_notebooks": E2E,
        "test_hint_is_a_reveal_between_the_stub_and_the_solution": E2E,
        "test_hint_is_folded_in_place_in_the_other_editions": E2E,
        "test_reveals_are_closed_read_only_markdown_and_no_code_cell_holds_a_solution": E2E,
        "test_each_banner_names_only_what_its_notebook_has": E2E,
        "test_run_all_goes_past_a_skipped_exercise_using_its_revealed_solution": E2E,
        "test_a_wrong_answer_still_stops_at_the_self_check": E2E,
    },
    # A kernel runs notebook 03; nbgrader autogrades a crashing planner and writes its feedback.
    "test_learner_help.py": {
        "*": FAST,
        "test_a_failed_check_in_the_kernel_shows_the_message_first": E2E,
        "test_load_exercise_of_an_unfinished_exercise_shows_what_to_do_first": E2E,
        "test_load_exercise_warns_that_the_kernels_function_is_not_the_saved_one": E2E,
        "test_feedback_math_needs_no_network": E2E,
        "test_feedback_shows_the_failed_checks_message_first": E2E,
        "test_autograded_hidden_test_fails_with_its_tag_for_the_class_report": E2E,
    },
    # The grader's verifier (checks.verify), run in a fresh process per corpus cell as grading runs it:
    # about 480 child processes, 100 s of CPU. The corpus's other checks run in this process.
    "test_grading_corpus.py": {
        "*": FAST,
        "test_hidden_verdict": E2E,
        "test_visible_verdict_passes_correct_cells": E2E,
        "test_in_kernel_self_check_agrees_with_the_fresh_process": E2E,
    },
    # Notebooks run in a kernel (nbclient).
    "test_notebooks_fast.py": E2E,
    "test_going_further_editions.py": E2E,
}
# Fixtures that run nbgrader: a test that uses one cannot be fast.
E2E_FIXTURES = {"generated_dyna_q", "generated_going_further", "mini_course"}
# Programs a fast test may not start (checked while it runs, its fixtures' set-up included).
NOT_IN_FAST = {"nbgrader", "ipykernel_launcher", "bwrap", "dynaq_course.grade", "jupyter-lab", "jupyter-server"}


def _tier_entry(path: Path):
    rel = path.relative_to(TESTS).as_posix()
    for key, entry in TIERS.items():
        if rel == key or (key.endswith("/") and rel.startswith(key)):
            return key, entry
    return None, FAST


def tier_of(item) -> str:
    """The tier of a collected test, from ``TIERS``."""
    key, entry = _tier_entry(Path(str(item.fspath)))
    if not isinstance(entry, dict):
        return entry
    unknown = [name for name in entry if name != "*" and not hasattr(item.module, name)]
    if unknown:
        raise pytest.UsageError(
            f"tests/conftest.py TIERS[{key!r}] names {unknown}, which {key} does not define: "
            "a test was renamed or removed; update the table"
        )
    return entry.get(getattr(item, "originalname", item.name), entry["*"])


def pytest_collection_modifyitems(config, items):
    for key in TIERS:
        if not (TESTS / key).exists():
            raise pytest.UsageError(f"tests/conftest.py TIERS names {key}, which does not exist; update the table")
    for item in items:
        tier = tier_of(item)
        if tier == FAST:
            nbgrader_fixtures = E2E_FIXTURES & set(getattr(item, "fixturenames", ()))
            if nbgrader_fixtures:
                raise pytest.UsageError(
                    f"{item.nodeid} is in the fast tier but uses {sorted(nbgrader_fixtures)}, which run nbgrader: "
                    "give it the e2e tier in tests/conftest.py TIERS"
                )
            item.add_marker(pytest.mark.fast)
        else:
            item.add_marker(pytest.mark.e2e)
            if tier != E2E:
                item.add_marker(getattr(pytest.mark, tier))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """A fast test (or a fixture it sets up) that starts nbgrader, a kernel, bwrap or the grade command fails."""
    if item.get_closest_marker("e2e"):
        yield
        return
    original = subprocess.Popen.__init__

    def refuse_e2e_programs(self, args, *more, **kwargs):
        words = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
        started = {os.path.basename(os.fsdecode(w)) for w in words} & NOT_IN_FAST
        if started:
            raise RuntimeError(
                f"{item.nodeid} is in the fast tier but starts {sorted(started)}: "
                "give it the e2e tier in tests/conftest.py TIERS"
            )
        original(self, args, *more, **kwargs)

    subprocess.Popen.__init__ = refuse_e2e_programs
    try:
        yield
    finally:
        subprocess.Popen.__init__ = original


# ------------------------------------------------------------------ shared fixtures


@pytest.fixture(scope="session")
def reference_functions():
    """(dyna_q_model_update, dyna_q_planning) as the instructor wrote them in source/."""
    return (
        load_exercise("dyna_q_model_update", SOURCE, verbose=False),
        load_exercise("dyna_q_planning", SOURCE, verbose=False),
    )


@pytest.fixture(scope="session")
def generated_dyna_q(tmp_path_factory) -> shared_courses.Generated:
    """The course after ``nbgrader generate_assignment dyna_q`` (read-only: copy it to change it)."""
    generated = shared_courses.generated_course(tmp_path_factory, ASSIGNMENT)
    yield generated
    generated.assert_unchanged()


@pytest.fixture(scope="session")
def generated_going_further(tmp_path_factory) -> shared_courses.Generated:
    """The course after ``nbgrader generate_assignment going_further`` (read-only: copy it to change it)."""
    generated = shared_courses.generated_course(tmp_path_factory, "going_further")
    yield generated
    generated.assert_unchanged()


@pytest.fixture(scope="session")
def mini_course(tmp_path_factory) -> shared_courses.Generated:
    """Notebooks 02 and 03 cut to what grading needs, after generate_assignment (read-only: copy it)."""
    generated = shared_courses.mini_course(tmp_path_factory)
    yield generated
    generated.assert_unchanged()
