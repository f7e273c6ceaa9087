"""Lets a benchmark run as a script, `python bench/NAME.py`: puts the project root first on
sys.path and takes bench/ off it, where bench/store.py would shadow the `store` package.

Each benchmark starts with `if __name__ == "__main__": import _path` (bench/ is sys.path[0]
only then); imported as a module (`bench._path`) it only gives ROOT.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "_path":  # imported by a benchmark run as a script
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))
