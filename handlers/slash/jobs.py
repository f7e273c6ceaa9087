"""`/cancelled jobs`: work in flight and results not yet delivered to Slack."""
from __future__ import annotations

from domain.lookup import jobs_overview
from handlers.deps import Deps
from handlers.render.jobs import jobs_message
from handlers.render.mrkdwn import Rendered


def jobs_answer(deps: Deps) -> Rendered:
    """Queued and running jobs, and undelivered results with their attempts and errors."""
    with deps.uow() as uow:
        overview = jobs_overview(uow)
    return jobs_message(overview, deps.zone)
