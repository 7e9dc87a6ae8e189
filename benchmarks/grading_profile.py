"""Where one submission's grading time goes: a per-stage profile of the grade command's worker.

    python benchmarks/bench_grading.py --profile              # one right submission, sandbox auto
    python benchmarks/bench_grading.py --profile --kind wrong_planning --sandbox off

Grades one submission with ``dynaq_course.grading.worker.grade_submission`` in this process (as a
worker process of the grade command does, nbgrader already imported), once to warm up (a worker
probes the sandbox once, on its first submission) and once more with timers wrapped around
its stages: the workspace, the sandbox, the trusted re-check, each notebook's autograde (kernel
start, every cell, kernel shutdown, the other autograde steps, the gradebook), and reading the
grades back. Each stage gets its wall time and its CPU time: this process's own (all threads) and
that of the child processes it waited for in the stage (kernels and re-check children: a kernel's
CPU shows in the stage that stops it, but only as far as the sandbox passes it on, which is not all
of it). The last line, the machine's busy CPU seconds over the whole submission (/proc/stat, every
process), is the number that counts. The numbers are one run's; the machine is shared and noisy.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Stage:
    path: tuple  # the names of the stages it runs in, then its own
    wall: float = 0.0
    own_cpu: float = 0.0
    child_cpu: float = 0.0
    count: int = 0


@dataclass
class Profile:
    stages: list[Stage] = field(default_factory=list)
    _open: list[str] = field(default_factory=list)

    @contextlib.contextmanager
    def stage(self, name: str):
        path = (*self._open, name)
        found = next((s for s in self.stages if s.path == path), None)
        if found is None:  # listed where it first starts, below the stage it runs in
            found = Stage(path)
            self.stages.append(found)
        wall, own, child = time.perf_counter(), time.process_time(), _children_cpu()
        self._open.append(name)
        try:
            yield
        finally:
            self._open.pop()
            found.wall += time.perf_counter() - wall
            found.own_cpu += time.process_time() - own
            found.child_cpu += _children_cpu() - child
            found.count += 1

    def wrap(self, owner, attribute: str, name):
        """Time every call of ``owner.attribute`` (a function or coroutine function) as stage ``name``
        (a string, or a function of the call's arguments returning one)."""
        original = getattr(owner, attribute)
        label = name if callable(name) else (lambda *a, **k: name)
        if _is_coroutine(original):

            @functools.wraps(original)
            async def timed(*args, **kwargs):
                with self.stage(label(*args, **kwargs)):
                    return await original(*args, **kwargs)
        else:

            @functools.wraps(original)
            def timed(*args, **kwargs):
                with self.stage(label(*args, **kwargs)):
                    return original(*args, **kwargs)

        setattr(owner, attribute, timed)

    def table(self, total_wall: float, total_cpu: float) -> str:
        lines = [f"{'stage':58s} {'calls':>5s} {'wall s':>7s} {'CPU s (own + children)':>24s}"]
        for s in self.stages:
            cpu = s.own_cpu + s.child_cpu
            lines.append(
                f"{'  ' * (len(s.path) - 1) + s.path[-1]:58.58s} {s.count:5d} {s.wall:7.2f} "
                f"{cpu:8.2f} ({s.own_cpu:5.2f} + {s.child_cpu:5.2f})"
            )
        lines.append(f"{'whole submission':58s} {'':5s} {total_wall:7.2f} {total_cpu:8.2f}")
        return "\n".join(lines)


def _is_coroutine(fn) -> bool:
    import inspect

    return inspect.iscoroutinefunction(fn)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def busy_cpu() -> float:
    """CPU seconds the whole machine spent busy so far (all processes, all cores: /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _cell_label(client, cell, cell_index, *args, **kwargs) -> str:
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {cell_index:2d} {('[' + grade_id + '] ') if grade_id else ''}{first.strip()}"


def instrument(profile: Profile) -> None:
    """Wrap the worker's stages and nbclient's/nbgrader's steps with ``profile``'s timers."""
    import nbclient
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        OverwriteCells,
        SaveAutoGrades,
    )

    from dynaq_course.grading import sealed_tests, worker

    profile.wrap(worker, "build_workspace", "workspace: gradebook snapshot and files written")
    profile.wrap(worker, "prepare_sandbox", "sandbox: prepare (probe, configs)")
    profile.wrap(worker, "_trusted_verdicts", "trusted re-check (child processes, references)")
    profile.wrap(worker, "_autograde_one", lambda ws, job, cfg, name: f"notebook {name}")
    profile.wrap(worker, "_read_grades", "read grades from the gradebook")
    profile.wrap(worker, "read_files", "read autograded files")
    profile.wrap(Autograde, "init_single_notebook_resources", "nbgrader: record the submission in the gradebook")
    profile.wrap(Autograde, "write_single_notebook", "nbgrader: write the autograded notebook")
    # nbclient's sync methods hold the async originals, so those are the ones to wrap.
    profile.wrap(nbclient.NotebookClient, "start_new_kernel", "kernel start (sandbox, interpreter)")
    profile.wrap(nbclient.NotebookClient, "start_new_kernel_client", "kernel client connect")
    profile.wrap(nbclient.NotebookClient, "execute_cell", _cell_label)
    profile.wrap(nbclient.NotebookClient, "_cleanup_kernel", "kernel shutdown")
    for step in (
        sealed_tests.SealHiddenTests,
        OverwriteCells,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ):
        profile.wrap(step, "preprocess", f"step {step.__name__}")
    profile.wrap(Gradebook, "__init__", "gradebook open")


@contextlib.contextmanager
def _quiet():
    """Send what the kernels print straight to their inherited stdout and stderr (start-up banners) to
    /dev/null, so that the table is all this prints."""
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def run(kind: str, sandbox: str, base: Path, how: str = "graded") -> int:
    """Profile one ``kind`` submission (see tests/course_copy.student_work) graded with ``sandbox``."""
    from course_copy import ASSIGNMENT, make_course_copy, nbgrader, nbgrader_env
    from grade_course import submit

    from dynaq_course.grading.batch import Options, make_job, plan
    from dynaq_course.grading.course import assignment_notebooks, load_course
    from dynaq_course.grading.workspace import snapshot_gradebook

    course_dir = make_course_copy(base / "course")
    env = nbgrader_env(base / "exchange", base / "jupyter_config")
    nbgrader(course_dir, env, "generate_assignment", ASSIGNMENT, "--force")
    submit(course_dir, "s000", kind)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("JUPYTER", "DYNAQ", "PATH", "MPL"))})
    os.chdir(course_dir)

    course = load_course(course_dir)
    options = Options(ASSIGNMENT, course_dir, sandbox=sandbox, progress=False, run=how)
    (planned,), _ = plan(course, options, assignment_notebooks(course, ASSIGNMENT))
    job = make_job(course, options, planned, snapshot_gradebook(Path(course.db_url[len("sqlite:///") :])))

    from dynaq_course.grading import worker

    with _quiet():
        worker.grade_submission(job)  # a worker's first submission also pays one-time costs: the sandbox probe
    profile = Profile()
    instrument(profile)
    with _quiet():
        wall, own, child, busy = time.perf_counter(), time.process_time(), _children_cpu(), busy_cpu()
        result = worker.grade_submission(job)
    wall, cpu = time.perf_counter() - wall, time.process_time() - own + _children_cpu() - child
    busy = busy_cpu() - busy
    scores = {g: s for o in result.notebooks for g, s in o.grades.items() if s is not None}
    failures = [f.line() for f in result.failures + [o.failure for o in result.notebooks if o.failure]]
    print(
        f"one {kind!r} submission, all {len(job.notebooks)} notebooks, --run {how}, sandbox {sandbox} "
        f"(active: {result.sandbox_active}), load average {os.getloadavg()[0]:.1f}; "
        f"failures: {failures or 'none'}"
    )
    print(f"auto score {sum(scores.values()):g} on {len(scores)} graded cells")
    print(profile.table(wall, cpu))
    print(f"the whole machine was busy {busy:.2f} CPU s meanwhile (all processes; /proc/stat)")
    return 0
