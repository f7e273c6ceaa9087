"""Dependencies point one way: bot -> handlers -> domain <- store, and bot -> store.

Each layer may import from an allowlist, and anything off it fails:

- domain: the standard library (less the modules that reach the outside world: the
  environment, the clock, files, processes, the network) and dateutil;
- handlers: domain's list, domain itself, and slack_bolt and slack_sdk;
- store: domain's list, domain itself, and SQLAlchemy, Alembic and psycopg;
- bot: the whole standard library, every package of ours, and every runtime dependency in
  pyproject.toml (a test below holds this list to the declared dependencies).
"""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = frozenset(sys.stdlib_module_names)
# the standard library's ways out of a pure function: environment and processes, the clock,
# randomness, files, threads, the network, and logging (the domain tells through what it returns)
OUTSIDE_WORLD = frozenset({
    "os", "sys", "subprocess", "signal", "time", "random", "secrets", "io", "pathlib", "shutil",
    "tempfile", "sqlite3", "threading", "multiprocessing", "concurrent", "asyncio", "socket",
    "http", "urllib", "logging",
})
DOMAIN = frozenset({"domain", "dateutil"})
HANDLERS = DOMAIN | {"handlers", "slack_bolt", "slack_sdk"}
STORE = DOMAIN | {"store", "sqlalchemy", "alembic", "psycopg"}
BOT_DEPENDENCIES = frozenset({
    "slack_bolt", "slack_sdk", "sqlalchemy", "alembic", "psycopg", "apscheduler", "dateutil",
    "waitress", "yaml", "prometheus_client",
})
OURS = frozenset({"bot", "handlers", "domain", "store"})
BOT = OURS | BOT_DEPENDENCIES
ALLOWED = {
    "domain": (STDLIB - OUTSIDE_WORLD) | DOMAIN,
    "handlers": STDLIB | HANDLERS,
    "store": STDLIB | STORE,
    "bot": STDLIB | BOT,
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


def offences(layer: str, files: list[Path], root: Path = ROOT) -> list[str]:
    """'path imports name' for every import in files that layer's allowlist does not hold."""
    return [
        f"{path.relative_to(root)} imports {name}"
        for path in files
        for name in sorted(imported_top_levels(path) - ALLOWED[layer])
    ]


def layer_files(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_what_its_allowlist_holds(layer: str) -> None:
    files = layer_files(layer)
    assert files, f"{layer}/ has no Python files"
    assert offences(layer, files) == []


@pytest.mark.parametrize(("layer", "source", "named"), [
    ("domain", "import os\n", "os"),
    ("domain", "from time import monotonic\n", "time"),
    ("domain", "import slack_sdk\n", "slack_sdk"),
    ("domain", "from store.models import Base\n", "store"),
    ("handlers", "from sqlalchemy import select\n", "sqlalchemy"),
    ("handlers", "from store.uow import SqlUnitOfWork\n", "store"),
    ("handlers", "import yaml\n", "yaml"),
    ("store", "from handlers.deps import Deps\n", "handlers"),
    ("store", "from slack_sdk import WebClient\n", "slack_sdk"),
    ("bot", "import requests\n", "requests"),
])
def test_an_import_off_the_allowlist_is_named(
    tmp_path: Path, layer: str, source: str, named: str
) -> None:
    sample = tmp_path / layer / "sample.py"
    sample.parent.mkdir()
    sample.write_text("from __future__ import annotations\nimport re\nfrom . import sibling\n"
                      + source)
    assert offences(layer, [sample], tmp_path) == [f"{layer}/sample.py imports {named}"]


def test_the_import_check_reads_imports_inside_functions_and_keeps_relative_ones_out(
    tmp_path: Path,
) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os.path\nfrom . import sibling\n"
                      "def f():\n    from store.models import Base\n")
    assert imported_top_levels(sample) == {"os", "store"}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_bot_may_import_exactly_the_runtime_dependencies_pyproject_declares() -> None:
    """The allowlists name import names, pyproject.toml names distributions: each declared
    distribution gives bot one name, and each name handlers or store may import is bot's too."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_normalized(re.split(r"[\[<>=~! ]", spec, maxsplit=1)[0])
                for spec in project["dependencies"]}
    from_distribution = {name: {_normalized(d) for d in dists}
                         for name, dists in packages_distributions().items()}
    assert {name for name in BOT_DEPENDENCIES
            if not from_distribution.get(name, set()) & declared} == set()
    assert {dist for dist in declared
            if not any(dist in from_distribution.get(name, set())
                       for name in BOT_DEPENDENCIES)} == set()
    assert (HANDLERS | STORE) - OURS <= BOT_DEPENDENCIES
