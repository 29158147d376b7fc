"""Every Redis key name dockwatch owns, derived from ``DOCKWATCH_KEY_PREFIX``: the one home.

The notification stream is named on its own (``DOCKWATCH_STREAM``; its dead letters and groups
in ``models.fleet.stream``); everything else lives under ``<prefix>:``:

- ``<prefix>:budget`` — the sorted set of upstream sends in the sliding hour;
- ``<prefix>:not_before`` — upstream's Retry-After, honoured by every process;
- ``<prefix>:unreachable:<upstream tag>`` — the back-off after connection failures, per upstream
  (the tag is the first 16 hex digits of the SHA-256 of the redacted upstream URL: a key never
  holds a URL or a credential);
- ``<prefix>:sync-lock`` — the fleet-wide single-flight sync lock;
- ``<prefix>:data-version`` — the Pub/Sub channel announcing a new data version;
- ``<prefix>:counters:<family>`` — the fleet-wide counter hashes;
- ``<prefix>:…`` under Celery's ``global_keyprefix`` — its queue ``<prefix>:tasks`` and kombu's
  bindings.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from models.support.redact import redact_url

# Celery's queue, under the prefix as ``<prefix>:tasks``.
TASK_QUEUE = "tasks"
# What follows ``<prefix>:`` in a key ``FleetKeys`` names.
_OWNED = re.compile(
    rf"budget|not_before|unreachable:[0-9a-f]{{16}}|sync-lock|data-version|counters:\w+"
    rf"|{TASK_QUEUE}|_kombu\..+|unacked(_index|_mutex)?"
)


def upstream_tag(upstream_url: str) -> str:
    """A short, stable name of an upstream for key names: 16 hex digits of the SHA-256 of its
    redacted URL."""
    return hashlib.sha256(redact_url(upstream_url).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class FleetKeys:
    """The key names of one deployment (``prefix`` is ``DOCKWATCH_KEY_PREFIX``)."""

    prefix: str

    @property
    def budget(self) -> str:
        """The sorted set of upstream sends (members are send ids, scores epoch seconds)."""
        return f"{self.prefix}:budget"

    @property
    def not_before(self) -> str:
        """Upstream's Retry-After deadline (epoch seconds)."""
        return f"{self.prefix}:not_before"

    def unreachable(self, upstream_url: str) -> str:
        """The connection-failure back-off learnt from ``upstream_url``."""
        return f"{self.prefix}:unreachable:{upstream_tag(upstream_url)}"

    @property
    def sync_lock(self) -> str:
        """The fleet-wide single-flight sync lock."""
        return f"{self.prefix}:sync-lock"

    @property
    def data_version(self) -> str:
        """The Pub/Sub channel on which writers announce a new data version."""
        return f"{self.prefix}:data-version"

    def counters(self, family: str) -> str:
        """The hash holding the counter family named ``family``."""
        return f"{self.prefix}:counters:{family}"

    @property
    def celery(self) -> str:
        """Celery's ``global_keyprefix``: every key it writes starts with it."""
        return f"{self.prefix}:"

    def owns(self, key: str) -> bool:
        """Whether ``key`` is one of the names above, Celery's queue and kombu's bookkeeping
        (``_kombu.*``, ``unacked*``) included."""
        if not key.startswith(self.celery):
            return False
        return _OWNED.fullmatch(key.removeprefix(self.celery)) is not None
