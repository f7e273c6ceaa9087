"""Publish one user's App Home as it is now (views.publish)."""
from __future__ import annotations

from slack_sdk import WebClient

from domain.home import home_for
from handlers.deps import Deps
from handlers.render.home import home_view


def publish_home(deps: Deps, client: WebClient, user_id: str) -> None:
    """Read the user's home in one unit of work, then publish it (no Slack call inside it)."""
    policy = deps.policy_for(user_id)  # before the transaction: it may ask Slack
    with deps.uow() as uow:
        home = home_for(uow, user_id, deps.ctx(), policy)
    client.views_publish(user_id=user_id,
                         view=home_view(home, deps.zone, can_request=bool(deps.approval_channel)))
