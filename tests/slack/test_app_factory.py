"""The app is built by a factory from settings, never at import time."""
from __future__ import annotations

import importlib
import logging
import pkgutil

import pytest
from slack_bolt import App

import bot
import handlers
from bot.composition import build_app
from domain.ports import UnitOfWork
from tests.slack.conftest import client_for, settings_for


def no_unit_of_work() -> UnitOfWork:
    raise AssertionError("building the app opens no unit of work")


def test_no_module_builds_an_app_when_imported() -> None:
    for package in (bot, handlers):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            loaded = importlib.import_module(module.name)
            assert not any(isinstance(value, App) for value in vars(loaded).values()), module.name


def test_building_the_app_logs_no_warning_with_the_token_in_the_environment(
        fake_slack, db_url, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    with caplog.at_level(logging.WARNING):
        app = build_app(settings_for(fake_slack, db_url), no_unit_of_work, client_for(fake_slack))
    assert isinstance(app, App)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
