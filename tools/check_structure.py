"""Check two project rules on ``skmlp/``: function length and private imports.

- No function (or method) longer than ``--max-lines`` lines (default 80),
  docstring and decorators included.
- No module reads another module's private (``_x``) names: ``from ._mod
  import _name`` and ``_mod._name`` / ``module._name`` attribute reads of
  an imported skmlp module are reported (``self._x`` and ``est._x`` are
  attributes of objects, not module names, and are not).

Usage (from the repository root)::

    python tools/check_structure.py            # exit status 1 on a finding
    python tools/check_structure.py --max-lines 60 skmlp/_training.py
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path


def long_functions(tree, max_lines):
    """``(name, first line, n_lines)`` of each function over ``max_lines``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            n_lines = node.end_lineno - first + 1
            if n_lines > max_lines:
                found.append((node.name, first, n_lines))
    return found


def private_imports(tree):
    """``(line, text)`` of each read of another module's private name."""
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            for alias in node.names:
                if node.module is None:  # from . import _mod
                    modules.add(alias.asname or alias.name)
                elif alias.name.startswith("_"):
                    found.append(
                        (node.lineno, f"from .{node.module} import {alias.name}")
                    )
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
        ):
            found.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["skmlp"])
    parser.add_argument("--max-lines", type=int, default=80)
    args = parser.parse_args(argv)
    files = []
    for path in map(Path, args.paths):
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    problems = 0
    longest = []
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for name, line, n in long_functions(tree, args.max_lines):
            print(f"{path}:{line}: function {name} is {n} lines (> {args.max_lines})")
            problems += 1
        for line, text in private_imports(tree):
            print(f"{path}:{line}: reads a private name of another module: {text}")
            problems += 1
        longest += [
            (n, f"{path}:{line} {name}") for name, line, n in long_functions(tree, 0)
        ]
    longest.sort(reverse=True)
    print(f"{len(files)} files, {problems} finding(s); longest functions:")
    for n, where in longest[:5]:
        print(f"  {n:4d} lines  {where}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
