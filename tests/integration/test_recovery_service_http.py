"""The HTTP adapter of the order service against the stand-in serving the recovery contract."""
from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from domain.errors import RecoveryServiceUnavailable
from domain.failures import Failure, FailureCode
from domain.model import Action
from domain.services import RecoveryAsk, RemoteRecovery, RemoteState
from store.recovery_service_http import HttpRecoveryService
from tests.order_service import TOKEN, OrderServiceStandIn

ASK = RecoveryAsk(Action.RESYNC, "QSP2611230001", "cancelbot-job-7-0123abcd")


@pytest.fixture
def service() -> Iterator[OrderServiceStandIn]:
    with OrderServiceStandIn() as running:
        yield running


def client(service: OrderServiceStandIn, token: str | None = TOKEN,
           timeout: float = 5.0) -> HttpRecoveryService:
    return HttpRecoveryService(service.base_url, token, timeout=timeout)


def test_a_recovery_is_started_with_its_key_and_token_and_answered_pending(service):
    started = client(service).start(ASK)

    assert started == RemoteRecovery("rcv-1", RemoteState.PENDING, packing_no="QSP2611230001")
    [call] = service.calls()
    assert (call.method, call.path) == ("POST", "/api/v1/recoveries")
    assert call.body == {"action": "resync", "packing_no": "QSP2611230001",
                         "idempotency_key": "cancelbot-job-7-0123abcd"}
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.headers["Idempotency-Key"] == "cancelbot-job-7-0123abcd"
    assert (call.headers["Content-Type"], call.headers["User-Agent"]) == (
        "application/json", "cancelbot")


def test_the_same_key_posted_again_names_the_same_recovery(service):
    first = client(service).start(ASK)
    again = client(service).start(ASK)

    assert first.id == again.id
    assert len(service.recoveries()) == 1


def test_a_resync_is_pending_for_its_looks_then_succeeded_with_a_new_packing_number(service):
    service.script("QSP2611230001", pending_looks=2, new_packing_no="qsp2611280077")
    recovery_id = client(service).start(ASK).id

    states = [client(service).status(recovery_id) for _ in range(3)]

    assert [s.state for s in states] == [RemoteState.PENDING] * 2 + [RemoteState.SUCCEEDED]
    assert states[-1].new_packing_no == "QSP2611280077"  # packing numbers are upper-cased
    assert [c.path for c in service.calls("GET")] == [f"/api/v1/recoveries/{recovery_id}"] * 3


@pytest.mark.parametrize("code", list(FailureCode), ids=lambda c: c.value)
def test_each_failure_code_of_the_contract_is_ours_with_its_detail(service, code):
    service.script("QSP2611230001", pending_looks=0, failure=code.value, detail="ACC000001")
    recovery_id = client(service).start(ASK).id

    failed = client(service).status(recovery_id)

    assert failed.state is RemoteState.FAILED
    assert failed.failure == Failure(code, "ACC000001")


def test_a_failure_code_outside_the_contract_is_a_server_error_that_names_it(service):
    service.script("QSP2611230001", pending_looks=0, failure="warehouse_on_fire", detail=None)
    recovery_id = client(service).start(ASK).id

    failed = client(service).status(recovery_id)

    assert failed.failure == Failure(FailureCode.SERVER_ERROR,
                                     "the order service's failure code 'warehouse_on_fire'")


@pytest.mark.parametrize("token", ["wrong-token", None], ids=["wrong", "none"])
def test_a_refused_token_is_named(service, token):
    said = r"refused the request \(answered 401\); check CANCELBOT_RECOVERY_API_TOKEN$"
    with pytest.raises(RecoveryServiceUnavailable, match=said):
        client(service, token=token).start(ASK)
    assert service.recoveries() == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_makes_the_service_unavailable_naming_the_status(service, status):
    service.fault_next(status=status, body=b"<html>maintenance</html>")
    with pytest.raises(RecoveryServiceUnavailable, match=f"^the order service answered {status}$"):
        client(service).start(ASK)


def test_a_service_that_does_not_answer_in_time_is_given_up_on(service):
    service.fault_next(hang=True)
    with pytest.raises(RecoveryServiceUnavailable,
                       match=r"^the order service timed out after 0.3 s$"):
        client(service, timeout=0.3).start(ASK)


def test_a_connection_dropped_after_the_post_is_an_error_and_the_key_still_names_it(service):
    service.fault_next(lose_answer=True)
    with pytest.raises(RecoveryServiceUnavailable, match="could not reach the order service"):
        client(service).start(ASK)

    again = client(service).start(ASK)

    assert [r.id for r in service.recoveries()] == [again.id]


def test_a_recovery_the_service_does_not_know_is_said_so(service):
    with pytest.raises(RecoveryServiceUnavailable,
                       match="^the order service does not know recovery rcv-404$"):
        client(service).status("rcv-404")


def test_a_closed_port_makes_the_service_unavailable():
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        closed = HttpRecoveryService(f"http://127.0.0.1:{port}", timeout=2)
        with pytest.raises(RecoveryServiceUnavailable, match="refused the connection$"):
            closed.start(ASK)


def body(**fields: object) -> bytes:
    return json.dumps({"id": "rcv-1", "state": "pending", **fields}).encode()


@pytest.mark.parametrize("answer, said", [
    (b"<html>Sign in</html>", "not JSON"),
    (b'["pending"]', "not a JSON object"),
    (json.dumps({"state": "pending"}).encode(), "the recovery has no id"),
    (body(id="rcv\n1"), "holds control characters"),
    (body(id="r" * 129), "longer than 128 characters"),
    (body(state="done"), "unknown state 'done'"),
    (body(state="succeeded", new_packing_no="QSP-1"), "new_packing_no 'QSP-1' is not a packing"),
    (body(packing_no=7), "packing_no is not text"),
    (body(state="failed"), "a failed recovery without failure.code"),
    (body(state="failed", failure={"code": "on_claim", "detail": 3}), "failure.detail is not"),
], ids=["html", "list", "no-id", "control-id", "long-id", "unknown-state", "bad-new-number",
        "number-packing-no", "failed-without-failure", "detail-not-text"])
def test_an_unusable_answer_makes_the_service_unavailable_saying_why(service, answer, said):
    service.fault_next(status=200, body=answer)
    with pytest.raises(RecoveryServiceUnavailable,
                       match="^the order service gave an unusable answer: .*" + said):
        client(service).status("rcv-1")


def test_a_recovery_id_is_quoted_into_one_path_part(service):
    with pytest.raises(RecoveryServiceUnavailable, match="does not know"):
        client(service).status("a/b?c")
    assert service.calls()[0].path == "/api/v1/recoveries/a%2Fb%3Fc"


def test_the_probe_of_doctor_accepts_the_404_of_an_unknown_recovery(service):
    assert client(service).probe() == 404
    with pytest.raises(RecoveryServiceUnavailable, match="CANCELBOT_RECOVERY_API_TOKEN"):
        client(service, token="wrong").probe()


@pytest.mark.parametrize("url", ["ftp://orders.example", "orders.example/api"])
def test_a_base_url_that_is_not_http_is_refused_at_start(url):
    with pytest.raises(ValueError, match="CANCELBOT_RECOVERY_API_URL must be an http"):
        HttpRecoveryService(url)
