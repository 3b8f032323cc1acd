"""The worker imports every grader module it needs before it makes its namespaces.

Once the worker's mount namespace is made, a tmpfs may cover the grader's own folder: a
grader module imported later, inside a function, would not be found in the worker or its
children. So no module the worker loads may import a grader module inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

from grader.paths import ROOT

ZYGOTE = ROOT / "grader" / "sandbox" / "zygote.py"


def _module_path(name: str) -> Path:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"


def _grader_imports(tree: ast.AST) -> list[tuple[str, ast.AST]]:
    """(module, node) for every import of a grader module in ``tree``, ``from grader.x import y``
    counting as ``grader.x.y`` where that is a module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node) for alias in node.names if alias.name.split(".")[0] == "grader"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "grader":
            found.append((node.module, node))
            for alias in node.names:
                inner = f"{node.module}.{alias.name}"
                if _module_path(inner).is_file():
                    found.append((inner, node))
    return found


def _deferred(tree: ast.Module) -> set[ast.AST]:
    """The nodes that run only when a function is called (everything else runs at import)."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    return {
        inner for node in ast.walk(tree) if isinstance(node, functions) for inner in ast.walk(node) if inner is not node
    }


def test_the_worker_imports_every_grader_module_at_start():
    loaded, waiting, late = set(), ["__main__"], []
    while waiting:
        name = waiting.pop()
        path = ZYGOTE if name == "__main__" else _module_path(name)
        if name in loaded or not path.is_file():
            continue
        loaded.add(name)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deferred = _deferred(tree)
        for module, node in _grader_imports(tree):
            if node in deferred:
                late.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {module} inside a function")
            else:
                waiting.append(module)
    assert {"grader.sandbox.confine", "grader.sandbox.steps", "grader.sandbox.landlock"} <= loaded
    assert late == []
