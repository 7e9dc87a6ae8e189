"""Attack submissions graded by the course's grading command in the sandbox (issue 8).

Every file in tests/attacks/ is one attack: its code is appended to an exercise
cell of a test student's notebooks (header lines: ``# base: <student kind>``,
``# cell: <grade id>``). All attackers are graded in ONE run of
``python -m dynaq_course.grade dyna_q --sandbox require`` together with honest
students graded before (``aa_*``) and after (``zz_*``) them. Then:

* the honest students have exactly their scores (tests/grade_course.EXPECTED_AUTO);
* no attacker earns a point its honest base did not earn, per test cell;
* every course file is byte-identical, except what the grader writes
  (autograded/ and the grade/comment/submission rows of the gradebook; the
  gradebook's other tables are compared as a logical dump);
* no hidden-test or reference-solution line appears in any attacker's outputs,
  feedback, or the grader's output;
* the network attempts reached nothing (a TCP server of the test on 127.0.0.1
  counts connections), the fork bomb / memory / file / output attacks were stopped
  at their limits, and no sandbox process is left running.

    pytest -q tests/test_attacks.py
"""

from __future__ import annotations

import ast
import base64
import hashlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from course_copy import ASSIGNMENT, nbgrader
from grade_course import (
    EXPECTED_AUTO,
    TEST_CELLS,
    append_to_cell,
    copy_course,
    describe,
    grade_cli,
    gradebook_rows,
    submit,
)

from dynaq_course import notebook_cells
from dynaq_course.grading.editions import course_root
from dynaq_course.grading.sandbox import UID_RANGE, sandbox_status

ATTACK_DIR = Path(__file__).parent / "attacks"
HONEST = {"aa_honest_first": "all_right", "zz_honest_last": "right_other_style", "zz_wrong_last": "wrong_planning"}
GRADER_WRITES = {"grade", "comment", "submitted_notebook", "submitted_assignment", "student"}

_ok, _reason = sandbox_status()
pytestmark = pytest.mark.skipif(not _ok, reason=f"no sandbox on this machine: {_reason}")


@dataclass
class Attack:
    name: str
    base: str
    cell: str
    code: str

    @property
    def student(self) -> str:
        return f"attack_{self.name}"


def load_attacks(port: int) -> list:
    attacks = []
    for path in sorted(ATTACK_DIR.glob("*.py")):
        text = path.read_text()
        header = dict(re.findall(r"^# (\w+): (.*)$", text, re.MULTILINE))
        attacks.append(
            Attack(path.stem, header["base"].strip(), header["cell"].strip(), text.replace("__PORT__", str(port)))
        )
    return attacks


class CountingServer:
    """A TCP server on the grader's loopback that counts who connected."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop = True
        self.thread.join()
        self.sock.close()


def file_hashes(course: Path) -> dict:
    """sha256 of every course file the grader must not touch (all but autograded/, feedback/, the gradebook)."""
    out = {}
    for path in sorted(course.rglob("*")):
        rel = path.relative_to(course)
        if path.is_file() and rel.parts[0] not in ("autograded", "feedback") and rel.name != "gradebook.db":
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def gradebook_dump(course: Path) -> dict:
    """Every row of every gradebook table the grader does not legitimately write."""
    con = sqlite3.connect(course / "gradebook.db")
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
        return {
            t: sorted(map(repr, con.execute(f"select * from {t}").fetchall())) for t in tables if t not in GRADER_WRITES
        }
    finally:
        con.close()


def secret_lines(course: Path) -> set:
    """Lines of the hidden tests and reference solutions in source/ (long enough to be specific)
    that the released notebooks and the course package (which students have) do not show anyway."""
    public = set()
    for path in (course_root() / "dynaq_course").rglob("*.py"):
        public.update(line.strip() for line in path.read_text().splitlines())
    for path in (course / "release" / ASSIGNMENT).glob("*.ipynb"):
        public.update(
            line.strip() for cell in nbformat.read(path, as_version=4).cells for line in cell.source.splitlines()
        )
    lines = set()
    for path in (course / "source" / ASSIGNMENT).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            where = notebook_cells.describe(cell, path.name)
            regions = (
                notebook_cells.hidden_test_text(cell.source, where),
                notebook_cells.solution_text(cell.source, where),
            )
            for region in regions:
                lines.update(line.strip() for line in region.splitlines() if len(line.strip()) >= 12)
    return lines - public


def output_text(nb) -> str:
    """The text of every output, except the tracebacks of hidden test cells: they quote the hidden
    code on purpose, for the instructor (the course's feedback replaces them by the error message)."""
    parts = []
    for cell in nb.cells:
        hidden_cell = notebook_cells.BEGIN_HIDDEN in cell.source
        for out in cell.get("outputs", []):
            if hidden_cell and out.get("output_type") == "error":
                continue
            parts.append(out.get("text", "") if isinstance(out.get("text", ""), str) else "")
            parts.extend(
                v for k, v in (out.get("data") or {}).items() if isinstance(v, str) and not k.startswith("image/")
            )
            parts.append(str(out.get("evalue", "")))
            parts.extend(out.get("traceback", []))
    return "\n".join(parts)


def adopt_orphans(on: bool) -> None:
    """Make this test process the subreaper of what it starts: a process the grader leaves
    behind is re-parented here (not to init), so it still counts as ours below."""
    import ctypes

    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)


def sandbox_processes() -> list:
    """Live sandbox-uid processes descended from this test process.

    Other test files grade with sandboxed kernels at the same time (the test command
    runs files on several cores), so only this process's descendants are this run's."""
    ps = subprocess.run(["ps", "-eo", "uid=,pid=,ppid=,stat=,args="], capture_output=True, text=True).stdout
    rows = [line.split(None, 4) for line in ps.splitlines() if len(line.split()) >= 4]
    parent = {int(r[1]): int(r[2]) for r in rows}

    def ours(pid: int) -> bool:
        while pid > 1:
            pid = parent.get(pid, 0)
            if pid == os.getpid():
                return True
        return False

    return [
        " ".join(r)
        for r in rows
        if UID_RANGE[0] <= int(r[0]) < UID_RANGE[1] and not r[3].startswith("Z") and ours(int(r[1]))
    ]


@dataclass
class Graded:
    course: Path
    attacks: list
    proc: subprocess.CompletedProcess
    before_files: dict
    before_db: dict
    rows: dict
    outputs: dict = field(default_factory=dict)  # student -> {notebook: output text}
    notebook_bytes: dict = field(default_factory=dict)
    feedback: dict = field(default_factory=dict)  # student -> html text of all notebooks
    connections: int = 0
    leftover: list = field(default_factory=list)

    def cell_score(self, student: str, notebook: str, cell: str) -> float:
        grade = self.rows["grades"].get((student, notebook, cell))
        return (grade or {}).get("auto_score") or 0.0


@pytest.fixture(scope="module")
def graded(mini_course, tmp_path_factory) -> Graded:
    course, env = copy_course(mini_course.course, tmp_path_factory.mktemp("attacks") / "course"), mini_course.env
    server = CountingServer()
    adopt_orphans(True)
    try:
        attacks = load_attacks(server.port)
        for student, kind in HONEST.items():
            submit(course, student, kind)
        for attack in attacks:

            def edit(notebooks, attack=attack):
                for nb in notebooks.values():
                    if any(c.metadata.get("nbgrader", {}).get("grade_id") == attack.cell for c in nb.cells):
                        append_to_cell(nb, attack.cell, attack.code)

            submit(course, attack.student, attack.base, edit=edit)
        before_files, before_db = file_hashes(course), gradebook_dump(course)
        proc = grade_cli(course, env, "--sandbox", "require")
        nbgrader(course, env, "generate_feedback", ASSIGNMENT, check=False)
        leftover = sandbox_processes()
    finally:
        server.close()
        adopt_orphans(False)
    result = Graded(
        course,
        attacks,
        proc,
        before_files,
        before_db,
        gradebook_rows(course),
        connections=server.connections,
        leftover=leftover,
    )
    for student in list(HONEST) + [a.student for a in attacks]:
        result.outputs[student], result.notebook_bytes[student] = {}, {}
        for path in sorted((course / "autograded" / student / ASSIGNMENT).glob("*.ipynb")):
            result.outputs[student][path.stem] = output_text(nbformat.read(path, as_version=4))
            result.notebook_bytes[student][path.stem] = path.stat().st_size
        result.feedback[student] = "\n".join(
            p.read_text(errors="replace") for p in sorted((course / "feedback" / student / ASSIGNMENT).glob("*.html"))
        )
    print(f"\ngrading run: exit {proc.returncode}\n{proc.stdout[-3000:]}")
    return result


def _attack(graded: Graded, name: str) -> Attack:
    return next(a for a in graded.attacks if a.name == name)


def test_every_attack_file_has_a_header():
    attacks = load_attacks(1)
    assert len(attacks) >= 10
    for attack in attacks:
        assert attack.base in EXPECTED_AUTO and attack.cell in ("dyna_q_model_update", "dyna_q_planning"), attack.name


def test_honest_submissions_keep_exactly_their_scores(graded):
    for student, kind in HONEST.items():
        assert graded.rows["submissions"][student]["code_score"] == EXPECTED_AUTO[kind], (
            student,
            describe(graded.proc),
        )
    # Per cell too: an honest wrong planning stays wrong however the gradebook was attacked.
    assert graded.cell_score("zz_wrong_last", "03_planning", "test_planning_hidden") == 0
    assert graded.cell_score("zz_honest_last", "03_planning", "test_planning_hidden") == 3


def test_attackers_earn_nothing_they_did_not_earn_honestly(graded):
    for attack in graded.attacks:
        honest = {cell: pts if EXPECTED_AUTO[attack.base] else 0 for cell, pts in TEST_CELLS.items()}
        if attack.base == "wrong_planning":
            honest = {cell: (pts if cell[0] == "02_model_update" else 0) for cell, pts in TEST_CELLS.items()}
        for (notebook, cell), pts in honest.items():
            got = graded.cell_score(attack.student, notebook, cell)
            assert got <= pts, f"{attack.student} earned {got} on {cell} (honest: {pts})\n{describe(graded.proc)}"


def test_error_display_tampering_earns_no_planning_points(graded):
    for name in ("hide_errors", "forge_success"):
        student = _attack(graded, name).student
        assert graded.rows["submissions"][student]["code_score"] <= EXPECTED_AUTO["wrong_planning"], student
        assert graded.cell_score(student, "03_planning", "test_planning_hidden") == 0


def test_course_files_and_gradebook_definitions_are_unchanged(graded):
    assert file_hashes(graded.course) == graded.before_files
    assert gradebook_dump(graded.course) == graded.before_db
    students = {r["id"] if isinstance(r, dict) else r for r in graded.rows["submissions"]}
    assert set(HONEST) | {a.student for a in graded.attacks} >= students


def test_no_secret_reaches_outputs_feedback_or_the_log(graded):
    secrets = secret_lines(graded.course)
    assert len(secrets) >= 5, "the source notebooks should have hidden tests and solutions"
    for attack in graded.attacks:
        texts = {f"output of {nb}": text for nb, text in graded.outputs[attack.student].items()}
        texts["feedback"] = graded.feedback[attack.student]
        for where, text in texts.items():
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{attack.student}: {where} shows {leaked[:3]}"
    log = graded.proc.stdout + graded.proc.stderr
    assert not [s for s in secrets if s in log]


def test_the_attacks_ran_and_were_stopped(graded):
    out = {a.name: "\n".join(graded.outputs[a.student].values()) for a in graded.attacks}
    assert (
        "ATTACK gradebook:" in out["gradebook_rewrite"]
        and " rows" not in out["gradebook_rewrite"].split("ATTACK gradebook:")[1].split("\n")[0]
    ), out["gradebook_rewrite"][-2000:]
    # It finds only files of installed software (nbgrader's own test notebooks in the venv) and, in notebook 03's
    # kernel, the attacker's own notebook 02 (the copy in its scratch folder, hidden tests cut out: the test above
    # shows no secret in any output); no course file. Its guesses at course paths all fail.
    attacker = _attack(graded, "read_secrets").student
    found = re.findall(r"^ATTACK secrets: files with secrets found: \d+ (\[.*\])$", out["read_secrets"], re.MULTILINE)
    assert found, out["read_secrets"][-3000:]
    installed = (str(Path(sys.prefix).resolve()), str(Path(sys.base_prefix).resolve()))
    own = re.compile(rf"/autograded/{attacker}/{ASSIGNMENT}/0\d_\w+\.ipynb$")
    paths = [path for listed in found for path in ast.literal_eval(listed)]
    assert all(path.startswith(installed) or own.search(path) for path in paths), paths
    assert not re.search(r"^ATTACK guess: ", out["read_secrets"], re.MULTILINE), out["read_secrets"][-3000:]
    assert len(re.findall(r"^ATTACK guess failed: ", out["read_secrets"], re.MULTILINE)) >= 3
    assert "ATTACK captured cell:" in out["capture_hidden_cells"]  # it ran; the previous test shows nothing leaked
    edits = re.search(r"ATTACK edit others: (.*)", out["edit_others"]).group(1)
    assert "Error" in edits and ".ipynb'" not in edits.replace("Error", ""), edits
    match = re.search(r"ATTACK fork bomb stopped: (\w+) after (\d+) children", out["fork_bomb"])
    assert match and int(match.group(2)) < 128, out["fork_bomb"][-2000:]
    assert "ATTACK memory stopped at" in out["memory_hog"] and "MemoryError" in out["memory_hog"]
    stopped = re.findall(r"ATTACK huge file (\S+) stopped after (\d+) MiB", out["huge_file"])
    assert len(stopped) >= 2 and all(int(mib) <= 256 for _, mib in stopped), out["huge_file"][-2000:]
    assert "[grader: output of this cell over" in out["flood_output"]
    assert max(graded.notebook_bytes[_attack(graded, "flood_output").student].values()) < 20 * 1024 * 1024
    # (the exercise cell runs again where notebook 03 loads the model update from 02, hence >= 2)
    assert out["network"].count("ATTACK network: no connection to") >= 2, out["network"][-2000:]
    assert "ATTACK network: connected" not in out["network"]


# ------------------------------------------------------------------ exfiltration (issue 18)

EXFIL = re.compile(r"EXFIL (\w+) ([A-Za-z0-9+/=]+)")
EXFILTRATORS = ("exfil_event_hooks", "exfil_stack_and_gc", "exfil_test_files")


def decoded_exfil(text: str) -> dict:
    """{channel: everything the ``EXFIL <channel> <base64 of zlib>`` lines of ``text`` carry, decoded}."""
    out = {}
    for channel, blob in EXFIL.findall(text):
        out[channel] = out.get(channel, "") + zlib.decompress(base64.b64decode(blob)).decode("utf-8", "replace")
    return out


def hidden_secrets(course: Path, own: Path) -> set:
    """Lines of source/'s hidden-test regions (references included) that the package, the released notebooks
    and the student's own submitted notebooks (folder ``own``) do not show anyway."""
    public = set()
    for path in (course_root() / "dynaq_course").rglob("*.py"):
        public.update(line.strip() for line in path.read_text().splitlines())
    for path in [*(course / "release" / ASSIGNMENT).glob("*.ipynb"), *own.glob("*.ipynb")]:
        public.update(
            line.strip() for cell in nbformat.read(path, as_version=4).cells for line in cell.source.splitlines()
        )
    lines = set()
    for path in (course / "source" / ASSIGNMENT).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            region = notebook_cells.hidden_test_text(cell.source, notebook_cells.describe(cell, path.name))
            lines.update(line.strip() for line in region.splitlines() if len(line.strip()) >= 12)
    return lines - public


def _exfil_texts(course: Path, student: str, feedback: bool) -> str:
    paths = sorted((course / "autograded" / student / ASSIGNMENT).glob("*.ipynb"))
    if feedback:
        paths += sorted((course / "feedback" / student / ASSIGNMENT).glob("*.html"))
    return "\n".join(p.read_text(errors="replace") for p in paths)


@pytest.fixture(scope="module")
def plain_graded(mini_course, tmp_path_factory) -> Path:
    """Negative control: the exfiltrating submissions under plain ``nbgrader autograde``, whose kernels still
    run the stored hidden tests with their references (no sandbox: these attacks only read and print)."""
    course, env = copy_course(mini_course.course, tmp_path_factory.mktemp("plain") / "course"), mini_course.env
    for attack in load_attacks(1):
        if attack.name in EXFILTRATORS:

            def edit(notebooks, attack=attack):
                for nb in notebooks.values():
                    if any(c.metadata.get("nbgrader", {}).get("grade_id") == attack.cell for c in nb.cells):
                        append_to_cell(nb, attack.cell, attack.code)

            submit(course, attack.student, attack.base, edit=edit)
    nbgrader(course, env, "autograde", ASSIGNMENT)
    return course


def test_the_exfiltrators_reach_the_reference_where_the_kernel_holds_it(plain_graded):
    for name in EXFILTRATORS:
        student = f"attack_{name}"
        secrets = hidden_secrets(plain_graded, plain_graded / "submitted" / student / ASSIGNMENT)
        decoded = "\n".join(decoded_exfil(_exfil_texts(plain_graded, student, feedback=False)).values())
        assert any(line.startswith("def _reference_") for line in secrets), secrets
        leaked = [s for s in secrets if s in decoded]
        assert any(s.startswith("def _reference_") for s in leaked), f"{name} did not reach a reference: {leaked}"


def test_no_secret_leaves_even_encoded(graded):
    for name in EXFILTRATORS:
        student = _attack(graded, name).student
        secrets = hidden_secrets(graded.course, graded.course / "submitted" / student / ASSIGNMENT)
        assert any(line.startswith("def _reference_") for line in secrets), secrets
        decoded = decoded_exfil(_exfil_texts(graded.course, student, feedback=True))
        assert decoded, f"{name} printed nothing: {graded.outputs[student]}"
        leaked = [s for s in secrets for text in decoded.values() if s in text]
        assert not leaked, f"{name} carried out {leaked[:3]}"
    # Each channel worked: it carried out what the kernel did hold (the sealed cells, the call stack). The
    # file channel reports after every cell but finds no checker folder to read: under the grade command the
    # self-checks are relayed too, so no checker process runs in the kernel (under plain nbgrader the same
    # channel does carry a reference out: test_the_exfiltrators_reach_the_reference_where_the_kernel_holds_it).
    hooks = decoded_exfil(_exfil_texts(graded.course, _attack(graded, "exfil_event_hooks").student, True))["hooks"]
    assert notebook_cells.BEGIN_HIDDEN in hooks and "relay_verdict(True" in hooks, hooks[-2000:]
    stack = decoded_exfil(_exfil_texts(graded.course, _attack(graded, "exfil_stack_and_gc").student, True))["stack"]
    assert "caller: " in stack and "relay_verdict(True" in stack, stack[-2000:]
    files = _exfil_texts(graded.course, _attack(graded, "exfil_test_files").student, True)
    assert "EXFIL files" in files and "dynaq-reference-" not in decoded_exfil(files)["files"], files[-2000:]


def test_the_exfiltrators_score_what_their_own_code_earns(graded):
    for name in EXFILTRATORS:
        attack = _attack(graded, name)
        assert graded.rows["submissions"][attack.student]["code_score"] == EXPECTED_AUTO[attack.base], (
            attack.student,
            describe(graded.proc),
        )


def test_nothing_reached_the_network_or_the_disk(graded):
    assert graded.connections == 0
    assert not list((graded.course / "autograded").rglob("huge.bin"))


def test_no_sandbox_process_is_left_running(graded):
    assert graded.leftover == []
