"""The similarity report: every pair of students' exercise code, compared with the shared code left out.

For each exercise of an assignment (``checks.registry``: its notebook and the
grade_id of its cell), the cell each student submitted in
``submitted/<student>/<assignment>/`` is compared with every other student's,
and pairs that share most of their own code are flagged.

How code is compared
--------------------
1. **Normalised** with the standard library's ``ast``: docstrings dropped,
   the code unparsed in canonical form (so comments, blank lines, indentation,
   line breaks, quotes and redundant parentheses are gone), then tokenized.
   Every name the cell binds (parameters, variables, loop and comprehension
   targets, functions, import aliases) becomes the one placeholder ``V``, so any
   renaming of the cell's own names is invisible. Names the cell does not bind
   (``np``, ``q_learning``, ``len``, ``range``) and attribute names (``.argmax``,
   ``.push``) are kept: they are what distinguishes two short honest answers.
   Three rewrites that keep what the code does make equivalent forms equal
   (``_Canonical``): ``x = <e>`` then ``return x`` becomes ``return <e>``; a
   body moved into an inner helper returned at once is put back; adjacent
   assignments and imports that do not depend on each other are put in one order.
   A cell that does not parse is tokenized as written (comments dropped), every
   name but the builtins' as ``V``.
2. **Fingerprinted** with ``copydetect`` (PyPI; MOSS's winnowing): each
   document is the sequence of its tokens, its fingerprints are the hashes of
   every run of ``K_TOKENS`` consecutive tokens (window size 1: all of them
   are kept, so results do not depend on Python's per-process string hash seed).
3. **Boilerplate removed**: every fingerprint of the starter cell (release/) or
   of the reference solution (source/, the exercise cell with its solution
   region's text) is dropped from every student's code, so neither the given
   signature and docstring nor code that follows the reference counts.
4. **Scored**: copydetect's per-document similarity is the share of a
   document's remaining (non-boilerplate) tokens that lie in runs shared with
   the other document. A pair's ``score`` is the smaller of the two shares:
   high only when each student's own code is mostly the other's.
   A cell with fewer than ``MIN_TOKENS`` tokens of its own code left after step 3
   is not compared (too little to tell copying from the one obvious way to write
   it), nor is a starter left as it was (still raising NotImplementedError).

Why these numbers: ``K_TOKENS``, ``MIN_TOKENS`` and ``DEFAULT_THRESHOLD`` were
calibrated on tests/grading_corpus (many correct answers per exercise, written
independently: no pair may be flagged) against planted copies of them (renamed,
reordered, recommented and reformatted, rewritten in an equivalent form: each
must be flagged); tests/test_similarity.py checks both and prints the margin.

Two students who both pasted the reference solution share nothing once the
reference is removed: they are not flagged on that ground (copying the
reference is not similarity between them), only for what else they share.
"""

from __future__ import annotations

import ast
import builtins
import io
import itertools
import json
import keyword
import tokenize
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from copydetect.detector import CodeFingerprint, compare_files

from dynaq_course.checks import registry
from dynaq_course.notebook_cells import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    MarkerError,
    cell_source,
    find_cell,
    without_markers,
)

K_TOKENS = 8  # length of the token runs that are fingerprinted
MIN_TOKENS = 12  # a cell with less of its own code (tokens outside the boilerplate) is not compared
DEFAULT_THRESHOLD = 0.8  # flag a pair whose score (see the module docstring) is at least this
PLACEHOLDER = "V"  # what every name a cell binds becomes
STARTER_STUB = "NotImplementedError"


@dataclass(frozen=True)
class SimilarPair:
    exercise: str  # the exercise (its function name, as in checks.registry)
    student_a: str
    student_b: str  # student_a < student_b
    score: float  # 0..1: the smaller of the two shares of own code found in the other's (module docstring)
    code_a: str  # student_a's exercise cell, as submitted
    code_b: str


class SimilarityError(RuntimeError):
    """The course folder lacks what the report needs; the message names the folder and the fix."""


# ------------------------------------------------------------------ normalising


class _DropDocstrings(ast.NodeTransformer):
    def _strip(self, node):
        self.generic_visit(node)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            if isinstance(body[0].value.value, str):
                node.body = body[1:] or ([] if isinstance(node, ast.Module) else [ast.Pass()])
        return node

    visit_Module = visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _strip


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name ``tree`` binds: assignment, loop, with, comprehension and except targets, parameters,
    functions and classes it defines, import aliases."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
    return bound


_SIMPLE = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom)


def _names(node: ast.AST) -> tuple[set[str], set[str]]:
    """(names ``node`` writes, names it reads)."""
    written = _bound_names(node)
    read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return written, read


def _shape(node: ast.AST, bound: set[str]) -> str:
    """``node`` unparsed with every name of ``bound`` as the placeholder (the sort key of ``_Canonical``)."""
    text = ast.unparse(node)
    return " ".join(PLACEHOLDER if word in bound else word for word in text.replace("(", " ( ").split())


class _Canonical(ast.NodeTransformer):
    """Rewrites that do not change what the code does, so that equivalent forms compare equal:

    * a function ending with an inner helper and ``return helper(<names>)`` gets the helper's body instead;
    * ``x = <expression>`` directly followed by ``return x`` becomes ``return <expression>``;
    * in each run of adjacent assignments and imports, statements that do not depend on each other
      (neither writes a name the other reads or writes) are put in one order: a topological order of
      their dependencies, ties broken by their text with own names as ``V``.
    """

    def __init__(self, bound: set[str]):
        self.bound = bound

    def generic_visit(self, node):
        super().generic_visit(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.body = self._inline_helper(node.body)
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(node, field, self._order(self._inline_return(block)))
        return node

    @staticmethod
    def _inline_helper(block: list) -> list:
        """``def g(...): <body>`` then ``return g(<names>)`` as the last two statements, ``g`` used nowhere
        else: the helper's body in their place (its parameters are placeholders like every own name)."""
        if len(block) < 2:
            return block
        helper, last = block[-2], block[-1]
        if not (
            isinstance(helper, ast.FunctionDef)
            and not helper.decorator_list
            and isinstance(last, ast.Return)
            and isinstance(last.value, ast.Call)
            and isinstance(last.value.func, ast.Name)
            and last.value.func.id == helper.name
            and all(isinstance(arg, ast.Name) for arg in last.value.args)
            and not last.value.keywords
        ):
            return block
        uses = [n for stmt in block for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == helper.name]
        return block[:-2] + helper.body if len(uses) == 1 else block

    @staticmethod
    def _inline_return(block: list) -> list:
        out = []
        for stmt in block:
            previous = out[-1] if out else None
            if (
                isinstance(stmt, ast.Return)
                and isinstance(stmt.value, ast.Name)
                and isinstance(previous, ast.Assign)
                and len(previous.targets) == 1
                and isinstance(previous.targets[0], ast.Name)
                and previous.targets[0].id == stmt.value.id
            ):
                out[-1] = ast.Return(value=previous.value)
            else:
                out.append(stmt)
        return out

    def _order(self, block: list) -> list:
        out, run = [], []
        for stmt in [*block, None]:
            if isinstance(stmt, _SIMPLE):
                run.append(stmt)
                continue
            out += self._sorted(run)
            run = []
            if stmt is not None:
                out.append(stmt)
        return out

    def _sorted(self, run: list) -> list:
        if len(run) < 2:
            return run
        names = [_names(stmt) for stmt in run]
        after = {
            j: {i for i in range(j) if names[i][0] & (names[j][0] | names[j][1]) or names[j][0] & names[i][1]}
            for j in range(len(run))
        }
        keys = [_shape(stmt, self.bound) for stmt in run]
        done, order = set(), []
        while len(order) < len(run):
            ready = [j for j in range(len(run)) if j not in done and after[j] <= done]
            j = min(ready, key=lambda i: (keys[i], i))
            done.add(j)
            order.append(run[j])
        return order


def normalized_tokens(code: str) -> list[str]:
    """The tokens of ``code`` as compared (module docstring, step 1): canonical form, own names as ``V``."""
    try:
        tree = _DropDocstrings().visit(ast.parse(code))
        tree = _Canonical(_bound_names(tree)).visit(tree)
        text, bound = ast.unparse(tree), _bound_names(tree)
    except (SyntaxError, ValueError, RecursionError):
        text, bound = code, set()
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
    out, previous = [], ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in skip:
                continue
            value = tok.string
            if tok.type == tokenize.NAME and previous != "." and not keyword.iskeyword(value):
                if value in bound or (not bound and not hasattr(builtins, value)):
                    value = PLACEHOLDER
            elif tok.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE):
                value = tokenize.tok_name[tok.type]
            out.append(value)
            previous = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # what was read so far is compared
    return out


class _Encoder:
    """One character per distinct token, so copydetect's character runs are token runs."""

    def __init__(self):
        self.codes: dict[str, str] = {}

    def __call__(self, tokens: list[str]) -> str:
        return "".join(self.codes.setdefault(t, chr(0xE000 + len(self.codes))) for t in tokens)


def _fingerprint(text: str, boilerplate=None) -> CodeFingerprint:
    return CodeFingerprint("cell.py", K_TOKENS, 1, boilerplate, filter=False, fp=io.StringIO(text))


def is_starter(code: str) -> bool:
    """Whether ``code`` is a starter left unanswered: it still has a ``raise NotImplementedError`` statement
    (a cell that does not parse: it still contains the words ``raise NotImplementedError``)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return f"raise {STARTER_STUB}" in code
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == STARTER_STUB:
                return True
    return False


# ------------------------------------------------------------------ comparing


def own_tokens(code: str, boilerplate: str) -> int:
    """How many tokens of ``code`` lie outside every run it shares with ``boilerplate`` (``MIN_TOKENS`` gate)."""
    encode = _Encoder()
    hashes = np.array(sorted(_fingerprint(encode(normalized_tokens(boilerplate))).hashes), dtype=np.int64)
    return int(_fingerprint(encode(normalized_tokens(code)), hashes).token_coverage)


def pair_score(code_a: str, code_b: str, boilerplate: str = "") -> float:
    """The score of two cells of one exercise (module docstring, step 4); 0 when either is below ``MIN_TOKENS``."""
    encode = _Encoder()
    hashes = np.array(sorted(_fingerprint(encode(normalized_tokens(boilerplate))).hashes), dtype=np.int64)
    a, b = (_fingerprint(encode(normalized_tokens(c)), hashes) for c in (code_a, code_b))
    return _score(a, b) or 0.0


def _score(a: CodeFingerprint, b: CodeFingerprint) -> float | None:
    """The pair's score; None when either has fewer than ``MIN_TOKENS`` tokens of its own (not compared)."""
    if min(a.token_coverage, b.token_coverage) < MIN_TOKENS:
        return None
    _, (share_a, share_b), _ = compare_files(a, b)
    return float(min(share_a, share_b))


def find_similar(
    code: dict[str, dict[str, str]], boilerplate: dict[str, str], threshold: float = DEFAULT_THRESHOLD
) -> list[SimilarPair]:
    """The pairs of students whose code of one exercise scores at least ``threshold``, highest score first.

    ``code``: student -> exercise -> cell source (``exercise_code``); ``boilerplate``: exercise -> the
    starter and reference code of that exercise (any text; its runs are removed from every student's).
    A student's starter left unanswered (``is_starter``) and a cell with fewer than ``MIN_TOKENS`` tokens
    of its own are not compared.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")
    exercises = sorted({name for cells in code.values() for name in cells})
    pairs = []
    for name in exercises:
        encode = _Encoder()
        shared = np.array(
            sorted(_fingerprint(encode(normalized_tokens(boilerplate.get(name, "")))).hashes), dtype=np.int64
        )
        prints = {
            student: _fingerprint(encode(normalized_tokens(cells[name])), shared)
            for student, cells in sorted(code.items())
            if name in cells and not is_starter(cells[name])
        }
        for a, b in itertools.combinations(prints, 2):
            score = _score(prints[a], prints[b])
            if score is not None and score >= threshold:
                pairs.append(SimilarPair(name, a, b, score, code[a][name], code[b][name]))
    return sorted(pairs, key=lambda p: (-p.score, p.exercise, p.student_a, p.student_b))


# ------------------------------------------------------------------ the course's folders


def _read_notebook(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SimilarityError(f"cannot read {path} as a notebook ({error}); fix or remove that file") from None


def _exercises(assignment: str) -> list:
    exercises = registry.in_assignment(assignment)
    if not exercises:
        names = sorted({ex.assignment for ex in registry.EXERCISES.values()})
        raise SimilarityError(f"assignment {assignment!r} has no exercises; choose one of {', '.join(names)}")
    return exercises


def exercise_code(course_root: Path, assignment: str) -> dict[str, dict[str, str]]:
    """student -> exercise -> the source of that exercise's cell (found by its grade_id) in the student's
    ``submitted/<student>/<assignment>/<notebook>``. A missing notebook or cell leaves the exercise out
    for that student. Raises ``SimilarityError`` when there is no submitted folder for the assignment."""
    exercises = _exercises(assignment)
    submitted = Path(course_root) / "submitted"
    students = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    if not students:
        raise SimilarityError(
            f"no submission of {assignment!r} in {submitted} (expected {submitted}/<student>/{assignment}/); "
            f"collect them first (nbgrader collect {assignment}) or pass the course folder that holds them"
        )
    code = {}
    for student in students:
        cells = {}
        for ex in exercises:
            path = submitted / student / assignment / ex.notebook
            cell = find_cell(_read_notebook(path), ex.grade_id, "code") if path.is_file() else None
            if cell is not None:
                cells[ex.name] = cell_source(cell)
        code[student] = cells
    return code


def _cell(root: Path, edition: str, ex) -> str:
    path = Path(root) / edition / ex.assignment / ex.notebook
    if not path.is_file():
        raise SimilarityError(
            f"{path} is missing: the similarity report removes the starter code (release/) and the reference "
            "solution (source/) from the students' code; build release/ with python -m dynaq_course.editions"
        )
    cell = find_cell(_read_notebook(path), ex.grade_id, "code")
    if cell is None:
        raise SimilarityError(f"{path} has no code cell with grade_id {ex.grade_id!r}")
    return cell_source(cell)


def starter_and_reference(course_root: Path, assignment: str) -> dict[str, tuple[str, str]]:
    """exercise -> (its starter cell in release/, its reference cell in source/ with the solution markers
    removed and the solution kept)."""
    out = {}
    for ex in _exercises(assignment):
        reference = _cell(course_root, "source", ex)
        try:
            reference = without_markers(reference, BEGIN_SOLUTION, END_SOLUTION, f"source {ex.notebook}")
        except MarkerError as error:
            raise SimilarityError(str(error)) from None
        out[ex.name] = (_cell(course_root, "release", ex), reference)
    return out


def reference_boilerplate(course_root: Path, assignment: str) -> dict[str, str]:
    """exercise -> its starter and its reference (``starter_and_reference``) as one text: ``find_similar``'s
    ``boilerplate``."""
    return {name: "\n\n".join(texts) for name, texts in starter_and_reference(course_root, assignment).items()}


def class_similarity(course_root: Path, assignment: str, threshold: float = DEFAULT_THRESHOLD) -> list[SimilarPair]:
    """``find_similar`` on ``exercise_code``, with release/'s starter and source/'s reference as boilerplate."""
    return find_similar(
        exercise_code(course_root, assignment), reference_boilerplate(course_root, assignment), threshold
    )
