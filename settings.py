"""Typed settings read from ``DOCKWATCH_*`` environment variables and an optional ``.env`` file.

Settings are read only at the edges (CLI, Celery app, HTTP app factory); deeper code receives
plain values. A bad value fails fast with one line naming the variable.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.support.redact import url_secrets

ENV_PREFIX = "DOCKWATCH_"
# ``DOCKWATCH_*`` variables that are no settings: the supervisor's pid for its children, the
# relay's crash point (crash tests), the host ports docker-compose.yml publishes (read by compose
# from the same shell), and the test suite's and benchmarks' own.
NOT_SETTINGS = (
    "DOCKWATCH_SUPERVISOR_PID",
    "DOCKWATCH_CRASH_AT",
    "DOCKWATCH_DRF_DATABASE",
    "DOCKWATCH_MIRROR_PORT",
    "DOCKWATCH_REDIS_PORT",
)
NOT_SETTINGS_PREFIXES = ("DOCKWATCH_TEST_", "DOCKWATCH_BENCH_")
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
# The level of the one-shot commands (sync, status, db, webhooks add …) while
# DOCKWATCH_LOG_LEVEL is unset: their answer is their output, the log only says what went wrong.
ONE_SHOT_LOG_LEVEL: LogLevel = "WARNING"
# The last segment of an LL2 API root: its version, such as ``2.2.0``.
_API_VERSION = re.compile(r"/\d+\.\d+\.\d+$")


class SettingsError(Exception):
    """A setting has a value dockwatch cannot use; the message is one line naming it."""


def _is_versioned_api_root(url: str) -> bool:
    """Whether ``url`` is http(s), names a host (and a valid port), has no query or fragment,
    and its path ends in an API version."""
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises ValueError when out of range
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(host)
        and not parts.query
        and not parts.fragment
        and _API_VERSION.search(parts.path.rstrip("/")) is not None
    )


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(text: str) -> str | None:
    """``text`` as a browser serialises an origin, or None if it is not an http(s) origin."""
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if (
        scheme not in _DEFAULT_PORTS
        or not host
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        return None
    shown = f"[{host}]" if ":" in host else host
    default = port is None or port == _DEFAULT_PORTS[scheme]
    return f"{scheme}://{shown}" + ("" if default else f":{port}")


class Settings(BaseSettings):
    """Every knob dockwatch reads; see docs/configuration.md."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        extra="ignore",
        frozen=True,
        # "inf" and "nan" are no durations: every number must be finite.
        allow_inf_nan=False,
    )

    upstream_url: str = "https://ll.thespacedevs.com/2.2.0"
    api_token: SecretStr | None = None
    rate_limit_per_hour: Annotated[int, Field(ge=2, le=100_000)] = 15
    database_url: str = "sqlite:///./dockwatch.db"
    redis_url: str = "redis://localhost:6379/0"
    stream: Annotated[str, Field(min_length=1)] = "dockwatch:events"
    notify_backfill: bool = False

    # Prefix of every Redis key dockwatch owns besides the stream (budget, locks, not-before).
    key_prefix: Annotated[str, Field(min_length=1)] = "dockwatch"
    # Seconds between incremental polls; 0 derives it from the budget (see worker.schedule).
    poll_interval_seconds: Annotated[float, Field(ge=0, le=86_400)] = 0
    # Share of the hourly budget the reconciliation sweep may use (rounded to whole requests).
    sweep_budget_share: Annotated[float, Field(gt=0, le=1)] = 0.13
    http_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    http_max_attempts: Annotated[int, Field(ge=1, le=20)] = 4
    http_max_wait_seconds: Annotated[float, Field(ge=0, le=3600)] = 60.0
    stream_retention_days: Annotated[float, Field(ge=7, le=3650)] = 7.0
    stale_after_seconds: Annotated[float, Field(gt=0, le=31_536_000)] = 3600.0
    trust_proxy: bool = False
    # The sync lock lives this long without a heartbeat: how soon a killed cycle's lock frees.
    sync_lock_ttl_seconds: Annotated[float, Field(ge=2, le=3600)] = 60.0
    # How long one webhook delivery attempt may take before it counts as failed.
    webhook_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 10.0
    # Seconds between keep-alive comments on an idle /events connection.
    sse_keepalive_seconds: Annotated[float, Field(ge=0.1, le=300)] = 15.0
    # How often the mirror checks the data version on its own (the sync's hint comes sooner).
    mirror_check_seconds: Annotated[float, Field(ge=0.05, le=3600)] = 1.0
    # The mirror's memory for whole answers kept for repeated requests (MiB).
    mirror_cache_mb: Annotated[int, Field(ge=1, le=65536)] = 16
    # Origins browser apps may read the mirror from: * (any) or a comma-separated list.
    cors_origins: str = "*"
    # The MQTT broker Home Assistant listens on (mqtt://user:password@host:1883, mqtts:// for
    # TLS); unset: no MQTT publisher.
    mqtt_url: str | None = None
    # Where dockwatch's retained state and events go (<prefix>/station/<id>/…).
    mqtt_topic_prefix: str = "dockwatch"
    # Home Assistant's discovery prefix (its MQTT integration's setting).
    mqtt_discovery_prefix: str = "homeassistant"
    # The MQTT protocol version spoken to the broker.
    mqtt_protocol: Literal["3.1.1", "5"] = "3.1.1"

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        """``DOCKWATCH_CORS_ORIGINS`` as the mirror takes it: ``("*",)`` or exact origins."""
        return tuple(self.cors_origins.split(","))

    # The log level of every process (one format for all, see worker.log_format). The one-shot
    # commands (sync, status, db, webhooks …) log warnings only unless this is set.
    log_level: LogLevel = "INFO"

    def secrets(self) -> list[str]:
        """The API token and every password in a configured URL, to keep out of any text."""
        found = [
            secret
            for url in (self.upstream_url, self.database_url, self.redis_url, self.mqtt_url or "")
            for secret in url_secrets(url)
        ]
        if self.api_token is not None:
            found.append(self.api_token.get_secret_value().strip())
        return [secret for secret in found if secret]

    @field_validator("upstream_url")
    @classmethod
    def _upstream_is_a_versioned_api_root(cls, value: str) -> str:
        # Requests go to <root>/docking_event/: without the version they miss the API.
        if not _is_versioned_api_root(value.strip()):
            raise ValueError(
                "must be an http(s) URL whose path ends in an API version, "
                "such as https://ll.thespacedevs.com/2.2.0"
            )
        return value.strip().rstrip("/")

    @field_validator("api_token")
    @classmethod
    def _token_fits_a_header(cls, value: SecretStr | None) -> SecretStr | None:
        # Surrounding whitespace is trimmed when the header is built; what is left goes verbatim
        # into "Authorization: Token …". The message must never echo the token.
        token = value.get_secret_value().strip() if value is not None else ""
        if not all("!" <= char <= "~" for char in token):
            raise ValueError(
                "must be printable ASCII without whitespace or control characters"
                " (it is sent in the Authorization header)"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _database_is_supported(cls, value: str) -> str:
        # psycopg (version 3) is the driver dockwatch ships: a plain postgresql:// URL means it.
        for plain in ("postgresql://", "postgres://"):
            if value.startswith(plain):
                return "postgresql+psycopg://" + value.removeprefix(plain)
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError(
                "must be an SQLite URL (sqlite:///path/to/file.db) or a PostgreSQL one"
                " (postgresql+psycopg://, postgresql:// or postgres://, all through psycopg)"
            )
        return value

    @field_validator("cors_origins")
    @classmethod
    def _cors_origins_are_origins(cls, value: str) -> str:
        # Browsers send an origin as scheme://host[:port], lower case, no default port, no
        # slash: each entry is brought to that form, so that it can match.
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        if entries == ["*"]:
            return "*"
        origins = [_origin(entry) for entry in entries]
        if not origins or None in origins:
            raise ValueError(
                "must be * or a comma-separated list of origins such as "
                "https://app.example.com,http://localhost:3000 (scheme://host[:port], no path)"
            )
        return ",".join(origin for origin in origins if origin is not None)

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("mqtt_url", mode="before")
    @classmethod
    def _mqtt_url_names_a_broker(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None  # set but empty: MQTT off, as when unset
        value = value.strip()
        try:
            parts = urlsplit(value)
            host, _port = parts.hostname, parts.port
        except ValueError:
            host = None
        else:
            if parts.scheme not in ("mqtt", "mqtts") or parts.path not in ("", "/"):
                host = None
        if not host or parts.query or parts.fragment:
            raise ValueError(
                "must be mqtt://[user:password@]host[:port] (or mqtts:// for TLS),"
                " such as mqtt://dockwatch:secret@127.0.0.1:1883"
            )
        return value

    @field_validator("mqtt_topic_prefix", "mqtt_discovery_prefix")
    @classmethod
    def _topic_prefix(cls, value: str) -> str:
        # A prefix is the start of every topic published: no wildcard, no empty level.
        value = value.strip()
        if not value or "+" in value or "#" in value or "\x00" in value or "//" in value:
            raise ValueError("must be an MQTT topic without wildcards (+, #), such as dockwatch")
        if value.startswith("/") or value.endswith("/"):
            raise ValueError("must not start or end with / (such as dockwatch or home/dockwatch)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value


def describe_error(error: ValidationError) -> str:
    """One line naming the first bad variable and why it is bad."""
    first = error.errors()[0]
    name = ENV_PREFIX + str(first["loc"][0]).upper() if first["loc"] else ENV_PREFIX
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"invalid setting {name}: {message}"


def setting_names() -> list[str]:
    """Every setting's environment variable (``DOCKWATCH_UPSTREAM_URL`` …), in field order."""
    return [ENV_PREFIX + name.upper() for name in Settings.model_fields]


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """One warning line per ``DOCKWATCH_*`` variable in ``environ`` that is no setting.

    Each names the closest setting when one is close (``difflib``): ``DOCKWATCH_RATE_LIMT_PER_HOUR``
    → "… (did you mean DOCKWATCH_RATE_LIMIT_PER_HOUR?)". The value is never quoted (it may be a
    secret). Names dockwatch reads besides its settings (``NOT_SETTINGS``) pass.
    """
    known = setting_names()
    # Compared without the common prefix, which would make any two names look alike.
    suffixes = {name.removeprefix(ENV_PREFIX): name for name in known}
    lines = []
    for name in sorted(environ):
        upper = name.upper()
        if (
            not upper.startswith(ENV_PREFIX)
            or upper in known
            or upper in NOT_SETTINGS
            or upper.startswith(NOT_SETTINGS_PREFIXES)
        ):
            continue
        close = difflib.get_close_matches(upper.removeprefix(ENV_PREFIX), suffixes, n=1)
        hint = f" (did you mean {suffixes[close[0]]}?)" if close else ""
        lines.append(f"unknown setting {name} is ignored{hint}")
    return lines


def variables_given(env_file: str = ".env") -> dict[str, str]:
    """The names the settings are read from: the environment's and the ``.env`` file's (values
    are not kept). An unreadable ``.env`` adds none (``load_settings`` reports it)."""
    names = dict.fromkeys(os.environ, "")
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError):
        names.update(dict.fromkeys(dotenv_values(env_file), ""))
    return names


def load_settings() -> Settings:
    """Build settings from the environment, raising SettingsError with a one-line message."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(describe_error(error)) from None
    except UnicodeDecodeError as error:
        raise SettingsError(
            f"cannot read the .env file: it is not UTF-8 text (byte {error.start})"
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
