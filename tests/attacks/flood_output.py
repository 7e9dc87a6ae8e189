# attack: print 60 MB, through sys.stdout and straight to file descriptor 1
# base: untouched
# cell: dyna_q_model_update
import os as _os, sys as _sys
_line = "flood " * 170 + "\n"
for _ in range(50000):
    _sys.stdout.write(_line)
for _ in range(10000):
    _os.write(1, _line.encode())
