"""Keeping secrets out of text: credentials in URLs and known secret values.

Every URL dockwatch may print (upstream, Redis, database, webhook endpoints) goes through
``redact_url`` first; messages that may quote a driver's error go through ``redact_text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

REDACTED = "***"
# ``scheme://user:password@`` (or ``scheme://token@``) anywhere in a text.
_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]*)@")
# A query parameter carrying a secret (libpq's and redis-py's ``?password=``, tokens, keys).
_SECRET_PARAMETER = re.compile(
    r"(?P<name>[?&;](?:[\w.-]*(?:password|passwd|pwd|secret|token|apikey|api_key))=)[^&#\s]*",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (user names stay; a query string stays,
    but the value of a parameter named like a secret, such as ``?password=``, is ``***`` too).

    ``postgresql+psycopg://dock:s3cret@db/x`` → ``postgresql+psycopg://dock:***@db/x``;
    ``redis://host/0?password=s3cret`` → ``redis://host/0?password=***``. A URL that cannot be
    parsed is redacted as text.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return redact_text(url)
    url = _SECRET_PARAMETER.sub(rf"\g<name>{REDACTED}", url)
    if password is None:
        return url
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{REDACTED}@{host}"))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL passwords (in the user information or a secret-named query parameter)
    and every value of ``secrets`` replaced by ``***``."""

    def userinfo(match: re.Match[str]) -> str:
        user, colon, _ = match["userinfo"].partition(":")
        return f"{match['scheme']}{user}{':' + REDACTED if colon else ''}@"

    text = _CREDENTIALS.sub(userinfo, text)
    text = _SECRET_PARAMETER.sub(rf"\g<name>{REDACTED}", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def url_secrets(url: str) -> list[str]:
    """The secrets a URL carries: its password and the values of its secret-named parameters."""
    try:
        parts = urlsplit(url)
        found = [parts.password or ""]
    except ValueError:
        return []
    found += [
        value
        for name, value in parse_qsl(parts.query, keep_blank_values=False)
        if _SECRET_PARAMETER.match(f"?{name}=")
    ]
    return [secret for secret in found if secret]


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
