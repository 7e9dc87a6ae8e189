# attack: allocate (and touch) memory until something stops it
# base: untouched
# cell: dyna_q_model_update
_blocks = []
try:
    while True:
        _blocks.append(bytearray(b"x") * (64 * 1024 * 1024))
except MemoryError:
    print("ATTACK memory stopped at", len(_blocks) * 64, "MiB")
    _blocks = None
    raise
