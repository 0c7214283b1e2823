"""Matching, directory, signing, case codes and employer matching stay pure: no web, database or queue."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PURE_DIRECTORY = ("load", "errors", "hours", "matching", "ngo", "rows", "vocabulary")
PURE = [ROOT / "bot" / "directory" / f"{name}.py" for name in PURE_DIRECTORY] + [
    ROOT / "bot" / "delivery" / "signing.py",
    ROOT / "bot" / "cases" / "casecode.py",
    ROOT / "bot" / "cases" / "employers.py",
]
FORBIDDEN = {"flask", "sqlalchemy", "rq", "redis", "twilio", "requests", "smtplib", "socket", "os"}


@pytest.mark.parametrize("path", PURE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_pure_module_imports_no_io_library(path):
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN
