"""`cancelbot console`: the Slack app, its listeners and its scheduler, driven from a terminal.

A stand-in for Slack's Web API runs inside the process (bot/console/standin.py); the app's own
WebClient talks to it, and the console sends the app signed requests as Slack would. Commands
come from standard input, so a script can drive it as well as a person.
"""
from __future__ import annotations

import argparse
import logging
import secrets
import sys
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.commands.context import Command
from bot.composition import background, build_app, slack_client
from bot.config import Settings
from bot.console.door import Door, track_listeners
from bot.console.screen import Screen
from bot.console.session import Session
from bot.console.standin import StandIn
from bot.console.workspace import Workspace
from handlers.approvers import is_group_id

CONSOLE_ANSWER_SECONDS = 600.0  # Slack waits 3 s for an answer; the console has no such limit

TOKEN = "xoxb-console"  # the stand-in takes any bot token; this one never leaves the process
SUPPORT_CHANNEL = "C0SUPPORT"
DEFAULT_USER = "U0SUPPORT1"
EXPORTS = "cancelbot-exports"  # under the current directory
# what the console assumes when the environment does not say (a terminal has no Slack to ask)
CONSOLE_DEFAULTS = {
    "CANCELBOT_POLL_SECONDS": "1",
    "CANCELBOT_APPROVERS": "U0APPROVER",
    "CANCELBOT_APPROVAL_CHANNEL": "C0APPROVALS",
}
CHANNEL_NAMES = {SUPPORT_CHANNEL: "seller-support", "C0APPROVALS": "approvals"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    console = commands.add_parser(
        "console", help="try the bot in this terminal: /cancelled, buttons, approvals, results "
        "(no Slack workspace needed)",
        description="Runs the same app, listeners and job scheduler as `cancelbot run`, with a "
        "stand-in for Slack inside the process. Type /cancelled commands, press buttons by "
        "their number, switch users with `as USER_ID`; `help` lists the console's commands. "
        "Reads standard input, so it can be scripted. Defaults when unset: "
        + ", ".join(f"{k}={v}" for k, v in CONSOLE_DEFAULTS.items()) + ".",
    )
    console.add_argument("--as", dest="user", default=DEFAULT_USER, metavar="USER_ID",
                         help="the Slack user you start as (default %(default)s)")
    console.add_argument("--demo", action="store_true",
                         help="suggest things to try on the demo data (`cancelbot demo-data`)")
    console.add_argument("--exports", type=Path, default=Path(EXPORTS), metavar="DIR",
                         help="where the files the bot sends (`/cancelled list … export`) are "
                         "saved; the console prints each one's path (default %(default)s)")
    console.set_defaults(run=run_console, setting_defaults=CONSOLE_DEFAULTS)


def run_console(command: Command) -> int:
    """Run the console until `quit` or the end of the input."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    args, configured = command.args, command.settings
    with ExitStack() as cleanup:
        workspace = Workspace()
        workspace.files.save_to = args.exports
        standin = StandIn(workspace).start()
        cleanup.callback(standin.stop)
        settings = replace(configured, slack_bot_token=TOKEN, slack_app_token=None,
                           slack_signing_secret=secrets.token_hex(16),
                           slack_api_url=standin.api_url)
        store = command.open_store(settings)
        client = slack_client(settings)
        # fails here, with the stand-in stopped on the way out, if the database does not answer
        worker, scheduler = background(settings, store, client=client)
        # no Slack deadline here: an answer is awaited, so it is shown with what asked for it
        app = build_app(settings, store.uow, client, logger=quiet_bolt_logger(),
                        sales_site=store.sales_site, answer_seconds=CONSOLE_ANSWER_SECONDS)
        listeners = track_listeners(app)
        cleanup.callback(listeners.shutdown)
        cleanup.callback(scheduler.shutdown, wait=True)
        cleanup.callback(worker.stop)  # callbacks run last first: stop claiming, then the polls
        interactive = sys.stdin.isatty()
        screen = Screen(workspace, sys.stdout, channel_names_for(settings),
                        styled=interactive and sys.stdout.isatty())
        workspace.on_change = screen.show
        session = Session(
            Door(app, settings.slack_signing_secret or "", workspace), workspace, screen,
            listeners, user=args.user.upper(), channel=SUPPORT_CHANNEL,
            is_approver=lambda user: user in settings.approvers, read=input,
            echo=not interactive, interactive=interactive,
            example_approver=first_approver(settings),
        )
        scheduler.start()
        screen.say(*greeting(settings, session.user, screen, demo=args.demo))
        session.run()
    screen.say("Bye.")  # after the scheduler stopped: nothing is printed after it
    return 0


def quiet_bolt_logger() -> logging.Logger:
    """Bolt's own logger, errors only: its start-up notes are for servers, not this terminal."""
    logger = logging.getLogger("cancelbot.console.bolt")
    logger.setLevel(logging.ERROR)
    return logger


def channel_names_for(settings: Settings) -> dict[str, str]:
    names = dict(CHANNEL_NAMES)
    if settings.approval_channel and settings.approval_channel not in names:
        names[settings.approval_channel] = settings.approval_channel
    return names


def first_approver(settings: Settings) -> str:
    users = sorted(a for a in settings.approvers if not is_group_id(a))
    return users[0] if users else "U0APPROVER"


def greeting(settings: Settings, user: str, screen: Screen, demo: bool = False) -> list[str]:
    """Where the console runs, who the user is, who approves, and (for the demo) what to try."""
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    approval = settings.approval_channel
    where = f"#{screen.names.get(approval, approval)}" if approval else "the channel asked in"
    users = sorted(a for a in settings.approvers if not is_group_id(a))
    groups = sorted(a for a in settings.approvers if is_group_id(a))
    approvers = ", ".join(users) or "nobody"
    if groups:
        approvers += f" (user groups {', '.join(groups)} have no members in the console)"
    approver = first_approver(settings)
    lines = [
        "cancelbot console: the Slack app, its listeners and its job scheduler, in this "
        "terminal (no Slack workspace needed).",
        f"Database {database} · jobs polled every {settings.poll_seconds:g} s · requests go "
        f"to {where}.",
        f"You are {user}, typing in #{screen.names[SUPPORT_CHANNEL]}. Approvers: {approvers}.",
    ]
    if demo:
        lines += [
            "",
            "Three things to try:",
            "  /cancelled QSPDEMO01    look an order up: Resync Available, less than a day left",
            "  /cancelled list api     the cancelled API orders, with counts",
            "  on QSPDEMO01's card, type the number of [Request resync] and add a note; then",
            f"  `as {approver}`, type the number of [Approve], and `wait` for the result",
        ]
    lines += ["", "Type help for the console's commands, quit to leave.", ""]
    return lines
