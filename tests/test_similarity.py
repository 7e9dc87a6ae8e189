"""The similarity report (dynaq_course.grading.similarity) on the grading corpus and on planted copies.

* Honest pairs: the corpus holds many correct answers to each exercise, written
  independently; no pair of them may be flagged.
* Planted copies: each correct corpus answer with enough code of its own
  (``similarity.MIN_TOKENS`` outside the starter and the reference), copied with
  one transformation at a time (every own name renamed; two independent
  statements swapped; comments, blank lines and indentation changed; the body
  wrapped in an inner helper; the result returned through a new variable; all of
  them at once): every copy must be flagged against its original.

    pytest -q -p no:cacheprovider tests/test_similarity.py -s    # -s prints the score distributions
"""

from __future__ import annotations

import ast
import io
import itertools
import json
import re
import textwrap
import tokenize

import grading_corpus
import pytest

from dynaq_course.checks import registry
from dynaq_course.grading import similarity
from dynaq_course.grading.editions import course_root

ROOT = course_root()
CORRECT = [e for e in grading_corpus.entries() if e.correct]
EXERCISES = sorted({e.exercise for e in CORRECT})
PARTS = {
    **similarity.starter_and_reference(ROOT, "dyna_q"),
    **similarity.starter_and_reference(ROOT, "going_further"),
}  # exercise -> (starter, reference)
BOILERPLATE = {name: "\n\n".join(parts) for name, parts in PARTS.items()}


def _cell(entry) -> str:
    """The corpus entry as the student's cell: without its ``# expect`` / ``# visible`` header lines."""
    return re.sub(r"^# (expect|visible): .*\n", "", entry.source, flags=re.MULTILINE)


# ------------------------------------------------------------------ planted copies, one transformation each


def _replace_spans(code: str, spans: list[tuple[tuple[int, int], tuple[int, int], str]]) -> str:
    """``code`` with each ((row, col) start, (row, col) end, new text) span replaced (rows from 1)."""
    lines = code.splitlines(keepends=True)
    offsets = list(itertools.accumulate((len(line) for line in lines), initial=0))
    flat = [(offsets[s[0] - 1] + s[1], offsets[e[0] - 1] + e[1], new) for s, e, new in spans]
    for start, end, new in sorted(flat, reverse=True):
        code = code[:start] + new + code[end:]
    return code


def _function(code: str) -> ast.FunctionDef | None:
    tree = ast.parse(code)
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef)), None)


def rename(code: str, exercise: str) -> str:
    """Every name the cell binds, except the exercise's function, renamed (comments and layout kept)."""
    bound = similarity._bound_names(ast.parse(code)) - {exercise}
    new = {name: f"renamed_{i}_{name[::-1]}" for i, name in enumerate(sorted(bound))}
    spans, previous = [], ""
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NAME and tok.string in new and previous != ".":
            spans.append((tok.start, tok.end, new[tok.string]))
        if tok.type not in (tokenize.COMMENT, tokenize.NL):
            previous = tok.string
    return _replace_spans(code, spans)


def _names(node: ast.AST, ctx) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def reorder(code: str, exercise: str) -> str | None:
    """The first two adjacent independent statements of a block swapped (None: the cell has none)."""
    simple = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom)
    for node in ast.walk(ast.parse(code)):
        for body in (getattr(node, "body", None), getattr(node, "orelse", None)):
            if not isinstance(body, list):
                continue
            for first, second in itertools.pairwise(body):
                if not (isinstance(first, simple) and isinstance(second, simple)):
                    continue
                written = [_names(s, ast.Store) | similarity._bound_names(s) for s in (first, second)]
                used = [_names(s, ast.Load) | w for s, w in zip((first, second), written, strict=True)]
                if written[0] & used[1] or written[1] & used[0]:
                    continue
                lines = code.split("\n")
                a = lines[first.lineno - 1 : first.end_lineno]
                b = lines[second.lineno - 1 : second.end_lineno]
                return "\n".join(lines[: first.lineno - 1] + b + a + lines[second.end_lineno :])
    return None


def recomment(code: str, exercise: str) -> str:
    """Comments added and removed, blank lines added, 4-space indentation made 2-space."""
    out = []
    for i, line in enumerate(code.split("\n")):
        line = re.sub(r"\s+#.*$", "", line) if "#" in line and '"' not in line and "'" not in line else line
        stripped = line.lstrip(" ")
        indent = "  " * ((len(line) - len(stripped)) // 4)
        if stripped and not stripped.startswith("#"):
            out += ["", f"{indent}# step {i}: my own work"]
        out.append(f"{indent}{stripped}  # ok" if stripped.endswith(")") else indent + stripped)
    return "\n".join(out)


def wrap(code: str, exercise: str) -> str | None:
    """The exercise's body moved into an inner helper taking the same parameters (None: no def)."""
    fn = _function(code)
    if fn is None:
        return None
    lines = code.split("\n")
    body = textwrap.indent("\n".join(lines[fn.body[0].lineno - 1 : fn.end_lineno]), "    ")
    params = ", ".join(a.arg for a in fn.args.args)
    inner = f"    def _solve({params}):\n{body}\n    return _solve({params})"
    return "\n".join(lines[: fn.body[0].lineno - 1] + [inner] + lines[fn.end_lineno :])


def return_via_variable(code: str, exercise: str) -> str | None:
    """Each ``return <expression>`` made ``answer = <expression>`` then ``return answer`` (None: none)."""
    tree = ast.parse(code)
    returns = [n for n in ast.walk(tree) if isinstance(n, ast.Return) and n.value is not None]
    returns = [n for n in returns if not isinstance(n.value, ast.Name)]
    if not returns:
        return None
    lines = code.split("\n")
    for node in sorted(returns, key=lambda n: n.lineno, reverse=True):
        indent = " " * node.col_offset
        expression = ast.get_source_segment(code, node.value)
        lines[node.lineno - 1 : node.end_lineno] = [f"{indent}answer = {expression}", f"{indent}return answer"]
    return "\n".join(lines)


def pad(code: str, exercise: str) -> str | None:
    """A statement that does nothing added at the start of the exercise's body (None: no def). The
    normaliser does not undo this one: it shows what the winnowing itself tolerates."""
    fn = _function(code)
    if fn is None:
        return None
    first = fn.body[0]
    lines = code.split("\n")
    line = " " * first.col_offset + "checked = True"
    return "\n".join(lines[: first.lineno - 1] + [line] + lines[first.lineno - 1 :])


def everything(code: str, exercise: str) -> str:
    for transform in (return_via_variable, reorder, wrap, rename, recomment):
        code = transform(code, exercise) or code
    return code


TRANSFORMS = {
    "rename": rename,
    "reorder": reorder,
    "recomment": recomment,
    "wrap": wrap,
    "return_via_variable": return_via_variable,
    "everything": everything,
}
EXTRA = {"pad": pad}  # measured, flagged only for answers with much code of their own (test below)


def _judged(entry) -> bool:
    """Whether the answer has enough code of its own to be compared at all."""
    return similarity.own_tokens(_cell(entry), BOILERPLATE[entry.exercise]) >= similarity.MIN_TOKENS


def _planted() -> list[tuple[str, str, str, str]]:
    """(transform, corpus entry, original, copy) for every applicable transformation of every judged answer."""
    out = []
    for entry in CORRECT:
        if not _judged(entry):
            continue
        for name, transform in {**TRANSFORMS, **EXTRA}.items():
            copy = transform(_cell(entry), entry.exercise)
            if copy is not None:
                assert copy != _cell(entry), (name, entry.name)
                ast.parse(copy)  # the copy is still Python
                out.append((name, entry.name, _cell(entry), copy))
    return out


PLANTED = _planted()


# ------------------------------------------------------------------ calibration: honest vs planted


def _honest_scores() -> list[tuple[float, str, str]]:
    scores = []
    for exercise in EXERCISES:
        cells = [e for e in CORRECT if e.exercise == exercise]
        for a, b in itertools.combinations(cells, 2):
            score = similarity.pair_score(_cell(a), _cell(b), BOILERPLATE[exercise])
            scores.append((score, a.name, b.name))
    return sorted(scores, reverse=True)


def test_no_two_independent_correct_answers_are_flagged():
    code = {e.name: {e.exercise: _cell(e)} for e in CORRECT}
    flagged = similarity.find_similar(code, BOILERPLATE)
    honest = _honest_scores()
    print(f"\nhonest pairs: {len(honest)}, highest scores: {[(round(s, 2), a, b) for s, a, b in honest[:5]]}")
    assert flagged == [], [(p.student_a, p.student_b, round(p.score, 2)) for p in flagged]
    assert honest[0][0] < similarity.DEFAULT_THRESHOLD


def test_most_correct_answers_are_judged():
    """The minimum size leaves out only answers with almost no code of their own."""
    judged = [e for e in CORRECT if _judged(e)]
    left_out = sorted(e.name for e in CORRECT if not _judged(e))
    print(f"\njudged {len(judged)}/{len(CORRECT)} correct answers; too small to judge: {left_out}")
    assert len(judged) >= 0.6 * len(CORRECT)


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_planted_copies_are_flagged(transform):
    copies = [(entry, original, copy) for name, entry, original, copy in PLANTED if name == transform]
    assert len(copies) >= (5 if transform == "reorder" else 20), len(copies)
    scores = []
    for entry, original, copy in copies:
        exercise = next(e.exercise for e in CORRECT if e.name == entry)
        code = {"original": {exercise: original}, "copier": {exercise: copy}}
        flagged = similarity.find_similar(code, BOILERPLATE)
        scores.append((flagged[0].score if flagged else similarity.pair_score(original, copy), entry))
        assert len(flagged) == 1, (entry, copy)
        assert (flagged[0].student_a, flagged[0].student_b) == ("copier", "original")
        assert (flagged[0].code_a, flagged[0].code_b) == (copy, original)
    print(f"\n{transform}: {len(copies)} copies, lowest scores {sorted(scores)[:3]}")


def test_margin_between_honest_and_planted():
    honest_max = _honest_scores()[0][0]
    planted = []
    for name, entry, original, copy in PLANTED:
        if name not in TRANSFORMS:
            continue
        exercise = next(e.exercise for e in CORRECT if e.name == entry)
        planted.append(similarity.pair_score(original, copy, BOILERPLATE[exercise]))
    print(
        f"\nhonest max {honest_max:.3f} < threshold {similarity.DEFAULT_THRESHOLD} <= "
        f"planted min {min(planted):.3f} (planted copies: {len(planted)})"
    )
    assert honest_max < similarity.DEFAULT_THRESHOLD <= min(planted)


def test_a_dead_statement_added_lowers_the_score_of_short_answers_only():
    """The normaliser does not remove a statement that does nothing; on short answers it breaks enough
    token runs to fall below the threshold, on answers with 70+ tokens of their own it does not."""
    rows = []
    for name, entry, original, copy in PLANTED:
        if name == "pad":
            exercise = next(e.exercise for e in CORRECT if e.name == entry)
            own = similarity.own_tokens(original, BOILERPLATE[exercise])
            rows.append((own, similarity.pair_score(original, copy, BOILERPLATE[exercise]), entry))
    flagged = sum(score >= similarity.DEFAULT_THRESHOLD for _, score, _ in rows)
    print(f"\npad: {flagged}/{len(rows)} flagged; lowest {sorted((round(s, 2), o, e) for o, s, e in rows)[:3]}")
    big = [(score, entry) for own, score, entry in rows if own >= 70]
    assert len(big) >= 20 and min(big)[0] >= similarity.DEFAULT_THRESHOLD, min(big)


# ------------------------------------------------------------------ edge cases


def test_normalisation_ignores_names_comments_and_layout_but_keeps_library_calls():
    a = "def f(x, y):\n    total = x + np.sqrt(y)  # bonus\n    return total\n"
    b = 'def f(p, q):\n  """Docs."""\n  s = (p +\n       np.sqrt(q))\n\n  return s\n'
    c = "def f(x, y):\n    total = x + np.exp(y)\n    return total\n"
    assert similarity.normalized_tokens(a) == similarity.normalized_tokens(b)
    assert similarity.normalized_tokens(a) != similarity.normalized_tokens(c)
    assert "np" in similarity.normalized_tokens(a) and "sqrt" in similarity.normalized_tokens(a)


def test_starter_left_unanswered_is_not_compared():
    starter = PARTS["dyna_q_planning"][0]
    entry = next(e for e in CORRECT if e.exercise == "dyna_q_planning" and _judged(e))
    code = {
        "a": {"dyna_q_planning": starter},
        "b": {"dyna_q_planning": starter},
        "c": {"dyna_q_planning": _cell(entry)},
    }
    assert similarity.is_starter(starter)
    assert similarity.find_similar(code, BOILERPLATE, threshold=0.0) == []
    assert similarity.find_similar(code, {}, threshold=0.0) == []  # even with no boilerplate given


def test_two_students_pasting_the_reference_are_not_flagged_unless_they_share_more():
    """The reference is boilerplate: two verbatim copies of it have no code of their own to compare.
    Two students who add the same code of their own around it are flagged for that code."""
    reference = PARTS["push_predecessors"][1]
    assert similarity.own_tokens(reference, BOILERPLATE["push_predecessors"]) == 0
    pasted = {"a": {"push_predecessors": reference}, "b": {"push_predecessors": reference}}
    assert similarity.find_similar(pasted, BOILERPLATE, threshold=0.0) == []
    extra = (
        "    seen = set()\n    for s_bar, a_bar in list(queue.items()):\n"
        "        if (s_bar, a_bar) in seen:\n"
        "            queue.remove((s_bar, a_bar))\n"
        "        seen.add((s_bar, a_bar))\n"
    )
    shared = reference.replace("    return queue", extra + "    return queue")
    both = {"a": {"push_predecessors": shared}, "b": {"push_predecessors": rename(shared, "push_predecessors")}}
    flagged = similarity.find_similar(both, BOILERPLATE)
    assert [(p.student_a, p.student_b) for p in flagged] == [("a", "b")]


def test_threshold_is_checked():
    with pytest.raises(ValueError, match="between 0 and 1"):
        similarity.find_similar({}, {}, threshold=1.5)


def _notebook(cells: dict[str, str]) -> dict:
    return {
        "cells": [
            {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": gid, "solution": True}}, "source": src}
            for gid, src in cells.items()
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _write(path, cells: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_notebook(cells)), encoding="utf-8")


def test_exercise_code_and_class_similarity_on_a_course_folder(tmp_path):
    planning = registry.exercise("dyna_q_planning")
    update = registry.exercise("dyna_q_model_update")
    for index, edition in enumerate(("release", "source")):
        for ex in (planning, update):
            _write(tmp_path / edition / "dyna_q" / ex.notebook, {ex.grade_id: PARTS[ex.name][index]})
    mine = next(_cell(e) for e in CORRECT if e.name == "planning/ok_while_loop")
    other = next(_cell(e) for e in CORRECT if e.name == "planning/ok_python_random")
    sub = tmp_path / "submitted"
    _write(sub / "alice" / "dyna_q" / planning.notebook, {planning.grade_id: mine, "other": "x = 1"})
    _write(sub / "bob" / "dyna_q" / planning.notebook, {planning.grade_id: rename(mine, planning.name)})
    _write(sub / "carol" / "dyna_q" / planning.notebook, {planning.grade_id: other})
    (sub / "dave" / "dyna_q").mkdir(parents=True)  # submitted nothing readable
    code = similarity.exercise_code(tmp_path, "dyna_q")
    assert code == {
        "alice": {"dyna_q_planning": mine},
        "bob": {"dyna_q_planning": rename(mine, planning.name)},
        "carol": {"dyna_q_planning": other},
        "dave": {},
    }
    pairs = similarity.class_similarity(tmp_path, "dyna_q")
    assert [(p.exercise, p.student_a, p.student_b) for p in pairs] == [("dyna_q_planning", "alice", "bob")]
    assert pairs[0].score >= similarity.DEFAULT_THRESHOLD and pairs[0].code_a == mine


def test_clear_errors(tmp_path):
    with pytest.raises(similarity.SimilarityError, match="no submission of 'dyna_q'.*nbgrader collect"):
        similarity.exercise_code(tmp_path, "dyna_q")
    with pytest.raises(similarity.SimilarityError, match="no exercises; choose one of dyna_q, going_further"):
        similarity.exercise_code(tmp_path, "nope")
    (tmp_path / "submitted" / "alice" / "dyna_q").mkdir(parents=True)
    with pytest.raises(similarity.SimilarityError, match="02_model_update.ipynb is missing.*reference solution"):
        similarity.class_similarity(tmp_path, "dyna_q")
    (tmp_path / "submitted" / "alice" / "dyna_q" / "02_model_update.ipynb").write_text("{not json")
    with pytest.raises(similarity.SimilarityError, match="cannot read .*02_model_update.ipynb"):
        similarity.exercise_code(tmp_path, "dyna_q")
