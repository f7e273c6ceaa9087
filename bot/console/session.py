"""The console's read-eval loop: slash commands, button numbers, `as`, `wait`, `help`, `quit`."""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from bot.console.door import Answer, Door, TrackedExecutor
from bot.console.modal import (
    Cancelled,
    ask_inputs,
    error_lines,
    inputs,
    to_ask_again,
)
from bot.console.render import text_of
from bot.console.screen import Screen
from bot.console.workspace import HOME_CHANNEL, Workspace

SETTLE_SECONDS = 30.0  # the longest the console waits for a listener before asking again
WAIT_MAX_SECONDS = 60.0
USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
QUIT_WORDS = {"quit", "exit", "q"}
HELP = """Console commands:
  /cancelled TEXT   what a Slack user types (try /cancelled help)
  home              open the app's Home tab (what needs you, with its buttons)
  shortcut TEXT     the message shortcut "Look up cancelled deliveries" on a
                    message saying TEXT (paste one)
  NUMBER            press the button shown as [NUMBER]
  as USER_ID        act as another Slack user, e.g. as {approver}
  wait [SECONDS]    wait SECONDS, or until the next job result arrives in a thread
                    (at most {wait:g} s)
  help              this list
  quit              leave (end of input or Ctrl-C too)"""

Reader = Callable[[str], str]  # input(): the next line after a prompt; EOFError at the end


class Session:
    """One person at the console (who can become another with `as`)."""

    def __init__(self, door: Door, workspace: Workspace, screen: Screen,
                 listeners: TrackedExecutor, *, user: str, channel: str,
                 is_approver: Callable[[str], bool], read: Reader, echo: bool = False,
                 interactive: bool = False, wait_max: float = WAIT_MAX_SECONDS,
                 example_approver: str = "U0APPROVER") -> None:
        self.door, self.workspace, self.screen = door, workspace, screen
        self.listeners = listeners
        self.user, self.channel = user, channel
        self.is_approver = is_approver
        self.read, self.echo, self.interactive = read, echo, interactive
        self.wait_max = wait_max
        self.example_approver = example_approver
        self.ended = False  # the input ended (or Ctrl-C), perhaps in a modal: leave

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Read and act on commands until `quit` or the end of the input."""
        while not self.ended:
            line = self.ask("> ")
            if line is None or not self.handle(line):
                return

    def ask(self, prompt: str) -> str | None:
        """The next line, after prompt; None at the end of the input or on Ctrl-C."""
        if self.interactive:
            self.screen.prompt = prompt
        try:
            line = self.read(prompt)
        except (EOFError, KeyboardInterrupt):
            self.screen.say("")
            self.ended = True
            return None
        finally:
            self.screen.prompt = ""
        if self.echo:
            self.screen.say(line)
        return line

    def handle(self, line: str) -> bool:
        """Act on one command; False when the user leaves."""
        words = line.split()
        if not words:
            return True
        head = words[0].lower()
        if head.startswith("/"):
            self.slash(line.strip())
        elif head.isdigit():
            self.press(int(head))
        elif head == "home":
            self.home()
        elif head == "shortcut":
            self.shortcut(line.strip()[len(words[0]):].strip())
        elif head == "as":
            self.switch(words[1:])
        elif head == "wait":
            self.wait(words[1:])
        elif head in ("help", "?"):
            self.screen.say(HELP.format(approver=self.example_approver, wait=self.wait_max))
        elif head in QUIT_WORDS:
            return False
        else:
            self.screen.say(f"Unknown console command {words[0]!r}. Type /cancelled help for "
                            "what the bot answers, or help for the console's commands.")
        return True

    # -- commands ---------------------------------------------------------------------------

    def slash(self, line: str) -> None:
        """A slash command typed in the support channel."""
        command, _, text = line.partition(" ")
        if command.lower() != "/cancelled":
            self.screen.say(f"The bot answers /cancelled, not {command} (try /cancelled help).")
            return
        self.workspace.close_modal(every=True)
        shown = self.screen.changes
        answer = self.door.command(self.user, self.channel, text.strip())
        if answer.status == 200 and (answer.body.get("text") or answer.body.get("blocks")):
            self.workspace.respond(answer.response_url, answer.body)  # Slack shows the ack
        self.after(answer, shown)

    def home(self) -> None:
        """Open the Home tab: the app publishes it, and the screen shows it."""
        shown = self.screen.changes
        self.after(self.door.home_opened(self.user), shown)
        if self.screen.changes == shown:
            self.screen.say("(the app published no Home tab)")

    def shortcut(self, text: str) -> None:
        """The message shortcut on a message saying text, in the support channel."""
        if not text:
            self.screen.say("shortcut takes the message's text, e.g. "
                            "shortcut please check QSPDEMO01 and ACC000001")
            return
        self.workspace.close_modal(every=True)
        shown = self.screen.changes
        self.after(self.door.shortcut(self.user, self.channel, text), shown)

    def press(self, number: int) -> None:
        """Press button [number]."""
        button = self.screen.buttons.get(number)
        if button is None:
            known = len(self.screen.buttons)
            self.screen.say(f"There is no button [{number}]; " + (
                f"the buttons shown so far are numbered 1 to {known}." if known
                else "no message with buttons has been shown yet."))
            return
        if not button.still_shown():
            self.screen.say(f"Button [{number}] is no longer shown: its message was edited or "
                            "removed since. Press one of the buttons shown later.")
            return
        self.workspace.close_modal(every=True)
        shown = self.screen.changes
        message = button.message
        if message.channel.startswith(HOME_CHANNEL) and message.visible_to != self.user:
            self.screen.say(f"Button [{number}] is on {message.visible_to}'s Home tab; "
                            f"`as {message.visible_to}` first, or open your own with `home`.")
            return
        if message.channel.startswith(HOME_CHANNEL):  # a button on a Home tab view
            view = self.workspace.views.get(message.ts) or {}
            answer = self.door.click_home(self.user, view, button.element, button.block_id)
        else:
            answer = self.door.click(self.user, message, button.element, button.block_id)
        self.after(answer, shown)

    def switch(self, words: list[str]) -> None:
        """`as USER`: act as another Slack user."""
        if not words:
            self.screen.say(f"You are {self.user}.")
            return
        user = words[0].lstrip("@").upper()
        if not USER_ID.fullmatch(user):
            self.screen.say(f"{words[0]!r} is not a Slack user ID (they start with U or W), "
                            f"e.g. as {self.example_approver}.")
            return
        self.user = user
        role = "an approver" if self.is_approver(user) else "not an approver"
        self.screen.say(f"You are now {user} ({role}).")

    def wait(self, words: list[str]) -> None:
        """`wait SECONDS`, or `wait` until the next job result arrives in a thread."""
        if words:
            try:
                seconds = float(words[0])
            except ValueError:
                seconds = -1.0
            if not 0 <= seconds <= 3600:
                self.screen.say("wait takes a number of seconds (up to 3600), e.g. wait 5.")
                return
            time.sleep(seconds)
            return
        if not self.screen.wait_for_result(self.wait_max):
            self.screen.say(f"No job result arrived within {self.wait_max:g} s.")

    # -- after a request --------------------------------------------------------------------

    def after(self, answer: Answer, shown: int) -> None:
        """Let the listener finish (its messages print as they come), then run a modal it opened.

        A refusal is reported only when nothing was shown: a listener that failed after ack()
        may leave Bolt without an answer (HTTP 404) although the user was told why.
        """
        self.settle()
        if answer.status != 200 and self.screen.changes == shown:
            self.screen.say(refusal(answer))
        if self.workspace.top_modal() is not None:
            self.modal()

    def settle(self) -> None:
        if not self.listeners.wait_idle(SETTLE_SECONDS):
            self.screen.say("(the bot is still working on it; its answer appears when it comes)")

    def modal(self) -> None:
        """Ask for the open modal's inputs and submit it, until no modal is open."""
        while (view := self.workspace.top_modal()) is not None:
            self.screen.show_view(view)
            try:
                self.submit(view)
            except Cancelled:
                self.workspace.close_modal(every=True)
                self.screen.say("(modal closed; nothing was sent)")
                return

    def submit(self, view: dict[str, Any]) -> None:
        """Submit view with the user's answers, asking again what the app finds wrong."""
        values = ask_inputs(inputs(view), self.ask, self.screen.say) if inputs(view) \
            else self.confirm(view)
        while True:
            shown = self.screen.changes
            answer = self.door.submit(self.user, view, values)
            body = answer.body
            if answer.status == 200 and body.get("response_action") == "errors":
                errors = body.get("errors") or {}
                self.screen.say(*error_lines(errors, view))
                values.update(ask_inputs(to_ask_again(errors, view), self.ask, self.screen.say))
                continue
            self.close_or_replace(answer, shown)
            return

    def confirm(self, view: dict[str, Any]) -> dict[str, Any]:
        label = text_of(view.get("submit")) or "Submit"
        if self.ask(f"Enter to {label.lower()}, or cancel: ") in (None, "cancel"):
            raise Cancelled()
        return {}

    def close_or_replace(self, answer: Answer, shown: int) -> None:
        """What the submission's acknowledgement asks for: errors aside, update, push, clear."""
        action = answer.body.get("response_action")
        if answer.status != 200:
            self.workspace.close_modal(every=True)
            self.after(answer, shown)
            return
        if action == "update" and self.workspace.modals:
            self.workspace.update_view(self.workspace.modals[-1], answer.body.get("view") or {})
        elif action == "push":
            self.workspace.open_view(self.workspace.new_trigger(), answer.body.get("view") or {},
                                     push=True)
        else:
            self.workspace.close_modal(every=action == "clear")
        self.settle()


def refusal(answer: Answer) -> str:
    """Why the app did not take a request, in a line."""
    if answer.status == 401:
        return "The app refused the request: its signature did not verify (HTTP 401)."
    if answer.status == 404:
        return "Nothing in the app answers this yet (HTTP 404)."
    detail = answer.body.get("text") or answer.body.get("error") or ""
    return f"The app answered HTTP {answer.status}{': ' + detail if detail else ''}."
