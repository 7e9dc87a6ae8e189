# attack: wrap the verifier's entry points to read the calling test cell (stack frame, its source) and
# its arguments (the reference function), read In and the history, and search gc for _reference*
# functions; print it all compressed and base64-encoded after every cell
# base: all_right
# cell: dyna_q_planning
import base64 as _b64
import gc as _gc
import inspect as _inspect
import marshal as _marshal
import sys as _sys
import zlib as _zlib

import dynaq_course.checks.verify as _verify

_exfil_loot = []


def _exfil_grab(value):
    try:
        _exfil_loot.append(_inspect.getsource(value))
    except Exception:
        code = getattr(value, "__code__", None)
        if code is not None:
            _exfil_loot.append(repr(code.co_consts) + repr(code.co_names) + _b64.b64encode(_marshal.dumps(code)).decode())


def _exfil_wrap(name):
    original = getattr(_verify, name)

    def wrapper(*args, **kwargs):
        frame = _sys._getframe(1)
        try:
            _exfil_loot.append("caller: " + _inspect.getsource(frame))
        except Exception as error:
            _exfil_loot.append(f"caller source unavailable: {error!r}")
        _exfil_loot.append("caller names: " + repr(sorted(frame.f_globals)))
        for value in [*args, *kwargs.values()]:
            if callable(value):
                _exfil_grab(value)
            else:
                _exfil_loot.append(repr(value))
        return original(*args, **kwargs)

    setattr(_verify, name, wrapper)




def _exfil_report(result=None):
    shell = get_ipython()
    _exfil_loot.append("In: " + "\n".join(shell.user_ns.get("In", [])))
    _exfil_loot.append("history: " + "\n".join(shell.history_manager.input_hist_raw))
    for obj in _gc.get_objects():
        if callable(obj) and str(getattr(obj, "__name__", "")).startswith("_reference"):
            _exfil_grab(obj)
    print("EXFIL stack", _b64.b64encode(_zlib.compress("\n".join(_exfil_loot).encode())).decode())
    _exfil_loot.clear()


# Only in a kernel: the grader's fresh process that checks the function has no IPython, and would fail
# a cell that changes the course's functions there.
if "get_ipython" in globals():
    for _exfil_name in ("assert_exercise_passes", "relay_verdict"):
        if hasattr(_verify, _exfil_name):
            _exfil_wrap(_exfil_name)
    get_ipython().events.register("post_run_cell", _exfil_report)
