"""Secrets never reach text: URL passwords and known secret values are replaced by ``***``."""

from __future__ import annotations

from models.support.redact import redact_text, redact_url, url_secrets, without_credentials


def test_redact_url_hides_only_the_password() -> None:
    assert redact_url("redis://user:pw@host:6380/1") == "redis://user:***@host:6380/1"
    assert redact_url("redis://localhost:6379/0") == "redis://localhost:6379/0"
    assert redact_url("redis://:pw@host/0") == "redis://:***@host/0"
    assert (
        redact_url("postgresql+psycopg://dock:s3cret@db:5432/x")
        == "postgresql+psycopg://dock:***@db:5432/x"
    )


def test_redact_text_hides_url_passwords_and_known_secrets() -> None:
    text = "connect to https://u:hunter2@host/2.2.0 failed (token abc123)"
    redacted = redact_text(text, ["abc123"])
    assert "hunter2" not in redacted
    assert "abc123" not in redacted
    assert "https://u:***@host/2.2.0" in redacted


def test_without_credentials_drops_user_information_and_query() -> None:
    url = "https://user:secret@hook.example:8443/in?token=x#frag"
    assert without_credentials(url) == "https://hook.example:8443/in"
    assert without_credentials("http://[::1]:9/2.2.0") == "http://[::1]:9/2.2.0"


def test_a_password_given_as_a_query_parameter_is_redacted_too() -> None:
    database = "postgresql+psycopg://postgres@127.0.0.1:1/test?password=Qpw_S3cret&sslmode=off"
    assert redact_url(database) == (
        "postgresql+psycopg://postgres@127.0.0.1:1/test?password=***&sslmode=off"
    )
    assert redact_url("redis://127.0.0.1:1/0?password=Rpw_S3cret") == (
        "redis://127.0.0.1:1/0?password=***"
    )
    assert "Rpw_S3cret" not in redact_text("at redis://h/0?db=1&password=Rpw_S3cret: refused")
    assert url_secrets("redis://u:pw@h/0?api_token=tk&db=2") == ["pw", "tk"]
