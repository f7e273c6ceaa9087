"""The Slack app manifest (manifest.yml at the project root): what the app asks Slack for."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    """The manifest as a dict; OSError or yaml.YAMLError when it cannot be read."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def bot_scopes(manifest: dict[str, Any]) -> frozenset[str]:
    """The bot token scopes the manifest asks for."""
    oauth = manifest.get("oauth_config") or {}
    return frozenset((oauth.get("scopes") or {}).get("bot") or ())
