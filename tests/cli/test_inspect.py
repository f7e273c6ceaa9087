"""`cancelbot show`, `list` and `history`: the Slack views as the console reads them (fields as
`Label: value`, buttons as `[Label]`), on a real database."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot import cli
from domain import execution, workflow
from domain.model import (
    Action,
    CancelledBy,
    Order,
    OrderState,
    Origin,
    SalesOrder,
    SalesOrderStatus,
    Stage,
)
from domain.ports import AuditEvent
from domain.status import StatusContext
from domain.window import business_tz
from store.db import make_engine
from store.embedded_sales_site import EmbeddedSalesSite
from store.mapping import sales_order_values
from store.models import SalesOrderRow
from store.uow import SqlUnitOfWork, session_factory, uow_factory
from tests.cli.conftest import listed_counts

KST = timezone(timedelta(hours=9))
SEOUL = business_tz("Asia/Seoul")
NOW = "--now=2026-11-24T10:00:00+09:00"
POLICY = workflow.ApprovalPolicy(is_approver=lambda user: user == "U_LEAD")

OPEN_API = "QSP2611110001"  # cancelled 13 days ago, paid the day before: 1 day left, a warning
CLOSED_EXCEL = "QSP2611010001"  # cancelled 23 days ago: Unrecoverable
RESYNCED = "QSP2611200001"  # resynced on 2026-11-21 into NEW_NUMBER
NEW_NUMBER = "QSP2611210001"
RESTORED = "QSP2611190001"  # restored on 2026-11-20
SITE_CANCEL = "QSP2611220001"  # the buyer cancelled at the sales site
ACTIVE = "ACC000001"


def kst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=KST)


def cancelled(packing_no: str, origin: Origin, at: datetime, **changes: object) -> Order:
    fields: dict[str, object] = dict(
        packing_no=packing_no, seller_id="hanbit-mall", sales_site="tmon",
        sales_order_no=f"TM{packing_no[3:]}", origin=origin, state=OrderState.CANCELLED,
        cancelled_at=at, cancelled_by=CancelledBy.SELLER, payment_at=at - timedelta(hours=1),
        recipient="Kim Minji", items="1x Jeju tangerine box 5kg",
    )
    fields.update(changes)
    return Order(**fields)  # type: ignore[arg-type]


ORDERS = [
    cancelled(OPEN_API, Origin.API, kst(2026, 11, 11, 10, 0), payment_at=kst(2026, 11, 10, 22),
              seller_id="dasom-shop", sales_site="interpark"),
    cancelled(CLOSED_EXCEL, Origin.EXCEL, kst(2026, 11, 1, 9, 30)),
    cancelled(RESYNCED, Origin.API, kst(2026, 11, 20, 14, 3)),
    cancelled(RESTORED, Origin.MANUAL, kst(2026, 11, 19, 11, 0)),
    cancelled(SITE_CANCEL, Origin.API, kst(2026, 11, 22, 8, 0),
              cancelled_by=CancelledBy.SALES_SITE),
    Order(ACTIVE, "nuri-fashion", "shopby", "SB100", Origin.EXCEL, OrderState.ACTIVE,
          stage=Stage.PICKUP),
]


def _recover(
    uows: Callable[[], SqlUnitOfWork], site: EmbeddedSalesSite, packing_no: str, action: Action,
    at: datetime,
) -> None:
    with uows() as uow:
        submitted = workflow.submit_request(
            uow, [packing_no], action, "U_AGENT", "seller asked", StatusContext(at, SEOUL))
    with uows() as uow:
        workflow.approve(uow, submitted.request.stored_id, "U_LEAD", at, POLICY)
    for job in submitted.jobs:
        execution.run_job(uows, site, job.stored_id, StatusContext(at, SEOUL))


@pytest.fixture
def seeded(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The orders above, one of them resynced and one restored through the use cases."""
    for name in ("CANCELBOT_TIMEZONE", "CANCELBOT_SITES_NOT_READY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    uows = uow_factory(sessions)
    with uows() as uow:
        for order in ORDERS:
            uow.orders.add(order)
        uow.session.add(SalesOrderRow(**sales_order_values(SalesOrder(
            "tmon", f"TM{RESYNCED[3:]}", SalesOrderStatus.VALID, recipient="Lee Seojun"))))
        uow.commit()
    site = EmbeddedSalesSite(sessions)
    _recover(uows, site, RESYNCED, Action.RESYNC, kst(2026, 11, 21, 9, 0))
    _recover(uows, site, RESTORED, Action.RESTORE, kst(2026, 11, 20, 9, 0))
    engine.dispose()
    return db_url


@contextmanager
def writing(url: str) -> Iterator[SqlUnitOfWork]:
    """A unit of work on the test database, committed when the block ends."""
    engine = make_engine(url)
    try:
        with uow_factory(session_factory(engine))() as uow:
            yield uow
            uow.commit()
    finally:
        engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main([*argv, NOW])
    out, err = capsys.readouterr()
    return status, out, err


def test_show_cancelled_order_gives_the_card_with_its_deadline_warning_and_button(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "show", OPEN_API)
    assert status == 0
    lines = out.splitlines()
    assert lines[:2] == [f"{OPEN_API} · Resync Available", "A resync can be requested."]
    for shown in (
        "Seller: dasom-shop", "Sales site: interpark · order TM2611110001", "Origin: api",
        "Category: Delivery Cancelled (Sales Site API)",
        "Cancelled: 2026-11-11 10:00 KST by the seller", "Paid: 2026-11-10 22:00 KST",
        "Deadline: 2026-11-25 10:00 KST", "Time left: 1 day",
    ):
        assert f"  {shown}" in lines
    assert "⚠ The order was cancelled on 2026-11-11 but paid on 2026-11-10" in out
    assert out.rstrip().endswith("[Request resync]")


def test_show_reads_the_packing_number_forgiving_case_and_spaces(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "show", f"  {OPEN_API.lower()} ")
    assert status == 0 and out.startswith(f"{OPEN_API} · Resync Available")


def test_show_order_past_its_window_says_closed_and_offers_no_button(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "show", CLOSED_EXCEL)
    assert status == 0
    assert out.startswith(f"{CLOSED_EXCEL} · Unrecoverable\nThe 14-day window is closed")
    assert "  Deadline: 2026-11-15 09:30 KST (closed)" in out.splitlines()
    assert "[Request" not in out


def test_show_resynced_order_points_to_its_new_packing_number(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "show", RESYNCED)
    assert status == 0
    first = out.splitlines()[0]
    assert f"{RESYNCED} was resynced: the new packing number is {NEW_NUMBER}" in first
    assert "is no longer valid" in first and "stage: order confirmation" in first
    assert f"{RESYNCED} · Resynced" in out
    assert "[Request" not in out and "Deadline" not in out


def test_show_the_new_order_of_a_resync_says_where_it_came_from(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "show", NEW_NUMBER)
    assert status == 0
    assert out.startswith(f"{NEW_NUMBER} is not cancelled")
    assert f"It was made by a resync of {RESYNCED}." in out


def test_show_active_order_says_it_is_not_cancelled_and_gives_its_stage(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "show", ACTIVE)
    assert status == 0
    assert out.startswith(
        f"{ACTIVE} is not cancelled: it is in Order Management (processing stage: pickup request)."
    )
    assert "  Seller: nuri-fashion" in out.splitlines()
    assert "Status" not in out and "[Request" not in out


def test_show_restored_order_says_it_came_back_through_a_restore(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "show", RESTORED)
    assert status == 0
    assert "(processing stage: order confirmation)" in out
    assert "It came back through a restore, with the same packing number." in out
    assert "  Status: Recovered · Restored with the same packing number" in out
    assert "[Request" not in out


def test_show_sales_site_cancel_offers_nothing(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "show", SITE_CANCEL)
    assert status == 0
    assert "  Category: Sales Site Order Cancel" in out.splitlines()
    assert "Cancelled: 2026-11-22 08:00 KST at the sales site" in out
    assert out.startswith(f"{SITE_CANCEL} · No Action") and "[Request" not in out


def test_show_unknown_packing_number_says_so_and_exits_1(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "show", "qsp9999999999")
    assert (status, out) == (1, "")
    assert err.strip() == "No order has the packing number QSP9999999999."


def test_show_malformed_packing_number_explains_the_form_and_exits_1(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "show", "QSP-26/1")
    assert status == 1
    assert "`QSP-26/1` is not a packing number: use letters and digits only" in err


def test_list_shows_tab_counts_status_counts_and_a_page_of_orders(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "list")
    assert status == 0
    expected = {
        "Delivery Cancelled (Sales Site API)": 2, "Delivery Cancelled (Excel/Manual Registered)": 2,
        "Sales Site Order Cancel": 1, "Resync Available": 1, "Resyncing": 0, "Resynced": 1,
        "Recovered": 1, "Unrecoverable": 1, "No Action": 1,
    }
    counts = listed_counts(out)
    assert {label: counts.get(label) for label in expected} == expected
    lines = out.splitlines()
    assert (f"`{OPEN_API}` · dasom-shop · interpark · 2026-11-11 10:00 KST · Resync Available"
            in lines)
    assert "  page 1 of 1 (5 orders)" in lines
    assert ACTIVE not in out and NEW_NUMBER not in out


def test_list_of_one_tab_counts_only_that_tabs_statuses(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "list", "excel")
    assert status == 0
    assert CLOSED_EXCEL in out and RESTORED in out and OPEN_API not in out
    assert "Recoverable" in out and "Resync Available" not in out
    assert out.rstrip().endswith("page 1 of 1 (2 orders)")


@pytest.mark.parametrize("filters, shown, title", [
    (["status:unrecoverable"], {CLOSED_EXCEL}, "status Unrecoverable"),
    (["api", "status:resynced"], {RESYNCED},
     "Delivery Cancelled (Sales Site API) · status Resynced"),
    (["seller:dasom-shop"], {OPEN_API}, "seller dasom-shop"),
    (["site:INTERPARK"], {OPEN_API}, "site interpark"),
    (["from:11/19", "to:11/20"], {RESYNCED, RESTORED},
     "cancelled from 2026-11-19 00:00 KST · cancelled before 2026-11-21 00:00 KST"),
    (["from:2026-11-21"], {SITE_CANCEL}, "cancelled from 2026-11-21 00:00 KST"),
    (["from:7d"], {RESYNCED, RESTORED, SITE_CANCEL}, "cancelled from 2026-11-17 10:00 KST"),
])
def test_list_filters_choose_the_orders_shown_and_the_title_names_them(
    seeded: str, capsys: pytest.CaptureFixture[str], filters: list[str], shown: set[str],
    title: str,
) -> None:
    status, out, _ = run(capsys, "list", *filters)
    assert status == 0
    all_cancelled = {OPEN_API, CLOSED_EXCEL, RESYNCED, RESTORED, SITE_CANCEL}
    assert {no for no in all_cancelled if no in out} == shown
    assert out.splitlines()[0] == f"Cancelled deliveries · {title}"


def test_list_with_nothing_matching_says_so(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "list", "seller:nobody")
    assert status == 0
    assert "No cancelled orders match these filters." in out.splitlines()
    assert "`QSP" not in out


def test_list_pages_through_more_orders_than_fit(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with writing(seeded) as uow:
        for n in range(8):
            uow.orders.add(cancelled(f"QSP26111500{n:02d}", Origin.EXCEL, kst(2026, 11, 15, n)))
    first = run(capsys, "list")[1].splitlines()
    assert "  page 1 of 2 (13 orders)" in first and "[Next]" in first
    status, out, _ = run(capsys, "list", "page:2")
    assert status == 0
    assert len([line for line in out.splitlines() if line.startswith("`QSP")]) == 3
    assert "  page 2 of 2 (13 orders)" in out.splitlines()
    assert "[Previous]" in out.splitlines() and "[Next]" not in out


def test_list_with_an_unknown_word_names_it_and_exits_1(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "list", "api", "colour:red")
    assert (status, out) == (1, "")
    assert "`colour:red` is not a list filter" in err and "status:STATUS" in err


def test_history_shows_who_asked_who_approved_and_the_result(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "history", RESYNCED)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"History of {RESYNCED}"
    assert lines[1].startswith("2026-11-21 09:00 KST · requested by U_AGENT")
    assert "seller asked" in lines[1]
    assert "approved by U_LEAD" in lines[2]
    result = (f"succeeded by cancelbot ({RESYNCED}, request #1, job #1): "
              f"packing number {NEW_NUMBER}")
    assert result in out


def test_history_shows_every_event_even_more_than_one_slack_message_holds(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with writing(seeded) as uow:
        for n in range(150):
            uow.audit.record(AuditEvent(kst(2026, 11, 12, 9) + timedelta(minutes=n), "U_AGENT",
                                        "requested", OPEN_API, detail=f"note {n:03d} " + "x" * 60))

    status, out, _ = run(capsys, "history", OPEN_API)

    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 151 and "earlier event" not in out
    assert "note 000" in lines[1] and "note 149" in lines[-1]


def test_history_of_an_order_nobody_asked_about_says_so(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "history", OPEN_API)
    assert status == 0
    assert out.splitlines() == [f"History of {OPEN_API}",
                                f"Nothing has been requested for {OPEN_API} yet."]


def test_show_on_a_database_never_migrated_says_to_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/empty.sqlite3")
    status, _, err = run(capsys, "show", OPEN_API)
    assert status == 1
    assert "cancelbot db upgrade" in err
