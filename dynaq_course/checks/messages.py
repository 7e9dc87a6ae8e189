"""The catalogue of mistakes the checks can name, and the verdict they hand back.

Every failure message is written for the student, in terms of the lesson, and
never prints the expected answer. It ends with a stable machine-readable tag
``[mistake: <code>]`` so that reports can count mistakes; ``mistake_code(text)``
reads it back. Codes never change meaning; add new ones rather than reuse one.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

_TAG = re.compile(r"\[mistake: ([a-z0-9-]+)\]\s*$")
_TAG_ANYWHERE = re.compile(r"\[mistake: [a-z0-9-]+\]")

# code -> message. ``{fn}`` is the function name; other fields are filled in by the caller.
CATALOGUE: dict[str, str] = {
    # ---------------------------------------------------------------- any exercise
    "not-implemented": "{fn} still raises NotImplementedError: replace the `raise` line with your code "
    "(and save the notebook).",
    "crash": "{fn} raised {etype} {where}when called with {case}: {evalue} To see the whole error, call "
    "{fn} on those inputs in a new cell.",
    "did-not-finish": "{fn} did not finish within {seconds:g} seconds on small test cases: look for a loop "
    "that never ends (e.g. a `while` whose condition never changes).",
    "child-died": "Running {fn} stopped the Python process that checked it ({detail}): graded code must not "
    "exit, kill the process or crash the interpreter.",
    "function-missing": "The exercise cell of {notebook} does not define a function called {fn}: keep the "
    "`def {fn}(...)` line the exercise gave you (and do not rename it).",
    "cell-error": "Running the exercise cell of {notebook} on its own (after the set-up cell) raised "
    "{etype}: {evalue}. The exercise cell must run without the other cells of the notebook.",
    "uses-outside-name": "{fn} uses the name {name!r}, which the set-up cell and the exercise cell do not "
    "define (graded code runs with only those two cells). Define or import it inside "
    "the exercise cell, or check the spelling.",
    "notebook-missing": "{notebook} is missing from the submission, so {fn} could not be checked.",
    "notebook-invalid": "{notebook} could not be read as a notebook ({detail}). Open it in JupyterLab, "
    "check it, and save it again.",
    "tampering": "The exercise cell of {notebook} changes {what}, which the course's code and its checks "
    "rely on. An exercise cell must only define {fn}; remove those lines.",
    "grader-error": "The grader could not check {fn} ({detail}). This is not your mistake: tell your instructor.",
    # ---------------------------------------------------------------- model update
    "model-returns-none": "{fn} returned None: it must return the updated model (end it with `return model`).",
    "model-wrong-shape": "{fn} returned an array of shape {shape}; the model has shape {expected_shape} "
    "(states x actions x [reward, next state]). Return the whole model.",
    "model-untouched": "{fn} returned the model unchanged: it must store what was observed in model[state, action].",
    "model-swapped": "model[state, action] holds (next state, reward), the wrong way round: "
    "model[state, action, 0] should hold the reward and model[state, action, 1] the next state.",
    "model-reward-missing": "{fn} stores the next state but not the reward: model[state, action, 0] should hold "
    "the reward that was observed.",
    "model-next-state-missing": "{fn} stores the reward but not the next state: model[state, action, 1] "
    "should hold the next state that was observed.",
    "model-other-action": "{fn} wrote the observation under another action of the same state: it belongs in "
    "model[state, action], the action that was actually taken.",
    "model-other-state": "{fn} wrote the observation under another state: it belongs in model[state, action], "
    "the state the agent was in (not the next state).",
    "model-all-actions": "{fn} wrote the observation into every action of the state: only the pair that was "
    "tried, model[state, action], learns something.",
    "model-state-action-swapped": "{fn} indexes the model as model[action, state]: the first index is the "
    "state, the second the action.",
    "model-other-entries": "{fn} changed entries of the model besides model[state, action]: one observation "
    "only tells us about the pair that was tried.",
    "model-terminal": "When the episode ends, next_state is None and the model must remember it as NaN "
    "(assigning None into a float array stores NaN; do not turn it into a state number).",
    "model-wrong": "model[state, action] does not hold (reward, next state) of the observed transition "
    "after {fn}: store exactly what was observed.",
    # ---------------------------------------------------------------- planning
    "planning-returns-none": "{fn} returned None: it must return the updated value table (`return value`).",
    "planning-wrong-shape": "{fn} returned an array of shape {shape}; the value table has shape {expected_shape}.",
    "planning-not-returned": "{fn} returned the value table unchanged although params['k'] > 0. Make the "
    "params['k'] Q-learning updates and return the table you updated (if you update "
    "a copy, return that copy).",
    "planning-ignores-k": "{fn} makes the same number of updates ({count}) whatever params['k'] is. Planning "
    "should make params['k'] Q-learning updates: loop params['k'] times.",
    "planning-one-update": "With params['k'] = 0 or params['k'] > 1, {fn} still makes exactly one update. "
    "Planning should make params['k'] Q-learning updates: loop params['k'] times.",
    "planning-k-minus-1": "{fn} makes one update fewer than params['k']. Planning should make params['k'] "
    "Q-learning updates: check the range of your loop.",
    "planning-k-plus-1": "{fn} makes one update more than params['k']. Planning should make params['k'] "
    "Q-learning updates: check the range of your loop.",
    "planning-wrong-count": "{fn} makes the wrong number of updates (e.g. {count} with params['k'] = {k}). "
    "Planning should make params['k'] Q-learning updates.",
    "planning-hardcoded-params": "{fn} does not use the learning rate and discount of params: the updates "
    "must use params['alpha'] and params['gamma'] (pass params on to q_learning).",
    "planning-unobserved": "{fn} changed the value of a state-action pair that was never observed: sample only "
    "pairs whose model entry is not NaN.",
    "planning-same-pair": "{fn} replays the same remembered pair every time: pick a remembered pair at random, "
    "anew at each of the k steps.",
    "planning-misses-pairs": "{fn} (almost) never replays some of the remembered pairs: every pair whose model "
    "entry is not NaN should be a candidate at each step, picked at random.",
    "planning-state-action-swapped": "{fn} mixes up state and action: np.argwhere on model[:, :, 0] gives rows "
    "(state, action), and value is indexed value[state, action].",
    "planning-reward-next-swapped": "{fn} reads the model the wrong way round: model[state, action] holds "
    "(reward, next state), in that order.",
    "planning-modifies-model": "{fn} changed the model: planning only reads the model, it never writes to it.",
    "planning-terminal": "{fn} mishandles remembered transitions that ended the episode (next state NaN): "
    "they are replayed too, and nothing is bootstrapped from them (q_learning handles a "
    "NaN next state; if you write the update yourself, use 0 for the next state's value).",
    "planning-wrong": "The values after {fn} are wrong. Planning should make params['k'] Q-learning updates "
    "of remembered pairs, using params['alpha'] and params['gamma'] (and treat a NaN next "
    "state as the end of the episode).",
    # ---------------------------------------------------------------- Dyna-Q+ bonus reward (notebook 06)
    "plus-returns-none": "{fn} returned None: it must return the reward used in planning, "
    "reward + bonus (`return ...`).",
    "plus-wrong-shape": "{fn} returned something of shape {shape} when called with {case}: it must work "
    "elementwise, so its result has the shape of reward and tau (a single number for "
    "single numbers).",
    "plus-scalars-only": "{fn} works on single numbers but not on NumPy arrays (with arrays it {what}). The "
    "exercise asks for a function that works elementwise on arrays too: use NumPy's "
    "operations (np.sqrt, **) rather than math.sqrt, float(...) or `if` on the values.",
    "plus-modifies-input": "{fn} changed the reward or tau array it was given (an in-place operation such as "
    "`reward += ...`). Those arrays may be the model's own table: compute a new "
    "value and return it instead.",
    "plus-reward-missing": "{fn} returns only the exploration bonus: Dyna-Q+ plans with the model's reward "
    "PLUS the bonus.",
    "plus-minus": "{fn} subtracts the bonus: Dyna-Q+ ADDS kappa * sqrt(tau), so that long-untried pairs "
    "look more attractive, not less.",
    "plus-linear-tau": "{fn} grows the bonus in proportion to tau: in Dyna-Q+ it grows with the square root "
    "of tau (kappa * sqrt(tau)), so it keeps growing, but more and more slowly.",
    "plus-sqrt-of-product": "{fn} takes the square root of kappa * tau: only tau is under the square root, "
    "kappa multiplies the result (kappa * sqrt(tau)).",
    "plus-kappa-squared": "{fn} squares kappa: the bonus is kappa (not kappa squared) times sqrt(tau).",
    "plus-sqrt-on-kappa": "{fn} puts the square root on kappa instead of tau: the bonus is kappa * sqrt(tau).",
    "plus-tau-plus-one": "{fn} uses sqrt(tau + 1): tau is already the number of steps since the pair was last "
    "tried, and a pair tried on the last step gets no bonus (sqrt(0) = 0).",
    "plus-times-reward": "{fn} multiplies the reward by the bonus: Dyna-Q+ adds the bonus to the reward.",
    "plus-hardcoded-kappa": "{fn} does not use its kappa argument (the result is the same whatever kappa "
    "is): the bonus is kappa * sqrt(tau) with the kappa it is given.",
    "plus-wrong": "{fn} does not return reward + kappa * sqrt(tau) (e.g. when called with {case}). Check the "
    "formula of the bonus reward in the text above the exercise.",
    # ---------------------------------------------------------------- the bonus in action selection (notebook 06)
    "greedy-returns-none": "{fn} returned None (e.g. when called with {case}): it must return an action, "
    "the index (0-3) of an action with the largest Q(S, a) + kappa * sqrt(tau(S, a)), "
    "in every case.",
    "greedy-not-an-action": "{fn} returned {what} when called with {case}: it must return one action, an "
    "integer from 0 to 3 (a Python int or a NumPy integer, not a float), which the loop "
    "then takes in the world.",
    "greedy-returns-score": "{fn} returns the largest score Q(S, a) + kappa * sqrt(tau(S, a)) itself: the loop "
    "needs the ACTION that has it (its index, 0-3), not its score.",
    "greedy-returns-scores": "{fn} returns the scores of all four actions: the loop needs one action, the index "
    "(0-3) of an action with the largest score.",
    "greedy-modifies-input": "{fn} changed the value_row or tau_row it was given (an in-place operation such as "
    "`value_row += ...`). value_row is a row of the agent's own value table, so this "
    "would add the bonus into the learned values: compute the scores in a new array.",
    "greedy-bonus-ignored": "{fn} chooses as if there were no bonus (the action with the largest Q(S, a), "
    "whatever tau_row holds). Each action gets its own bonus kappa * sqrt(tau(S, a)) from "
    "its own entry of tau_row; a bonus that is the same for every action (e.g. from the "
    "largest tau or the sum of tau_row) changes no choice.",
    "greedy-value-missing": "{fn} chooses by the bonus alone: the score of an action is its value PLUS its "
    "bonus, Q(S, a) + kappa * sqrt(tau(S, a)).",
    "greedy-minus": "{fn} subtracts the bonus: Exercise 8.4's agent ADDS kappa * sqrt(tau(S, a)) to Q(S, a), so "
    "that long-untried actions look more attractive, not less.",
    "greedy-argmin": "{fn} picks an action with the SMALLEST score: the greedy choice is an action with the "
    "largest Q(S, a) + kappa * sqrt(tau(S, a)).",
    "greedy-linear-tau": "{fn} grows the bonus in proportion to tau: the bonus is kappa * sqrt(tau(S, a)), "
    "the square root of tau, as in Dyna-Q+.",
    "greedy-sqrt-of-product": "{fn} takes the square root of kappa * tau: only tau is under the square root, "
    "kappa multiplies the result (kappa * sqrt(tau(S, a))).",
    "greedy-kappa-squared": "{fn} squares kappa: the bonus is kappa (not kappa squared) times sqrt(tau(S, a)).",
    "greedy-sqrt-on-kappa": "{fn} puts the square root on kappa instead of tau: the bonus is kappa * sqrt(tau(S, a)).",
    "greedy-tau-plus-one": "{fn} uses sqrt(tau + 1): tau is already the number of real steps since the action "
    "was last tried in S, and an action tried on the last step gets no bonus "
    "(sqrt(0) = 0).",
    "greedy-hardcoded-kappa": "{fn} does not use its kappa argument (its choices fit a fixed kappa): the bonus "
    "is kappa * sqrt(tau(S, a)) with the kappa it is given.",
    "greedy-initial-best-zero": "{fn} returns action 0 when every score is negative (e.g. when called with "
    "{case}): a search for the largest score must not start from a best score of 0 "
    "(start from the first action's score, or from -infinity).",
    "greedy-explores": "{fn} gives different actions for the same inputs, and not only among actions that tie "
    "(e.g. when called with {case}): it makes random moves. Leave them out: the loop adds the "
    "epsilon-random moves, this function is the greedy choice only.",
    "greedy-wrong": "{fn} does not return an action with the largest Q(S, a) + kappa * sqrt(tau(S, a)) (e.g. "
    "when called with {case}). Check the score in the text above the exercise, and that the "
    "action you return is the index of the largest one.",
    # ---------------------------------------------------------------- prioritized sweeping (notebook 06)
    "push-returns-none": "{fn} returned None: it must return the queue it was given (`return queue`), "
    "after pushing into it.",
    "push-not-queue": "{fn} returned a {what}, not the priority queue: end it with `return queue`.",
    "push-new-queue": "{fn} returned another queue than the one it was given, without the pairs that were "
    "already waiting in it: push into the queue argument and return it.",
    "push-nothing": "{fn} pushed nothing, although some predecessors of the state have a priority above "
    "params['theta']: call queue.push((s_bar, a_bar), P) for each of them.",
    "push-modifies-inputs": "{fn} changed the model or the value table: the predecessor step only reads them "
    "and pushes into the queue (the planning loop makes the updates).",
    "push-successors": "{fn} pushes the pairs that start in `state` (its successors): prioritized sweeping "
    "pushes its PREDECESSORS, the pairs (s_bar, a_bar) the model predicts lead INTO state "
    "(model[s_bar, a_bar, 1] == state).",
    "push-all-actions": "{fn} pushes every action of a predecessor state: only the pairs (s_bar, a_bar) "
    "whose remembered next state is `state` are predecessors.",
    "push-pair-swapped": "{fn} pushes pairs in the order (action, state): a pair is (s_bar, a_bar), state "
    "first, as in value[s_bar, a_bar].",
    "push-unseen-pairs": "{fn} treats never-tried pairs (NaN in the model) as predecessors: a NaN next state "
    "is not state 0 (e.g. np.nan_to_num turns it into 0). Only pairs the model has seen "
    "lead anywhere.",
    "push-terminal-pairs": "{fn} treats pairs whose step ended the episode (next state NaN) as predecessors: "
    "their NaN next state is not a state number (np.nan_to_num makes it 0), so they "
    "lead nowhere.",
    "push-ignores-theta": "{fn} pushes pairs whose priority is not above params['theta']: push a pair only "
    "when P > params['theta'] (that is what keeps the queue short).",
    "push-hardcoded-theta": "{fn} compares the priority with a fixed number, not with params['theta']: use "
    "the threshold it is given.",
    "push-no-abs": "{fn} does not take the absolute value of the prediction error: a large NEGATIVE error "
    "(the pair is valued too high) is just as urgent, so P = |r_bar + gamma * max_a "
    "value[state, a] - value[s_bar, a_bar]|.",
    "push-no-max": "{fn} uses value[state, a_bar] where the target needs the best value of the state it "
    "leads to: max over a of value[state, a].",
    "push-max-of-predecessor": "{fn} uses the best value of the predecessor state (value[s_bar].max()) where "
    "the error needs the value of the pair itself, value[s_bar, a_bar].",
    "push-no-gamma": "{fn} does not discount the state's value: the target is r_bar + params['gamma'] * "
    "max_a value[state, a].",
    "push-hardcoded-gamma": "{fn} does not use params['gamma'] (the priorities fit a fixed discount): use the "
    "discount it is given.",
    "push-reward-missing": "{fn} leaves out the remembered reward r_bar = model[s_bar, a_bar, 0]: the target "
    "is r_bar + gamma * max_a value[state, a].",
    "push-wrong-priority": "{fn} pushes the right pairs, but with priorities that are not |r_bar + gamma * "
    "max_a value[state, a] - value[s_bar, a_bar]| (e.g. with {case}).",
    "push-wrong": "The queue after {fn} is not right (e.g. with {case}): push each predecessor (s_bar, a_bar) "
    "of `state` whose priority P is above params['theta'], with priority P.",
}

WRAP_COLUMNS = 88
_NBSP = "\u00a0"


def wrap(text: str, width: int = WRAP_COLUMNS) -> list[str]:
    """``text`` as lines of at most ``width`` columns (longer words stay whole).

    A ``[mistake: code]`` tag is never split, so the last line still ends with it
    (the class report reads the tag from the end of a test cell's error output).
    Line breaks already in ``text`` are kept.
    """
    lines = []
    for paragraph in str(text).split("\n"):
        glued = _TAG_ANYWHERE.sub(lambda m: m.group(0).replace(" ", _NBSP), paragraph)
        wrapped = textwrap.wrap(glued, width, break_long_words=False, break_on_hyphens=False) or [""]
        lines += [line.replace(_NBSP, " ") for line in wrapped]
    return lines


class LearnerFacingError(Exception):
    """An error whose message is written for the learner: shown alone, first, wrapped.

    IPython calls ``_render_traceback_`` instead of printing a traceback, so a
    failing check shows only its message (no frames of the course's own files,
    no install paths, no horizontal scroll bar). The cell still fails (nbgrader
    counts the error output, so the test cell scores nothing), ``str(error)``
    and the output's ``evalue`` stay the one-line message, and the last line
    ends with its ``[mistake: code]`` tag when the message has one.
    """

    def _render_traceback_(self) -> list[str]:
        return wrap(str(self))


class ExerciseCheckFailed(LearnerFacingError, AssertionError):
    """A check of a student's function failed; the message says why (and ends with its mistake tag)."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one test cell: passed, or failed with a code and a message."""

    passed: bool
    code: str | None
    message: str

    def as_dict(self) -> dict:
        return {"passed": self.passed, "code": self.code, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict) -> Verdict:
        return cls(bool(data["passed"]), data.get("code"), str(data.get("message", "")))


class _Blank(dict):
    def __missing__(self, key):
        return "?"


def message(code: str, **fields) -> str:
    """The student-facing message of ``code``, ending with its ``[mistake: code]`` tag."""
    template = CATALOGUE[code]
    fields.setdefault("fn", "your function")
    try:
        text = template.format(**fields)
    except (KeyError, ValueError, IndexError):
        text = template.format_map(_Blank(fields))
    return f"{text} [mistake: {code}]"


def failed(code: str, **fields) -> Verdict:
    return Verdict(False, code, message(code, **fields))


def passed(fn: str, level: str = "hidden") -> Verdict:
    what = "self-check" if level == "visible" else "checks"
    return Verdict(True, None, f"{fn} passed the {what}.")


def mistake_code(text: str) -> str | None:
    """The code of the ``[mistake: code]`` tag that ends ``text`` (e.g. a test cell's error), or None."""
    if not text:
        return None
    match = _TAG.search(text.strip())
    return match.group(1) if match else None


def exception_problem(probe, rec):
    """The problem of a call that raised (any exercise): not implemented, a name from outside, or a crash."""
    if rec["etype"] == "NotImplementedError":
        return ("not-implemented", {})
    if rec["etype"] == "NameError" and rec.get("name"):
        return ("uses-outside-name", {"name": rec["name"]})
    return (
        "crash",
        {
            "etype": rec["etype"],
            "evalue": _sentence(rec["evalue"]),
            "case": probe.describe(),
            "where": crash_location(rec.get("line"), rec.get("code")),
        },
    )


def crash_location(line, code) -> str:
    """Where in the learner's exercise cell a call raised, as a phrase ending with a space ("" if unknown)."""
    try:
        line = int(line)
    except (TypeError, ValueError):
        return ""
    if line <= 0:
        return ""
    code = " ".join(str(code or "").split())
    if len(code) > 72:
        code = code[:69] + "..."
    return f"at line {line} of your exercise cell" + (f", `{code}`, " if code else " ")


def _sentence(text) -> str:
    """An exception's message as a sentence (ends with a full stop)."""
    text = " ".join(str(text).split()) or "(no message)"
    return text if text.endswith((".", "!", "?")) else text + "."
