"""The Slack app manifest (manifest.yml at the project root): what the app asks Slack for."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"

# what each bot scope manifest.yml asks for is used for (README.md, "Bot token scopes", says
# it at length): `cancelbot doctor` names it beside a scope the token lacks
SCOPE_USES = {
    "commands": "the /cancelled command and the message shortcut",
    "chat:write": "request messages, decisions and results in their threads, the digest, "
                  "direct messages from the app",
    "usergroups:read": "approvers named by user group",
    "channels:history": "finding a post again in a public approval channel",
    "groups:history": "finding a post again in a private approval channel",
    "files:write": "the CSV export of /cancelled list … export",
    "im:write": "the direct message the CSV export is sent to",
}


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    """The manifest as a dict; OSError or yaml.YAMLError when it cannot be read."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def bot_scopes(manifest: dict[str, Any]) -> frozenset[str]:
    """The bot token scopes the manifest asks for."""
    oauth = manifest.get("oauth_config") or {}
    return frozenset((oauth.get("scopes") or {}).get("bot") or ())
