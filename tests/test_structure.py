"""The package's shape: small functions, small modules, dependencies that point one way.

A maintainer reads one function on one screen and one module in one sitting; these limits are
what the project holds itself to (see the layout in the user guide).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sklearn_mgc"
MAX_FUNCTION_LINES = 60  # not counting the docstring
MAX_MODULE_LINES = 500

# the layers, bottom first: a module may import only from its own layer or below
LAYERS = [
    {"_io", "_registry", "_padding", "audio", "_cache", "plotting", "_validation"},
    {"features", "networks", "datasets", "persistence"},
    {"study"},
    {"cli", "__main__"},
]


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _function_lengths(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            start = body[0].lineno
            if (
                isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                if len(body) == 1:
                    continue
                start = body[1].lineno
            yield node.name, node.lineno, node.end_lineno - start + 1


def test_functions_are_short():
    long = [
        f"{path.relative_to(PACKAGE.parent)}:{line} {name}() has {n} lines"
        for path in _modules()
        for name, line, n in _function_lengths(path)
        if n > MAX_FUNCTION_LINES
    ]
    assert not long, "\n".join(long)


def test_modules_are_small():
    big = [
        f"{path.relative_to(PACKAGE.parent)} has {n} lines"
        for path in _modules()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not big, "\n".join(big)


def _layer(part):
    for i, names in enumerate(LAYERS):
        if part in names:
            return i
    return None


def _top_part(path):
    rel = path.relative_to(PACKAGE).with_suffix("")
    return rel.parts[0]


def _imported_parts(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    depth = len(path.relative_to(PACKAGE).parts) - 1  # folders below the package
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level - 1 < depth:
                    continue  # a sibling inside the same sub-package
                mod = node.module or ""
                parts = mod.split(".") if mod else [a.name for a in node.names]
                yield parts[0]
            elif node.module and node.module.startswith("sklearn_mgc."):
                yield node.module.split(".")[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sklearn_mgc."):
                    yield alias.name.split(".")[1]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_dependencies_point_down(path):
    own = _top_part(path)
    if own == "__init__":
        return  # the lazy public namespace
    own_layer = _layer(own)
    assert own_layer is not None, f"{own} is in no layer of LAYERS"
    for part in _imported_parts(path):
        if part == own or part.startswith("__"):
            continue  # itself, or the package root (``from . import __version__``)
        layer = _layer(part)
        assert layer is not None, f"{path.name} imports {part}, which is in no layer"
        assert layer <= own_layer, f"{path.relative_to(PACKAGE)} imports {part} from above"
