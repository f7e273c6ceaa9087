"""docs/openapi/recovery-service.yaml is the contract the code and the stand-in keep: the codes
and states it lists are the ones cancelbot reads, and every request and answer validates."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from domain.failures import FailureCode
from domain.model import Action
from domain.services import RecoveryAsk, RemoteState
from store.recovery_service_http import PROBE_ID, HttpRecoveryService
from tests.integration.builders import Database
from tests.integration.job_support import Clock, queued_jobs
from tests.integration.remote_support import remote_worker
from tests.order_service import TOKEN, OrderServiceStandIn

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "openapi" / "recovery-service.yaml"
DOC = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
SCHEMAS = DOC["components"]["schemas"]


def validator(schema_name: str) -> Draft202012Validator:
    """A validator of one component schema, its references resolved inside the document."""
    return Draft202012Validator({"$ref": f"#/components/schemas/{schema_name}",
                                 "components": DOC["components"]})


def response_schema(path: str, method: str, status: int) -> str:
    """The component schema name the contract gives an answer of this status."""
    response = DOC["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        response = DOC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


@pytest.fixture
def service() -> Iterator[OrderServiceStandIn]:
    with OrderServiceStandIn() as running:
        yield running


def test_the_contract_lists_exactly_the_failure_codes_and_states_cancelbot_reads():
    assert SCHEMAS["FailureCode"]["enum"] == [code.value for code in FailureCode]
    assert SCHEMAS["RecoveryState"]["enum"] == [state.value for state in RemoteState]
    assert SCHEMAS["RecoveryRequest"]["properties"]["action"]["enum"] == [
        action.value for action in Action]


def test_the_contract_says_how_cancelbot_authenticates_and_what_doctor_asks_for():
    assert DOC["components"]["securitySchemes"]["bearer"] == {
        **DOC["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}
    assert f"/recoveries/{PROBE_ID}" in DOC["paths"]["/recoveries/{id}"]["get"]["responses"][
        "404"]["description"]
    for name in ("CANCELBOT_RECOVERY_API_URL", "CANCELBOT_RECOVERY_API_TOKEN",
                 "CANCELBOT_RECOVERY_TIMEOUT_HOURS", "CANCELBOT_POLL_SECONDS"):
        assert name in DOC["info"]["description"]


def test_the_examples_of_the_contract_are_valid_recoveries():
    get = DOC["paths"]["/recoveries/{id}"]["get"]["responses"]["200"]["content"]
    examples = [e["value"] for e in get["application/json"]["examples"].values()]
    post = DOC["paths"]["/recoveries"]["post"]
    examples.append(post["responses"]["201"]["content"]["application/json"]["example"])
    for example in examples:
        validator("Recovery").validate(example)
    validator("RecoveryRequest").validate(
        post["requestBody"]["content"]["application/json"]["example"])


def test_a_recovery_failed_without_its_failure_breaks_the_contract():
    assert not validator("Recovery").is_valid({"id": "rcv-1", "state": "failed"})
    assert not validator("Recovery").is_valid(
        {"id": "rcv-1", "state": "failed", "failure": {"code": "warehouse_on_fire"}})


def stand_in_answers(service: OrderServiceStandIn) -> list[tuple[str, str, int, Any]]:
    """(path, method, status, body) of every kind of answer the stand-in gives."""
    client = HttpRecoveryService(service.base_url, TOKEN)
    for n, code in enumerate(FailureCode):
        service.script(f"QSP{n:010d}", pending_looks=0, failure=code.value, detail="seen")
    service.script("QSP9999999999", pending_looks=1)
    asks = [RecoveryAsk(Action.RESYNC, f"QSP{n:010d}", f"key-{n}") for n in range(len(FailureCode))]
    asks.append(RecoveryAsk(Action.RESYNC, "QSP9999999999", "key-resync"))
    asks.append(RecoveryAsk(Action.RESTORE, "ACC000001", "key-restore"))
    ids = [client.start(ask).id for ask in asks]
    client.start(asks[-1])  # the same key again: 200
    for recovery_id in ids + ids[-2:]:  # pending, then final
        client.status(recovery_id)
    client.probe()
    answers = []
    for recorded in service.answers:
        path = "/recoveries" if recorded.path.endswith("/recoveries") else "/recoveries/{id}"
        answers.append((path, recorded.method.lower(), recorded.status, recorded.body))
    return answers


def test_every_answer_of_the_stand_in_service_keeps_the_contract(service):
    answers = stand_in_answers(service)

    assert {(path, status) for path, _, status, _ in answers} == {
        ("/recoveries", 201), ("/recoveries", 200), ("/recoveries/{id}", 200),
        ("/recoveries/{id}", 404)}
    states = {body.get("state") for _, _, status, body in answers if status in (200, 201)}
    assert states == {"pending", "succeeded", "failed"}
    for path, method, status, body in answers:
        validator(response_schema(path, method, status)).validate(body)


def test_the_requests_a_worker_sends_keep_the_contract(db_url, service):
    db = Database(db_url)
    try:
        queued_jobs(db.uow, db.sessions, resyncs=1, restores=1)
        remote_worker(db, service, Clock()).run_due()
    finally:
        db.dispose()

    posts = service.calls("POST")
    assert len(posts) == 2
    for post in posts:
        validator("RecoveryRequest").validate(post.body)
        assert re.fullmatch(r"cancelbot-job-\d+-[0-9a-f]{32}", post.body["idempotency_key"])
        assert post.headers["Idempotency-Key"] == post.body["idempotency_key"]
