"""The audit trail: written with each step, read back in order, and never rewritten."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from domain.lookup import history
from domain.ports import AuditEvent
from store.models import AuditRow
from tests.integration.builders import NOW, active, add_orders, cancelled

UTC_ZERO = timedelta(0)


def _record(uow, *events: AuditEvent) -> None:
    with uow() as u:
        for event in events:
            u.audit.record(event)
        u.commit()


def _trail(packing_no: str = "QSP2611230001") -> list[AuditEvent]:
    return [
        AuditEvent(NOW, "UREQUESTER", "requested", packing_no, 1, 1, "customer asked"),
        AuditEvent(NOW + timedelta(minutes=2), "UAPPROVER", "approved", packing_no, 1, 1),
        AuditEvent(NOW + timedelta(minutes=3), "cancelbot", "succeeded", packing_no, 1, 1,
                   "packing number QSP2611260001"),
    ]


def test_events_come_back_in_the_order_they_happened_with_every_field(uow):
    trail = _trail()
    _record(uow, *trail)
    _record(uow, AuditEvent(NOW, "UOTHER", "requested", "QSP2611230099", 2, 2))

    with uow() as u:
        got = u.audit.for_packing_nos(["QSP2611230001"])

    assert got == trail
    assert all(e.at.utcoffset() == UTC_ZERO for e in got)


def test_events_of_several_packing_numbers_are_read_together(uow):
    _record(uow, *_trail("QSP2611230001"), *_trail("QSP2611230002"),
            AuditEvent(NOW, "UOTHER", "requested", "QSP2611230003"))
    with uow() as u:
        got = u.audit.for_packing_nos(["QSP2611230001", "QSP2611230002"])
        none = u.audit.for_packing_nos(["QSP2611239999"])
    assert len(got) == 6
    assert {e.packing_no for e in got} == {"QSP2611230001", "QSP2611230002"}
    assert none == []


def test_the_history_of_a_resynced_order_includes_its_successor(uow):
    add_orders(uow,
               cancelled("QSP2611230001", superseded_by="QSP2611260001"),
               active("QSP2611260001", resynced_from="QSP2611230001"))
    _record(uow,
            # recorded first, but happened last: the history goes by time
            AuditEvent(NOW + timedelta(minutes=4), "cancelbot", "created", "QSP2611260001", 1, 1),
            *_trail("QSP2611230001"))

    with uow() as u:
        order, events = history(u, "qsp2611260001")

    assert order.packing_no == "QSP2611260001"
    assert [e.kind for e in events] == ["requested", "approved", "succeeded", "created"]


def _count(uow) -> int:
    with uow() as u:
        return u.session.scalar(select(func.count()).select_from(AuditRow))


@pytest.mark.parametrize("statement", [
    update(AuditRow).values(actor="UMALLORY"),
    update(AuditRow).where(AuditRow.kind == "approved").values(detail="nothing happened"),
    delete(AuditRow),
    delete(AuditRow).where(AuditRow.kind == "requested"),
    text("DELETE FROM audit_events"),
], ids=["update-all", "update-one", "delete-all", "delete-one", "raw-delete"])
def test_the_database_refuses_to_change_or_remove_an_audit_event(uow, statement):
    trail = _trail()
    _record(uow, *trail)

    with uow() as u:
        with pytest.raises(DBAPIError, match="append-only"):
            u.session.execute(statement)
        u.rollback()
        # the unit of work is usable again after the refusal
        u.audit.record(
            AuditEvent(NOW + timedelta(hours=1), "cancelbot", "note", trail[0].packing_no))
        u.commit()

    with uow() as u:
        got = u.audit.for_packing_nos([trail[0].packing_no])
    assert got[:3] == trail
    assert [e.kind for e in got[3:]] == ["note"]
    assert _count(uow) == 4
