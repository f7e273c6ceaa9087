"""manifest.yml: valid for Slack, `/cancelled` with its usage hint, and exactly the bot scopes
the code needs, each one explained in the README."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from bot.manifest import MANIFEST, bot_scopes, load_manifest
from handlers.actions import LOOKUP_SHORTCUT

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "slack" / "reference"  # Slack's published files (README there)
SCHEMA = REFERENCE / "manifest.schema.1.0.0.json"
README = ROOT / "README.md"
SCOPES_HEADING = "### Bot token scopes"

# Every Web API method the code calls, and the bot scopes it needs (Slack's method pages).
# A call not listed here fails test_every_scope_is_needed_by_a_call_the_code_makes.
SCOPES_OF = {
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "usergroups_users_list": {"usergroups:read"},
    # the approval channel may be public or private
    "conversations_replies": {"channels:history", "groups:history"},
    "conversations_history": {"channels:history", "groups:history"},
    "views_open": set(), "views_update": set(), "views_push": set(),
    "chat_getPermalink": set(), "auth_test": set(), "views_publish": set(),
    "apps_connections_open": set(),  # the app-level token's connections:write, not a bot scope
    "send_dict": set(),  # a response URL, no token at all
    # the export's CSV file in the typist's direct message
    "conversations_open": {"im:write"},
    "files_getUploadURLExternal": {"files:write"},
    "files_completeUploadExternal": {"files:write"},
}
SLASH_COMMAND_SCOPE = "commands"  # also what a message shortcut needs
EVENTS_HEADING = "### Events and shortcuts"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return load_manifest(MANIFEST)


def readme_scopes() -> set[str]:
    """The scopes the README's scope table explains (first column, in backticks)."""
    text = README.read_text(encoding="utf-8")
    section = text.split(SCOPES_HEADING, 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\|\s*`([a-z.:_]+)`\s*\|", section, flags=re.MULTILINE))


def methods_called() -> set[str]:
    """The WebClient methods bot/ and handlers/ call, directly or handed to a helper."""
    called: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            called |= set(re.findall(r"client\.([a-z]+_[A-Za-z_]+)\s*[(,]", path.read_text()))
    return called


def test_manifest_is_valid_for_slack(manifest):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))

    problems = [f"{'/'.join(map(str, e.path))}: {e.message}"
                for e in Draft7Validator(schema).iter_errors(manifest)]

    assert problems == []


def test_slash_command_is_cancelled_with_a_usage_hint_naming_every_sub_command(manifest):
    command, = manifest["features"]["slash_commands"]

    assert command["command"] == "/cancelled"
    assert command["should_escape"] is False
    for sub_command in ("PACKING_NO", "list", "status:", "history", "jobs", "help"):
        assert sub_command in command["usage_hint"]


def test_buttons_and_modals_reach_the_app_in_socket_mode_and_over_http(manifest):
    settings = manifest["settings"]

    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert manifest["features"]["slash_commands"][0]["url"].endswith("/slack/events")


def test_every_scope_asked_for_is_explained_in_the_readme(manifest):
    assert bot_scopes(manifest) == readme_scopes()


def test_every_scope_is_needed_by_a_call_the_code_makes(manifest):
    called = methods_called()
    unknown = called - SCOPES_OF.keys()
    assert not unknown, f"add the scopes of {sorted(unknown)} to SCOPES_OF and manifest.yml"

    needed = {SLASH_COMMAND_SCOPE}.union(*(SCOPES_OF[m] for m in called))

    assert bot_scopes(manifest) == needed


def readme_events_and_shortcuts() -> set[str]:
    """The events and shortcut callback ids the README's table explains."""
    text = README.read_text(encoding="utf-8")
    section = text.split(EVENTS_HEADING, 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", section, flags=re.MULTILINE))


def registered(pattern: str) -> set[str]:
    """What handlers/ registers listeners for, read from their app.event(...)/shortcut calls."""
    found: set[str] = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        found |= set(re.findall(pattern, path.read_text()))
    return found


def test_the_home_tab_and_its_event_are_on_and_each_has_a_listener(manifest):
    events = manifest["settings"]["event_subscriptions"]

    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert events["bot_events"] == ["app_home_opened"]
    assert events["request_url"].endswith("/slack/events")
    assert set(events["bot_events"]) <= registered(r'app\.event\("([a-z_]+)"\)')


def test_the_message_shortcut_is_lookup_packing_numbers_and_has_a_listener(manifest):
    shortcut, = manifest["features"]["shortcuts"]

    assert (shortcut["type"], shortcut["callback_id"]) == ("message", LOOKUP_SHORTCUT)
    assert shortcut["description"].startswith("Look up cancelled deliveries")
    assert "LOOKUP_SHORTCUT" in "".join(registered(r'"callback_id": (LOOKUP_SHORTCUT)'))


def test_every_event_and_shortcut_is_explained_in_the_readme(manifest):
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    shortcuts = {s["callback_id"] for s in manifest["features"]["shortcuts"]}

    assert events | shortcuts == readme_events_and_shortcuts()


ORIGINALS = {
    "manifest.schema.1.0.0.json": "manifest-schema/manifest.schema.1.0.0.json",
    "socket_mode.docs.hello.json": "payloads/socket_mode.docs.hello.json",
    "socket_mode.docs.slash_commands.envelope.json":
        "payloads/socket_mode.docs.slash_commands.envelope.json",
}


@pytest.mark.parametrize("copy", sorted(ORIGINALS))
def test_the_kept_copies_of_slacks_material_equal_the_originals(copy: str) -> None:
    original = ROOT.parent / "shared" / "slack" / ORIGINALS[copy]
    if not original.exists():  # no originals beside this clone: the copies stand alone
        assert (REFERENCE / copy).stat().st_size > 0
        return
    assert (REFERENCE / copy).read_bytes() == original.read_bytes()
