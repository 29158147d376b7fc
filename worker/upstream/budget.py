"""The shared upstream request budget: at most N requests in any sliding window, fleet-wide.

Every process (workers, beat, ``dockwatch sync``) spends from one Redis sorted set of send times,
checked and recorded by a single Lua script so two processes can never both take the last slot.
A 429/503 ``Retry-After`` is stored next to it as a fleet-wide "not before". Time comes from an
injected clock, passed to the script as an argument (not Redis ``TIME``), so tests can drive it.

The budget counts requests that may have reached upstream. A slot is taken before each send
(taking it only once connected would need a hook inside httpx's connection pool, and two
processes could then both connect for the last slot); a send that provably never left (the
connection was refused, the name did not resolve, the connect timed out) gives its slot back
with ``refund``. Such failures are not free of consequence, though: each request that still
failed that way after its retries is counted in a fleet-wide back-off next to the "not before"
(``unreachable``), and no process sends anything before its deadline (30 s doubling per failure
in a row, at most 15 min), so polls against a dead network do not spin. Any answer from upstream
clears it. The back-off belongs to the upstream it was learnt from: its key ends with the
``upstream_tag`` (``models.fleet.keys``) of the upstream URL, so a corrected
``DOCKWATCH_UPSTREAM_URL`` starts without one. ``clear_holds`` (``dockwatch budget reset``) ends
the back-off and the "not before" at once; the slots stay, since each one is a request upstream
may have counted.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis import Redis

from models.fleet.keys import FleetKeys
from models.fleet.readings import BudgetUsage, Unreachable
from worker.upstream.errors import BudgetExhausted, UpstreamBackoff

# KEYS: budget zset, not-before string, unreachable hash.
# ARGV: now, count_after (now - window), prune_upto (now - 2 * window), limit, member, ttl_ms.
# Scores are passed on as the caller's strings: Lua numbers print with 14 digits only, which would
# round an epoch to 1e-4 s. Pruning keeps a second window of history so a process whose clock lags
# another one's (clock skew, or a stale read) still sees every send inside its own window.
# Returns {2, until, failures, cause} while the unreachable back-off holds; {1, failures or "", ""}
# when recorded; else {0, not_before or "", score of the send whose expiry frees the next slot
# or ""}.
_ACQUIRE = """
local failures = redis.call('HGET', KEYS[3], 'failures')
local backoff = redis.call('HGET', KEYS[3], 'until')
if backoff and tonumber(backoff) > tonumber(ARGV[1]) then
  return {2, backoff, failures or '0', redis.call('HGET', KEYS[3], 'error') or ''}
end
local nb = redis.call('GET', KEYS[2])
if nb and tonumber(nb) <= tonumber(ARGV[1]) then
  nb = false
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local used = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[2], '+inf')
local limit = tonumber(ARGV[4])
if used < limit and not nb then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  return {1, failures or '', ''}
end
local freeing = {}
if used >= limit then
  freeing = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf', 'WITHSCORES',
    'LIMIT', used - limit, 1)
end
return {0, nb or '', freeing[2] or ''}
"""

# KEYS: not-before string. ARGV: epoch, now, ttl_ms. Keeps the later of the stored and new value.
_DEFER = """
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then
  return current
end
if tonumber(ARGV[1]) <= tonumber(ARGV[2]) then
  return current or ''
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return ARGV[1]
"""

# KEYS: unreachable hash. ARGV: now, first back-off, longest back-off, cause, ttl_ms.
# Counts one more failure in a row and sets its deadline; returns {failures, until, since}.
_UNREACHABLE = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local wait = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ math.min(failures - 1, 30))
local deadline = string.format('%.6f', tonumber(ARGV[1]) + wait)
redis.call('HSETNX', KEYS[1], 'since', ARGV[1])
redis.call('HSET', KEYS[1], 'until', deadline, 'error', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {failures, deadline, redis.call('HGET', KEYS[1], 'since')}
"""

# The unreachable back-off: the first deadline after a failure, doubled per failure in a row up
# to the longest. Short enough that a brief network blip costs one poll, long enough that a dead
# network costs no more than a few attempts an hour.
BACKOFF_FIRST_SECONDS = 30.0
BACKOFF_LONGEST_SECONDS = 900.0
# The back-off state outlives its deadline by this much, then a new failure starts over.
_BACKOFF_MEMORY_SECONDS = 3600.0

# Real-time slack on key expiry so a key never vanishes while the (possibly skewed) clock of some
# process still needs it.
_EXPIRY_SLACK_SECONDS = 60.0


@dataclass(frozen=True)
class Cleared:
    """What ``clear_holds`` ended: the back-off and upstream's "not before", each if it held."""

    unreachable: Unreachable | None
    not_before: float | None  # the epoch it held until


@dataclass(frozen=True)
class Slot:
    """One request's place in the budget: ``refund`` it if the request never left."""

    member: str
    # Failures in a row recorded before this request (0: upstream answered the last one).
    unreachable_failures: int = 0


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _ttl_ms(seconds: float) -> int:
    return max(1, int((seconds + _EXPIRY_SLACK_SECONDS) * 1000))


class RequestBudget:
    """At most ``limit_per_hour`` requests in any sliding ``window_seconds``, shared via Redis.

    ``upstream_url`` names the upstream whose unreachable back-off this budget reads and keeps
    (``<prefix>:unreachable:<upstream_tag>``); the send log and the "not before" are the
    prefix's.
    """

    def __init__(
        self,
        redis: Redis,
        key_prefix: str,
        limit_per_hour: int,
        clock: Callable[[], float] = time.time,
        window_seconds: float = 3600,
        *,
        upstream_url: str,
    ) -> None:
        if limit_per_hour < 1:
            raise ValueError("limit_per_hour must be at least 1")
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self._redis = redis
        self._clock = clock
        self.limit = limit_per_hour
        self.window_seconds = float(window_seconds)
        keys = FleetKeys(key_prefix)
        self.budget_key = keys.budget
        self.not_before_key = keys.not_before
        self.unreachable_key = keys.unreachable(upstream_url)
        self._acquire = redis.register_script(_ACQUIRE)
        self._defer = redis.register_script(_DEFER)
        self._unreachable = redis.register_script(_UNREACHABLE)

    def __repr__(self) -> str:
        return f"RequestBudget(key={self.budget_key!r}, limit={self.limit})"

    def acquire(self) -> Slot:
        """Record one request now, or raise without recording anything.

        Raises ``BudgetExhausted`` when the window is full or upstream's "not before" holds, and
        ``UpstreamBackoff`` while the unreachable back-off holds.
        """
        now = self._clock()
        window = self.window_seconds
        member = f"{now!r}:{uuid.uuid4().hex}"
        reply: list[Any] = self._acquire(
            keys=[self.budget_key, self.not_before_key, self.unreachable_key],
            args=[
                repr(now),
                repr(now - window),
                repr(now - 2 * window),
                self.limit,
                member,
                _ttl_ms(2 * window),
            ],
        )
        if int(reply[0]) == 2:
            raise UpstreamBackoff(float(_text(reply[1])), int(_text(reply[2])), _text(reply[3]))
        if int(reply[0]) == 1:
            return Slot(member, int(_text(reply[1]) or 0))
        not_before, freeing = _text(reply[1]), _text(reply[2])
        candidates = [float(not_before)] if not_before else []
        if freeing:
            candidates.append(float(freeing) + window)
        resume_at = max(candidates, default=now + window)
        # Held back by upstream's deadline rather than by the hour's count of requests.
        throttled = bool(not_before) and float(not_before) >= resume_at
        raise BudgetExhausted(resume_at, throttled=throttled)

    def refund(self, slot: Slot) -> None:
        """Give back the slot of a request that never left (it cannot have reached upstream)."""
        self._redis.zrem(self.budget_key, slot.member)

    def note_unreachable(self, error: str) -> Unreachable:
        """Count one more request in a row that never reached upstream (``error`` names its
        cause in words); returns the back-off."""
        now = self._clock()
        failures, until, since = self._unreachable(
            keys=[self.unreachable_key],
            args=[
                repr(now),
                BACKOFF_FIRST_SECONDS,
                BACKOFF_LONGEST_SECONDS,
                error,
                _ttl_ms(BACKOFF_LONGEST_SECONDS + _BACKOFF_MEMORY_SECONDS),
            ],
        )
        return Unreachable(
            failures=int(failures),
            since=float(_text(since)),
            until=float(_text(until)),
            error=error,
        )

    def note_reachable(self) -> None:
        """Upstream answered: the unreachable back-off ends for every process."""
        self._redis.delete(self.unreachable_key)

    def clear_holds(self) -> Cleared:
        """End this upstream's unreachable back-off and upstream's "not before" now, returning
        what held (an expired "not before" counts as none). The send log stays: its slots
        are requests upstream may have counted."""
        now = self._clock()
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(self.unreachable_key)
        pipe.get(self.not_before_key)
        pipe.delete(self.unreachable_key, self.not_before_key)
        raw_unreachable, raw_not_before, _deleted = pipe.execute()
        not_before = float(_text(raw_not_before)) if raw_not_before is not None else None
        if not_before is not None and not_before <= now:
            not_before = None
        return Cleared(_unreachable_of(raw_unreachable), not_before)

    def defer_until(self, epoch: float) -> None:
        """Persist a fleet-wide "send nothing before ``epoch``"; a later stored value wins."""
        now = self._clock()
        self._defer(
            keys=[self.not_before_key],
            args=[repr(float(epoch)), repr(now), _ttl_ms(epoch - now)],
        )

    def usage(self) -> BudgetUsage:
        """Sends in the current window, what is left, and when the next send is allowed."""
        now = self._clock()
        pipe = self._redis.pipeline(transaction=True)
        window_start = f"({now - self.window_seconds!r}"
        pipe.zrangebyscore(self.budget_key, window_start, "+inf", withscores=True)
        pipe.get(self.not_before_key)
        pipe.hgetall(self.unreachable_key)
        entries, raw_not_before, raw_unreachable = pipe.execute()
        scores = sorted(float(score) for _member, score in entries)
        used = len(scores)
        not_before = float(_text(raw_not_before)) if raw_not_before is not None else None
        if not_before is not None and not_before <= now:
            not_before = None
        next_slot_at = None
        if used >= self.limit:
            next_slot_at = scores[used - self.limit] + self.window_seconds
        if not_before is not None:
            next_slot_at = max(next_slot_at or not_before, not_before)
        unreachable = _unreachable_of(raw_unreachable)
        if unreachable is not None and unreachable.until > now:
            next_slot_at = max(next_slot_at or unreachable.until, unreachable.until)
        return BudgetUsage(
            used=used,
            limit=self.limit,
            left=max(0, self.limit - used),
            next_slot_at=next_slot_at,
            not_before=not_before,
            unreachable=unreachable,
        )


def _unreachable_of(raw: dict[Any, Any]) -> Unreachable | None:
    """The back-off from its Redis hash (None when absent or half-written)."""
    fields = {_text(key): _text(value) for key, value in raw.items()}
    try:
        return Unreachable(
            failures=int(fields["failures"]),
            since=float(fields["since"]),
            until=float(fields["until"]),
            error=fields.get("error", ""),
        )
    except (KeyError, ValueError):
        return None
