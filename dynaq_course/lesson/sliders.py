"""What every slider explorer of the course shares (Sections 3-6): the note shown under nbgrader and the PNG encoder.

An explorer redraws a matplotlib figure on an Agg canvas and shows it as PNG bytes in an
``ipywidgets.Image``; under nbgrader (``params.grading_now()``) it builds nothing and
shows a ``GradingNote``; while saved notebooks are built (``params.static_build()``) it
shows its last picture as a plain image.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np


class GradingNote:
    """What an explorer is while nbgrader runs the notebook: one line of text."""

    text = "nbgrader is running this notebook, so the sliders are not built here (nothing in them is graded)."

    def __repr__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return f"*{self.text}*"


def encode_png(rgba) -> bytes:
    """PNG bytes of an (height, width, 4) uint8 canvas buffer, alpha dropped.

    Written here (rows unfiltered, zlib level 1) because it takes a third of
    the time Pillow's encoder takes on the explorers' 2x pictures, for files of
    about the same size (mostly white figures compress well without filters).
    """
    rgba = np.asarray(rgba)
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] not in (3, 4):
        raise ValueError(f"expected an (height, width, 3 or 4) uint8 image, got {rgba.dtype} {rgba.shape}.")
    height, width = rgba.shape[:2]
    rows = np.zeros((height, 1 + 3 * width), np.uint8)  # each row: filter type 0, then RGB
    rows[:, 1:] = rgba[:, :, :3].reshape(height, 3 * width)

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
        + chunk(b"IEND", b"")
    )


def canvas_png(canvas) -> bytes:
    """The picture on an Agg ``canvas`` as PNG bytes (see ``encode_png``)."""
    return encode_png(canvas.buffer_rgba())
