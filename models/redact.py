"""Keeping secrets out of text: credentials in URLs and known secret values.

Every URL dockwatch may print (upstream, Redis, database, webhook endpoints) goes through
``redact_url`` first; messages that may quote a driver's error go through ``redact_text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***"
# ``scheme://user:password@`` (or ``scheme://token@``) anywhere in a text.
_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]*)@")


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (user names stay; a query string stays).

    ``postgresql+psycopg://dock:s3cret@db/x`` → ``postgresql+psycopg://dock:***@db/x``. A URL
    that cannot be parsed is redacted as text.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return redact_text(url)
    if password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{REDACTED}@{host}"))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL passwords and every value of ``secrets`` replaced by ``***``."""

    def userinfo(match: re.Match[str]) -> str:
        user, colon, _ = match["userinfo"].partition(":")
        return f"{match['scheme']}{user}{':' + REDACTED if colon else ''}@"

    text = _CREDENTIALS.sub(userinfo, text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def without_credentials(url: str) -> str:
    """The URL with no user information and no query string: fit for a log line or a source.

    ``https://user:secret@hook.example/in?token=x`` → ``https://hook.example/in``.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return redact_text(url.split("?", 1)[0])
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
