"""`cancelbot doctor` against a fake Slack: what it finds, what it tells to fix, its exit status."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.manifest import MANIFEST, bot_scopes, load_manifest
from tests.cli.conftest import Run
from tests.fakeslack import FakeSlack

SCOPES = ["channels:history", "chat:write", "commands", "groups:history", "usergroups:read",
          "files:write", "im:write"]
APPROVALS = "C0APPROVALS"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.scopes = set(SCOPES)
        fake.member_of = {APPROVALS}
        fake.usergroups["S0APPROVERS"] = ["U1", "U2"]
        yield fake


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.yml"
    lines = "\n".join(f"      - {scope}" for scope in SCOPES)
    path.write_text(f"oauth_config:\n  scopes:\n    bot:\n{lines}\n", encoding="utf-8")
    return path


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, slack: FakeSlack) -> FakeSlack:
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-doctor", "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": slack.base_url, "CANCELBOT_APPROVERS": "UAPPROVER1 S0APPROVERS",
        "CANCELBOT_APPROVAL_CHANNEL": APPROVALS,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.delenv("SALES_SITE_API_URL", raising=False)
    return slack


def test_a_healthy_setup_passes_every_check(cancelbot: Callable[..., Run], configured: FakeSlack,
                                            manifest: Path) -> None:
    run = cancelbot("doctor", "--manifest", str(manifest))
    assert run.status == 0, run.out
    assert "FAIL" not in run.out
    assert "all 7 scopes of manifest.yml granted" in run.out
    assert f"the bot is a member of {APPROVALS}" in run.out
    assert "S0APPROVERS (a user group of 2)" in run.out
    assert "All checks passed." in run.out


def test_a_missing_scope_is_named_with_how_to_grant_it(
        cancelbot: Callable[..., Run], configured: FakeSlack, manifest: Path) -> None:
    configured.scopes = set(SCOPES) - {"usergroups:read"}
    run = cancelbot("doctor", "--manifest", str(manifest))
    assert run.status == 1
    assert "FAIL slack scopes: missing usergroups:read" in run.out
    assert "reinstall the app" in run.out


def test_a_token_from_before_the_export_is_told_which_scopes_it_lacks_and_what_for(
        cancelbot: Callable[..., Run], configured: FakeSlack) -> None:
    configured.scopes = set(SCOPES) - {"files:write", "im:write"}
    run = cancelbot("doctor", "--manifest", str(MANIFEST))
    assert run.status == 1
    assert ("FAIL slack scopes: missing files:write (the CSV export of /cancelled list … "
            "export), im:write (the direct message the CSV export is sent to)") in run.out


def test_a_bot_outside_the_approval_channel_is_told_to_invite_it(
        cancelbot: Callable[..., Run], configured: FakeSlack, manifest: Path) -> None:
    configured.member_of = set()
    run = cancelbot("doctor", "--manifest", str(manifest))
    assert run.status == 1
    assert "FAIL approval channel" in run.out and "/invite @cancelbot" in run.out


def test_an_unknown_user_group_and_a_malformed_approver_are_named(
        cancelbot: Callable[..., Run], configured: FakeSlack, manifest: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANCELBOT_APPROVERS", "S0NOSUCH alice")
    run = cancelbot("doctor", "--manifest", str(manifest))
    assert run.status == 1
    assert "S0NOSUCH: usergroups.users.list: no_such_subteam" in run.out
    assert "alice is neither a user ID" in run.out


def test_a_rejected_token_says_which_token_to_use(
        cancelbot: Callable[..., Run], configured: FakeSlack, manifest: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    configured.token_prefix = "xoxb-other"
    run = cancelbot("doctor", "--manifest", str(manifest))
    assert run.status == 1
    assert "FAIL slack token: auth.test: not_authed" in run.out
    assert "Bot User OAuth Token" in run.out


def test_missing_settings_are_each_named(cancelbot: Callable[..., Run], manifest: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                 "CANCELBOT_APPROVERS", "CANCELBOT_APPROVAL_CHANNEL", "SALES_SITE_API_URL"):
        monkeypatch.delenv(name, raising=False)
    run = cancelbot("doctor", "--manifest", str(manifest))
    assert run.status == 1
    for name in ("SLACK_BOT_TOKEN is not set", "SLACK_SIGNING_SECRET is not set",
                 "CANCELBOT_APPROVERS is empty"):
        assert name in run.out
    assert "warn configuration: CANCELBOT_APPROVAL_CHANNEL is not set" in run.out


def test_a_database_that_was_never_migrated_is_told_to_upgrade(
        cancelbot: Callable[..., Run], configured: FakeSlack, manifest: Path,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/empty.sqlite3")
    run = cancelbot("doctor", "--manifest", str(manifest))
    assert run.status == 1
    assert "FAIL database: at revision none (empty)" in run.out
    assert "cancelbot db upgrade" in run.out


def test_an_embedded_sales_site_without_sales_orders_is_a_warning(
        cancelbot: Callable[..., Run], configured: FakeSlack, manifest: Path) -> None:
    run = cancelbot("doctor", "--manifest", str(manifest))
    assert "warn sales site: embedded, with no sales orders" in run.out
    assert run.status == 0


def test_an_unreachable_sales_site_api_fails(
    cancelbot: Callable[..., Run], configured: FakeSlack, manifest: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SALES_SITE_API_URL", "http://127.0.0.1:9")  # discard port: refused
    run = cancelbot("doctor", "--manifest", str(manifest))
    assert run.status == 1
    assert "FAIL sales site: http://127.0.0.1:9" in run.out


def test_socket_mode_is_checked_with_the_app_token(
        cancelbot: Callable[..., Run], configured: FakeSlack, manifest: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-doctor")
    configured.on("apps.connections.open", lambda params: {"url": "wss://example.invalid/"})
    run = cancelbot("doctor", "--manifest", str(manifest))
    assert "ok   socket mode: the app token opens connections" in run.out
    call = configured.calls_to("apps.connections.open")[0]
    assert call.headers["authorization"] == "Bearer xapp-1-doctor"


def test_the_projects_manifest_is_what_the_scopes_are_checked_against() -> None:
    assert bot_scopes(load_manifest(MANIFEST)) == frozenset(SCOPES)
