"""The grading command on a real dask.distributed LocalCluster (2 worker processes,
1 thread each): the same grades as nbgrader gives, and the gradebook written once.

    pytest -q tests/test_grade_dask.py
"""

from __future__ import annotations

import pytest
from grade_course import TEST_CELLS, copy_course, describe, grade_cli, gradebook_rows, raw_row_counts, submit

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (see requirements.txt)")

# nbgrader's points per test cell for these students (tests/test_pipeline.py checks them against nbgrader).
EXPECTED = {
    "all_right": {cell: pts for cell, pts in TEST_CELLS.items()},
    "wrong_planning": {cell: (pts if cell[0] == "02_model_update" else 0) for cell, pts in TEST_CELLS.items()},
}


@pytest.fixture(scope="module")
def dask_run(mini_course, tmp_path_factory):
    course, env = copy_course(mini_course.course, tmp_path_factory.mktemp("grade_dask") / "course"), mini_course.env
    for student in EXPECTED:
        submit(course, student, student)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = grade_cli(course, env, "--scheduler", cluster.scheduler_address)
        workers = len(cluster.workers)
    return course, run, workers, cluster.scheduler_address


def test_runs_on_the_cluster(dask_run):
    _, run, workers, address = dask_run
    assert run.returncode == 0, describe(run)
    assert workers == 2
    assert f"on Dask scheduler {address} (2 workers)" in run.stdout, run.stdout
    assert "2 submission(s) graded" in run.stdout


def test_same_grades_as_nbgrader(dask_run):
    course, *_ = dask_run
    rows = gradebook_rows(course)["grades"]
    for student, cells in EXPECTED.items():
        got = {cell: rows[(student, *cell)]["auto_score"] for cell in TEST_CELLS}
        assert got == cells, student
    assert raw_row_counts(course)["grade"] == 6 * len(EXPECTED)
