"""Dependencies point one way: bot -> handlers -> domain <- store, and bot -> store."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"bot", "handlers", "domain", "store"}
FORBIDDEN = {
    "domain": {"bot", "handlers", "store", "sqlalchemy", "alembic", "psycopg", "slack_sdk",
               "slack_bolt", "apscheduler", "os"},
    "store": {"bot", "handlers", "slack_sdk", "slack_bolt"},
    "handlers": {"bot", "store", "sqlalchemy", "alembic", "psycopg"},
    "bot": set(),
}


def imported_top_levels(path: Path) -> set[str]:
    """The top-level package of every import in a file (relative imports stay in the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def layer_files(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_imports_only_what_the_architecture_allows(layer: str) -> None:
    files = layer_files(layer)
    assert files, f"{layer}/ has no Python files"
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(imported_top_levels(path) & FORBIDDEN[layer])
    ]
    assert offences == []


def test_the_import_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom store.models import Base\nfrom . import sibling\n")
    assert imported_top_levels(sample) == {"os", "store"}
