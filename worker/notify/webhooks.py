"""Standard Webhooks: sign a CloudEvent and POST it to one endpoint, once.

The body is the CloudEvent as compact JSON (``application/cloudevents+json``, structured mode).
Headers follow the Standard Webhooks specification: ``webhook-id`` (the CloudEvent id, so
receivers deduplicate), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`` keyed with the base64-decoded part of
the ``whsec_`` secret), computed by the ``standardwebhooks`` package; a receiver verifies with
``standardwebhooks.Webhook(secret).verify(body, headers)``. Redirects are not followed (a 3xx
is a failure). Retrying is ``worker.notify.webhook_delivery``'s job; ``post_event`` tries once.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from standardwebhooks import Webhook

from models.ll2.formats import format_instant
from models.support.clock import Clock, utc_now
from models.support.compact_json import compact_json
from worker.upstream.deadline import DeadlineExceeded, send_within
from worker.upstream.retry import parse_retry_after

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24  # the specification asks for 24 to 64 random bytes
CONTENT_TYPE = "application/cloudevents+json"
TEST_TYPE = "dockwatch.webhook.test"
USER_AGENT = "dockwatch-webhooks"


class SecretError(ValueError):
    """A ``whsec_`` secret that cannot sign; the message is one line."""


@dataclass(frozen=True, slots=True)
class PostResult:
    """One attempt's answer: the HTTP status (None when none came, ``error`` says why) and a
    ``Retry-After`` in seconds, if the endpoint sent one."""

    status: int | None
    error: str | None = None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        """Whether the endpoint accepted the notification (any 2xx)."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """Whether the endpoint answered 410 Gone: it asks to be disabled."""
        return self.status == httpx.codes.GONE


def new_secret() -> str:
    """A fresh ``whsec_…`` secret (24 random bytes, base64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_secret(secret: str) -> str:
    """The secret if it is ``whsec_`` plus base64 of 24 to 64 bytes; raises SecretError."""
    if not secret.startswith(SECRET_PREFIX):
        raise SecretError(f"a webhook secret starts with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise SecretError("a webhook secret is whsec_ followed by base64") from None
    if not 24 <= len(key) <= 64:
        raise SecretError(f"a webhook secret holds 24 to 64 bytes, this one {len(key)}")
    return secret


def signed_headers(secret: str, msg_id: str, body: str, now: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers (and content type) for ``body`` sent at ``now``."""
    stamp = dt.datetime.fromtimestamp(int(now.timestamp()), dt.UTC)
    return {
        "content-type": CONTENT_TYPE,
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, stamp, body),
    }


def post_event(
    http: httpx.Client, url: str, secret: str, event: dict[str, Any], *, clock: Clock = utc_now
) -> PostResult:
    """POST one signed CloudEvent; never raises for the endpoint's faults.

    The client's timeout bounds the whole attempt, connect to the answer's last byte
    (``send_within``): an answer still arriving then is no delivery. A transport error (refused,
    timeout, TLS…) is a result with ``status`` None and a one-line ``error`` naming its kind,
    never the URL (which may carry a token in its query string).
    """
    body = compact_json(event)
    headers = signed_headers(secret, str(event["id"]), body, clock())
    request = http.build_request("POST", url, content=body.encode(), headers=headers)
    try:
        response = send_within(http, request)
    except httpx.HTTPError as error:
        return PostResult(None, _error_line(error))
    retry_after = parse_retry_after(response.headers.get("retry-after"), time.time())
    return PostResult(response.status_code, None, retry_after)


def probe_event(endpoint_id: int, now: dt.datetime) -> dict[str, Any]:
    """A CloudEvent of type ``dockwatch.webhook.test`` for ``dockwatch webhooks test``."""
    return {
        "specversion": "1.0",
        "id": f"test-{endpoint_id}-{secrets.token_hex(8)}",
        "source": "dockwatch",
        "type": TEST_TYPE,
        "subject": str(endpoint_id),
        "time": format_instant(now),
        "datacontenttype": "application/json",
        "data": {"message": "a test delivery from dockwatch webhooks test"},
    }


def _error_line(error: httpx.HTTPError) -> str:
    # httpx's messages can quote the URL; the kind of error is what the operator needs.
    kind = type(error).__name__
    if isinstance(error, DeadlineExceeded):
        return f"{kind}: {error}"
    if isinstance(error, httpx.TimeoutException):
        return f"{kind}: no answer in time"
    if isinstance(error, httpx.ConnectError):
        return f"{kind}: connection failed"
    return kind
