"""`cancelbot doctor` and `cancelbot jobs` with recoveries carried out by the order service."""
from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.cli.test_doctor import configured, manifest, slack  # noqa: F401 - fixtures
from tests.fakeslack import FakeSlack
from tests.integration.builders import Database
from tests.integration.job_support import Clock, queued_jobs
from tests.integration.remote_support import remote_worker
from tests.order_service import TOKEN, OrderServiceStandIn


@pytest.fixture
def service() -> Iterator[OrderServiceStandIn]:
    with OrderServiceStandIn() as running:
        yield running


@pytest.fixture
def healthy(configured: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:  # noqa: F811
    """Slack set up as doctor wants it; no order service unless the test names one."""
    for name in ("CANCELBOT_RECOVERY_API_URL", "CANCELBOT_RECOVERY_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return configured


@pytest.fixture
def waiting_job(db_url: str, service: OrderServiceStandIn):
    """A restore handed to the order service, its last POST answered 503."""
    db = Database(db_url)
    try:
        job, = queued_jobs(db.uow, db.sessions, restores=1)
        service.fault_next(status=503)
        remote_worker(db, service, Clock()).run_due()
        yield job
    finally:
        db.dispose()


def use_service(monkeypatch: pytest.MonkeyPatch, url: str, token: str | None = TOKEN) -> None:
    monkeypatch.setenv("CANCELBOT_RECOVERY_API_URL", url)
    if token:
        monkeypatch.setenv("CANCELBOT_RECOVERY_API_TOKEN", token)


def test_doctor_says_the_order_service_answers(
        cancelbot: Callable[..., Run], healthy, manifest: Path,  # noqa: F811
        service: OrderServiceStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    use_service(monkeypatch, service.base_url)

    run = cancelbot("doctor", "--manifest", str(manifest))

    assert f"ok   recovery service: {service.base_url} answers" in run.out
    assert run.status == 0, run.out
    [probe] = service.calls()
    assert probe.headers["Authorization"] == f"Bearer {TOKEN}"


def test_doctor_names_the_token_the_order_service_refuses(
        cancelbot: Callable[..., Run], healthy, manifest: Path,  # noqa: F811
        service: OrderServiceStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    use_service(monkeypatch, service.base_url, token="expired")

    run = cancelbot("doctor", "--manifest", str(manifest))

    assert run.status == 1
    assert (f"FAIL recovery service: {service.base_url}: the order service refused the request "
            "(answered 401); check CANCELBOT_RECOVERY_API_TOKEN") in run.out


def test_doctor_fails_an_order_service_that_cannot_be_reached(
        cancelbot: Callable[..., Run], healthy, manifest: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound_not_listening.getsockname()[1]}"
        use_service(monkeypatch, url)
        run = cancelbot("doctor", "--manifest", str(manifest))

    assert run.status == 1
    assert f"FAIL recovery service: {url}: the order service refused the connection" in run.out
    assert "that the order service is up" in run.out


def test_doctor_says_recoveries_stay_in_cancelbots_book_without_a_url(
        cancelbot: Callable[..., Run], healthy, manifest: Path) -> None:  # noqa: F811
    run = cancelbot("doctor", "--manifest", str(manifest))

    assert "ok   recovery service: cancelbot's own book" in run.out
    assert run.status == 0


def test_doctor_fails_jobs_left_waiting_on_a_service_no_longer_configured(
        cancelbot: Callable[..., Run], healthy, manifest: Path, waiting_job) -> None:  # noqa: F811
    run = cancelbot("doctor", "--manifest", str(manifest))

    assert run.status == 1
    assert ("FAIL recovery service: 1 job(s) wait on the order service, but "
            "CANCELBOT_RECOVERY_API_URL is not set, so nobody asks about them") in run.out


def test_doctor_warns_of_waiting_jobs_the_service_gave_no_usable_answer_for(
        cancelbot: Callable[..., Run], healthy, manifest: Path, waiting_job,  # noqa: F811
        service: OrderServiceStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    use_service(monkeypatch, service.base_url)

    run = cancelbot("doctor", "--manifest", str(manifest))

    assert (f"warn recovery service: 1 of 1 waiting job(s) got no usable answer last time; "
            f"job {waiting_job.id}: the order service answered 503") in run.out
    assert run.status == 0


def test_jobs_lists_a_job_waiting_on_the_order_service_with_its_last_error(
        cancelbot: Callable[..., Run], waiting_job) -> None:
    run = cancelbot("jobs")

    assert run.status == 0
    assert (f"#{waiting_job.id} restore `{waiting_job.packing_no}` (request "
            f"#{waiting_job.request_id}): waiting on the order service since 2026-11-26 10:00 "
            "KST (not yet accepted), 1 error in a row, last: the order service answered 503; "
            "next look 2026-11-26 10:00 KST") in run.out
