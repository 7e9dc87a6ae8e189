# attack: write a huge file into the notebook folder and /tmp
# base: untouched
# cell: dyna_q_model_update
_chunk = b"x" * (1024 * 1024)
for _path in ("huge.bin", "/tmp/huge.bin"):
    _written = 0
    try:
        with open(_path, "wb") as _f:
            for _ in range(8 * 1024):
                _f.write(_chunk)
                _written += 1
    except OSError as _error:
        print("ATTACK huge file", _path, "stopped after", _written, "MiB:", type(_error).__name__)
