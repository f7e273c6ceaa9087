"""Settings read from the environment, and the clear errors for unusable ones."""
import pytest

from bot.config import ConfigError, Settings


def test_settings_read_lists_and_flags_from_the_environment():
    settings = Settings.from_env({
        "CANCELBOT_APPROVERS": "U1, U2 S3",
        "CANCELBOT_ALLOW_SELF_APPROVAL": "true",
        "CANCELBOT_SITES_NOT_READY": "Tmon,shopby",
        "CANCELBOT_POLL_SECONDS": "2.5",
        "DATABASE_URL": "postgresql://postgres@db/cancelbot",
    })
    assert settings.approvers == {"U1", "U2", "S3"}
    assert settings.allow_self_approval is True
    assert settings.sites_not_ready == {"tmon", "shopby"}
    assert settings.poll_seconds == 2.5
    assert settings.database_url == "postgresql+psycopg://postgres@db/cancelbot"


def test_settings_default_to_a_sqlite_file_and_seoul():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.timezone_name == "Asia/Seoul"
    assert settings.allow_self_approval is False


@pytest.mark.parametrize("env, words", [
    ({"CANCELBOT_TIMEZONE": "Mars/Olympus"}, "CANCELBOT_TIMEZONE"),
    ({"CANCELBOT_POLL_SECONDS": "often"}, "CANCELBOT_POLL_SECONDS"),
    ({"SALES_SITE_API_URL": "ftp://sales"}, "SALES_SITE_API_URL must be an http"),
    ({"SLACK_API_URL": "localhost:9000/api/"}, "SLACK_API_URL must be an http"),
])
def test_unusable_setting_is_named_in_the_error(env, words):
    with pytest.raises(ConfigError, match=words):
        Settings.from_env(env)
