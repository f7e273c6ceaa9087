"""`cancelbot show`, `list` and `history` print what `/cancelled` answers in Slack, read through
the console's text renderer: one view each, so the terminal and Slack cannot drift apart."""
from __future__ import annotations

import pytest

from bot import cli
from bot.console.render import plain_text
from domain.model import CancelledBy, Origin, Recovery
from domain.ports import AuditEvent
from tests.integration.builders import NOW, add_orders, cancelled
from tests.slack.scenarios import REQUESTER
from tests.slack.test_lookup import ask

ORDERS = [
    cancelled("QSP2611230001", payment_at=NOW.replace(day=20)),  # with a warning
    cancelled("QSP2611230002", recovery=Recovery.FAILED_RETRY),
    cancelled("QSP2611230007", recovery=Recovery.DONE, superseded_by="QSP2611260009"),
    cancelled("ACC000003", origin=Origin.EXCEL),
    cancelled("QSP2611230010", cancelled_by=CancelledBy.SALES_SITE),
]


@pytest.mark.parametrize("typed", [
    "QSP2611230001", "qsp2611230002", "QSP2611230007", "ACC000003", "QSP2611230010",
    "list", "list api", "list excel status:recoverable", "list seller:nobody",
    "history QSP2611230001", "history ACC000003",
])
def test_the_command_line_prints_the_answer_slack_shows(
        running_app, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        typed: str) -> None:
    add_orders(running_app.uow, *ORDERS)
    with running_app.uow() as uow:
        uow.audit.record(AuditEvent(NOW, REQUESTER, "requested", "QSP2611230001", 1,
                                    detail="the seller asked"))
        uow.commit()
    word, _, rest = typed.partition(" ")
    argv = [word, *rest.split()] if word in ("list", "history") else ["show", typed]
    for name in ("CANCELBOT_TIMEZONE", "CANCELBOT_SITES_NOT_READY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", running_app.settings.database_url)

    slack = ask(running_app, typed)
    status = cli.main([*argv, f"--now={NOW.isoformat()}"])

    assert status == 0
    assert capsys.readouterr().out == plain_text(slack["blocks"]) + "\n"
