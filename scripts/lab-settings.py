"""Write the course's JupyterLab settings into this environment's overrides.json (merged, idempotent).

JupyterLab reads ``<sys.prefix>/share/jupyter/lab/settings/overrides.json`` as the
default settings of every server run from this environment (see JupyterLab's
"Advanced usage: overrides.json"). The course needs one: the self-learner
edition's "Show a hint" / "Show a solution" cells are read-only markdown, and
JupyterLab 4 opens an editor showing the source of a read-only markdown cell on
a double-click unless ``showEditorForReadOnlyMarkdown`` is false, so a stray
double-click would show the hidden solution.
"""

import json
import sys
from pathlib import Path

COURSE_SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"showEditorForReadOnlyMarkdown": False}}


def main() -> int:
    path = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    try:
        current = json.loads(path.read_text()) if path.exists() else {}
    except ValueError as err:
        print(f"{path} is not valid JSON ({err}); fix or remove it, then run scripts/setup.sh again.", file=sys.stderr)
        return 1
    for plugin, values in COURSE_SETTINGS.items():
        current.setdefault(plugin, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
