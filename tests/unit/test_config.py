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
    ({"CANCELBOT_RECOVERY_API_URL": "orders.internal/api"},
     "CANCELBOT_RECOVERY_API_URL must be an http"),
    ({"CANCELBOT_RECOVERY_TIMEOUT_HOURS": "a day"}, "CANCELBOT_RECOVERY_TIMEOUT_HOURS must be"),
    ({"CANCELBOT_RECOVERY_TIMEOUT_HOURS": "0"}, "positive number of hours, not '0'"),
    ({"CANCELBOT_RECOVERY_TIMEOUT_HOURS": "-3"}, "positive number of hours"),
    ({"CANCELBOT_RECOVERY_TIMEOUT_HOURS": "inf"}, "positive number of hours"),
    ({"CANCELBOT_JOB_BATCH": "0"}, "CANCELBOT_JOB_BATCH must be a whole number of at least 1"),
    ({"CANCELBOT_SALES_SITE_CONCURRENCY": "four"}, "CANCELBOT_SALES_SITE_CONCURRENCY must be"),
    ({"CANCELBOT_ORDER_FEED_URL": "feed.smartship.example/orders"},
     "CANCELBOT_ORDER_FEED_URL must be an http"),
    ({"CANCELBOT_FEED_SECONDS": "a minute"}, "CANCELBOT_FEED_SECONDS must be a positive"),
    ({"CANCELBOT_FEED_SECONDS": "0"}, "positive number of seconds, not '0'"),
])
def test_unusable_setting_is_named_in_the_error(env, words):
    with pytest.raises(ConfigError, match=words):
        Settings.from_env(env)


def test_recoveries_go_to_the_order_service_named_by_its_url_and_token():
    settings = Settings.from_env({
        "CANCELBOT_RECOVERY_API_URL": "https://orders.smartship.example/api/v1",
        "CANCELBOT_RECOVERY_API_TOKEN": "s3cret", "CANCELBOT_RECOVERY_TIMEOUT_HOURS": "1.5",
    })
    assert settings.recovery_api_url == "https://orders.smartship.example/api/v1"
    assert settings.recovery_api_token == "s3cret"
    assert settings.recovery_timeout_hours == 1.5


def test_without_a_recovery_url_recoveries_stay_in_cancelbots_book_with_a_day_to_finish():
    settings = Settings.from_env({"CANCELBOT_RECOVERY_API_TOKEN": ""})
    assert (settings.recovery_api_url, settings.recovery_api_token) == (None, None)
    assert settings.recovery_timeout_hours == 24


def test_the_order_feed_is_named_by_its_url_and_token_and_polled_every_minute_by_default():
    settings = Settings.from_env({
        "CANCELBOT_ORDER_FEED_URL": "https://feed.smartship.example/v1/orders",
        "CANCELBOT_ORDER_FEED_TOKEN": "f33d",
    })
    assert settings.order_feed_url == "https://feed.smartship.example/v1/orders"
    assert settings.order_feed_token == "f33d"
    assert settings.feed_seconds == 60
    assert Settings.from_env({"CANCELBOT_FEED_SECONDS": "15"}).feed_seconds == 15


def test_without_a_feed_url_the_book_changes_only_by_import():
    settings = Settings.from_env({})
    assert (settings.order_feed_url, settings.order_feed_token) == (None, None)


def test_defaults_fill_only_the_settings_the_environment_leaves_empty():
    settings = Settings.from_env(
        {"CANCELBOT_APPROVERS": "U1", "CANCELBOT_POLL_SECONDS": ""},
        defaults={"CANCELBOT_APPROVERS": "U0APPROVER", "CANCELBOT_POLL_SECONDS": "1",
                  "CANCELBOT_APPROVAL_CHANNEL": "C0APPROVALS"},
    )
    assert settings.approvers == {"U1"}
    assert settings.poll_seconds == 1.0
    assert settings.approval_channel == "C0APPROVALS"


def test_a_worker_takes_sixteen_jobs_per_transaction_and_reads_eight_at_once_unless_told():
    default = Settings.from_env({})
    told = Settings.from_env({"CANCELBOT_JOB_BATCH": "40", "CANCELBOT_SALES_SITE_CONCURRENCY": "2"})
    assert (default.job_batch, default.sales_site_concurrency) == (16, 8)
    assert (told.job_batch, told.sales_site_concurrency) == (40, 2)
