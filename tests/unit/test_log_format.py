"""CANCELBOT_LOG_FORMAT=json: one JSON object per log line, tracebacks included."""
from __future__ import annotations

import io
import json
import logging

import pytest

from bot.config import ConfigError, Settings
from bot.logs import formatter_for


def logged_with(log_format: str, emit) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter_for(log_format))
    logger = logging.getLogger(f"cancelbot.test.{log_format}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_json_log_line_with_a_traceback_is_still_one_parsable_line():
    def emit(logger):
        logger.warning("outbox %s not delivered: %s", [3], 'chat.postMessage: "quoted"\nnext')
        try:
            raise ValueError("broken")
        except ValueError:
            logger.exception("job 7 stopped with an error")

    lines = logged_with("json", emit).splitlines()
    first, second = (json.loads(line) for line in lines)
    assert len(lines) == 2
    assert first["level"] == "WARNING" and first["logger"] == "cancelbot.test.json"
    assert first["message"] == 'outbox [3] not delivered: chat.postMessage: "quoted"\nnext'
    assert first["time"].endswith("+00:00")
    assert second["message"] == "job 7 stopped with an error"
    assert "ValueError: broken" in second["exception"]


def test_text_is_the_default_log_format():
    assert Settings.from_env({}).log_format == "text"
    line = logged_with("text", lambda logger: logger.info("hello"))
    assert line.rstrip().endswith("INFO cancelbot.test.text: hello")


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ConfigError, match="CANCELBOT_LOG_FORMAT must be text or json"):
        Settings.from_env({"CANCELBOT_LOG_FORMAT": "xml"})
    assert Settings.from_env({"CANCELBOT_LOG_FORMAT": "JSON"}).log_format == "json"
