"""The package's layers (ARCHITECTURE.md): an import may only go down a layer or stay in its own.

Every ``import`` and ``from ... import`` in every module of ``dynaq_course`` is read
with ``ast`` (imports inside functions too) and checked against ``ALLOWED``. The
kernel-side layers (``base``, ``checks``) may use only the standard library and
numpy, because they are imported in every student kernel and in the verifier's
fresh processes. Old import paths (``_moved.MOVED``) are not allowed inside the
package: new code uses the new paths.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from dynaq_course._moved import MOVED

PACKAGE = Path(__file__).resolve().parents[1] / "dynaq_course"

# layer -> the module names (prefixes) in it; the order is bottom to top
LAYERS = {
    "base": (
        "dynaq_course",
        "dynaq_course._moved",
        "dynaq_course.world",
        "dynaq_course.agent",
        "dynaq_course.params",
        "dynaq_course.notebook_cells",
        "dynaq_course.priority_queue",
    ),
    "engine": ("dynaq_course.engine",),
    "checks": ("dynaq_course.checks",),
    "lesson": ("dynaq_course.lesson",),
    "going_further": ("dynaq_course.going_further",),
    "grading": ("dynaq_course.grading",),
    "commands": ("dynaq_course.grade", "dynaq_course.report", "dynaq_course.editions", "dynaq_course.export"),
}
ALLOWED = {  # layer -> the layers its modules may import (its own included)
    "base": {"base"},
    "engine": {"base", "engine"},
    "checks": {"base", "checks"},
    "lesson": {"base", "engine", "lesson"},
    "going_further": {"base", "engine", "lesson", "going_further"},
    "grading": {"base", "checks", "lesson", "grading"},
    "commands": {"base", "grading", "commands"},
}
KERNEL_SIDE = {"base", "checks"}
KERNEL_SIDE_THIRD_PARTY = {"numpy"}


def layer_of(module: str) -> str:
    best, found = "", None
    for layer, prefixes in LAYERS.items():
        for prefix in prefixes:
            exact = prefix == "dynaq_course"
            if (module == prefix or (not exact and module.startswith(prefix + "."))) and len(prefix) > len(best):
                best, found = prefix, layer
    if found is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS here and to ARCHITECTURE.md")
    return found


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(me: str, source: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the source of module ``me``."""
    package = me if is_package else me.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.append((node.lineno, base))
            # ``from dynaq_course.checks import verify`` imports the module dynaq_course.checks.verify
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                if _is_module(candidate):
                    found.append((node.lineno, candidate))
    return found


def _is_module(name: str) -> bool:
    if not name.startswith("dynaq_course."):
        return False
    rel = Path(*name.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").exists() or (PACKAGE / rel / "__init__.py").exists()


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    for path in MODULES:
        layer_of(module_name(path))


def crossings(me: str, source: str, is_package: bool = False) -> list[str]:
    """What in ``source`` (the module ``me``) imports against ``ALLOWED`` or ``KERNEL_SIDE_THIRD_PARTY``."""
    mine = layer_of(me)
    wrong = []
    for line, name in imports(me, source, is_package):
        if name == "__future__":
            continue
        top = name.split(".")[0]
        if top == "dynaq_course":
            if name in MOVED:
                wrong.append(f"line {line}: {name} is an old path; import {MOVED[name]}")
                continue
            theirs = layer_of(name)
            if theirs not in ALLOWED[mine]:
                wrong.append(
                    f"line {line}: {name} ({theirs}) from the {mine} layer, which may import only "
                    f"{sorted(ALLOWED[mine])}"
                )
        elif mine in KERNEL_SIDE and top not in sys.stdlib_module_names and top not in KERNEL_SIDE_THIRD_PARTY:
            wrong.append(f"line {line}: {name} in the kernel-side {mine} layer (standard library and numpy only)")
    return wrong


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_go_down_the_layers(path):
    wrong = crossings(module_name(path), path.read_text(), path.name == "__init__.py")
    assert not wrong, f"{module_name(path)}:\n" + "\n".join(wrong)


def test_the_checker_catches_crossings():
    """Negative control: each kind of wrong import is reported, and a right one is not."""
    source = (
        "import json\nimport numpy as np\nimport matplotlib\nfrom dynaq_course.lesson import plots\n"
        "from dynaq_course.plots import plot_world\nfrom dynaq_course.world import QuentinsWorld\n"
        "def late():\n    from dynaq_course.grading import batch\n"
    )
    wrong = crossings("dynaq_course.checks.some_probe", source)
    assert wrong == [
        "line 3: matplotlib in the kernel-side checks layer (standard library and numpy only)",
        "line 4: dynaq_course.lesson (lesson) from the checks layer, which may import only ['base', 'checks']",
        "line 4: dynaq_course.lesson.plots (lesson) from the checks layer, which may import only ['base', 'checks']",
        "line 5: dynaq_course.plots is an old path; import dynaq_course.lesson.plots",
        "line 8: dynaq_course.grading (grading) from the checks layer, which may import only ['base', 'checks']",
        "line 8: dynaq_course.grading.batch (grading) from the checks layer, which may import only ['base', 'checks']",
    ]
    assert (
        crossings("dynaq_course.grading.some_tool", "import nbformat\nfrom dynaq_course.checks import verify\n") == []
    )


def test_old_paths_lead_to_the_new_modules():
    import importlib

    for old, new in MOVED.items():
        if old.endswith("_numba") or "further_numba" in old:
            continue  # compiling numba kernels is the engine tests' business
        assert importlib.import_module(old) is importlib.import_module(new), old
