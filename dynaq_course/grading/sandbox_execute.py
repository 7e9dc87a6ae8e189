"""nbgrader's Execute with a cap on the outputs it keeps (installed by the sandbox's config).

nbclient keeps every output message a kernel sends, and nbgrader's LimitOutput
only trims lines after the whole notebook ran (one 100 MB line passes). Here each
output is measured as it arrives; past ``max_output_bytes_per_cell`` (or the
notebook's budget) outputs are dropped and one note says so. Error outputs are
never dropped -- nbgrader decides a test cell failed from them -- only their text
is shortened, so flooding the output cannot turn a failing test into a pass.
"""
from __future__ import annotations

import json

from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

ERROR_TEXT_BYTES = 8192
ERROR_TRACEBACK_LINES = 200


def _size(out) -> int:
    try:
        return len(json.dumps(out, default=str))
    except (TypeError, ValueError):
        return len(str(out))


def _shorten(text: str, limit: int = ERROR_TEXT_BYTES) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} characters cut by the grader]"


class CappedExecute(Execute):
    max_output_bytes_per_cell = Integer(
        2 * 1024 * 1024, help="Outputs kept per cell (bytes of JSON); later ones are dropped with a note.",
    ).tag(config=True)
    max_output_bytes_per_notebook = Integer(
        16 * 1024 * 1024, help="Outputs kept per notebook (bytes of JSON).",
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._cell_bytes: dict = {}
        self._notebook_bytes = 0
        self._capped_cells: set = set()
        return super().preprocess(nb, resources, km)

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or not outs or outs[-1] is not out:
            return out
        if out.get("output_type") == "error":
            out["ename"] = _shorten(out.get("ename", ""), 256)
            out["evalue"] = _shorten(out.get("evalue", ""))
            traceback = [_shorten(line) for line in out.get("traceback", [])]
            if len(traceback) > ERROR_TRACEBACK_LINES:
                half = ERROR_TRACEBACK_LINES // 2
                traceback = traceback[:half] + ["... [traceback cut by the grader] ..."] + traceback[-half:]
            out["traceback"] = traceback
            return out
        size = _size(out)
        used = self._cell_bytes.get(cell_index, 0)
        if (used + size > self.max_output_bytes_per_cell
                or self._notebook_bytes + size > self.max_output_bytes_per_notebook):
            outs.pop()
            if display_id:  # nbclient noted where this output went; it is gone
                indices = self._display_id_map.get(display_id, {}).get(cell_index, [])
                if indices and indices[-1] == len(outs):
                    indices.pop()
            if cell_index not in self._capped_cells:
                self._capped_cells.add(cell_index)
                outs.append(new_output("stream", name="stderr", text=(
                    f"[grader: output of this cell over {self.max_output_bytes_per_cell} bytes "
                    f"(or the notebook over {self.max_output_bytes_per_notebook}) was dropped]\n")))
            return None
        self._cell_bytes[cell_index] = used + size
        self._notebook_bytes += size
        return out
