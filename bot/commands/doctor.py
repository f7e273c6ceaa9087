"""`cancelbot doctor`: check the configuration, the database, Slack, the sales site, the
order service that carries recoveries out and the order feed."""
from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from bot.commands.context import Command
from bot.composition import slack_client
from bot.config import ConfigError
from bot.doctor import (
    Finding,
    Level,
    check_database,
    check_recovery_service,
    check_sales_site,
    check_settings,
    check_slack,
    fail,
    failed,
)
from bot.doctor_feed import check_order_feed
from bot.manifest import MANIFEST, bot_scopes, load_manifest


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = commands.add_parser(
        "doctor", help="check the configuration, database, Slack, sales site, order service "
        "and order feed; say what to fix",
        description="Exit status 0 when nothing failed (warnings allowed), 1 otherwise.",
    )
    doctor.add_argument("--manifest", type=Path, default=MANIFEST,
                        help="the app manifest whose scopes the token must have "
                        "(default: %(default)s)")
    doctor.set_defaults(run=run_doctor)


def run_doctor(command: Command) -> int:
    """Print one line per finding (and its fix); 1 if anything failed."""
    findings = diagnose(command)
    for finding in findings:
        print(_line(finding))
    bad = sum(f.level is Level.FAIL for f in findings)
    print(f"\n{bad} problem{'s' if bad != 1 else ''} found." if bad else "\nAll checks passed.")
    return 1 if failed(findings) else 0


def diagnose(command: Command) -> list[Finding]:
    """Every check that can run with what the configuration allows."""
    try:
        settings = command.settings
    except ConfigError as exc:  # a finding like the others, not the end of the command
        return [fail("configuration", str(exc), "fix the variable named above")]
    manifest: Path = command.args.manifest
    store = command.open_store()
    findings = check_settings(settings) + check_database(store.engine)
    try:
        wanted = bot_scopes(load_manifest(manifest))
    except (OSError, yaml.YAMLError) as exc:
        findings.append(fail("manifest", f"cannot read {manifest}: {exc}",
                             "run from the project folder, or pass --manifest PATH"))
        wanted = frozenset()
    if settings.slack_bot_token:
        findings += check_slack(settings, slack_client(settings, retries=0), wanted)
    return (findings + check_sales_site(settings, store)
            + check_recovery_service(settings, store.engine)
            + check_order_feed(settings, store.engine))


def _line(finding: Finding) -> str:
    line = f"{finding.level.value:<5}{finding.area}: {finding.detail}"
    return line + (f"\n     fix: {finding.fix}" if finding.fix else "")
