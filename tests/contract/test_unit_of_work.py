"""The unit of work itself, the audit trail, the outbox and new packing numbers."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.model import Action, Recovery
from domain.ports import AuditEvent
from domain.queues import OutboxMessage
from domain.requests import Request
from tests.integration.builders import NOW, active, add_orders, cancelled


def test_what_a_unit_of_work_did_not_commit_is_gone_and_what_it_committed_stays(uow):
    kept, = add_orders(uow, cancelled("QSP2611200001"))

    with uow() as u:
        u.orders.add(cancelled("QSP2611200002"))
        u.orders.update(replace(kept, recovery=Recovery.AWAITING))
    with uow() as u:
        u.orders.add(cancelled("QSP2611200003"))
        u.orders.update(replace(kept, recovery=Recovery.DONE))
        u.rollback()
        u.orders.add(cancelled("QSP2611200004"))
        u.commit()

    with uow() as u:
        assert u.orders.get("QSP2611200002") is None and u.orders.get("QSP2611200003") is None
        assert u.orders.get("QSP2611200004") is not None
        assert u.orders.get(kept.packing_no).recovery is Recovery.NONE


def test_the_audit_trail_gives_the_events_of_the_orders_named_in_the_order_recorded(uow):
    events = [AuditEvent(NOW + timedelta(minutes=n), f"U{n}", kind, packing_no, detail=str(n))
              for n, (kind, packing_no) in enumerate([
                  ("requested", "QSP2611200001"), ("requested", "QSP2611200002"),
                  ("approved", "QSP2611200001"), ("imported", None)])]
    with uow() as u:
        for event in events:
            u.audit.record(event)
        u.commit()

    with uow() as u:
        assert u.audit.for_packing_nos(["QSP2611200001"]) == [events[0], events[2]]
        assert u.audit.for_packing_nos(["QSP2611200002", "QSP2611209999"]) == [events[1]]
        assert u.audit.for_packing_nos([]) == []


def test_a_message_added_to_the_outbox_gets_an_id_and_is_not_yet_delivered(uow):
    with uow() as u:
        request_id = add_request(u)
        added = u.outbox.add(OutboxMessage(request_id, "job_result", {"job_id": 1}, NOW))
        u.commit()
    assert added.id is not None
    assert (added.request_id, added.attempts, added.delivered_at) == (request_id, 0, None)


def test_new_packing_numbers_count_each_day_from_one_and_skip_numbers_in_use(uow):
    tomorrow = NOW + timedelta(days=1)
    add_orders(uow, active(f"QSP{NOW:%y%m%d}0002"))

    with uow() as u:
        numbers = [u.packing_numbers.allocate(NOW) for _ in range(3)]
        next_day = u.packing_numbers.allocate(tomorrow)
        u.commit()

    day = f"QSP{NOW:%y%m%d}"
    assert numbers == [f"{day}0001", f"{day}0003", f"{day}0004"]
    assert next_day == f"QSP{tomorrow:%y%m%d}0001"


def add_request(u) -> int:
    return u.requests.add(Request(Action.RESYNC, "UREQUESTER", NOW)).id
