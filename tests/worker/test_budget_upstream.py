"""The unreachable back-off belongs to the upstream it was learnt from, and ``clear_holds``
(``dockwatch budget reset``) ends it and upstream's Retry-After hold but keeps spent slots."""

from __future__ import annotations

import pytest
import redis

from models.fleet.keys import upstream_tag
from worker.upstream.budget import RequestBudget
from worker.upstream.errors import BudgetExhausted, UpstreamBackoff

START = 1_000_000.0
WRONG = "https://ll.example.invalid/2.2.0"
RIGHT = "https://ll.thespacedevs.com/2.2.0"


def budget_of(client: redis.Redis, prefix: str, url: str) -> RequestBudget:
    return RequestBudget(client, prefix, 15, clock=lambda: START, upstream_url=url)


def test_a_back_off_learnt_from_one_url_does_not_hold_another(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    wrong = budget_of(redis_client, redis_prefix, WRONG)
    wrong.note_unreachable("cannot resolve ll.example.invalid")
    right = budget_of(redis_client, redis_prefix, RIGHT)

    with pytest.raises(UpstreamBackoff):
        wrong.acquire()
    right.acquire()  # a corrected URL starts without a back-off

    usage = right.usage()
    assert usage.unreachable is None
    assert (usage.used, usage.next_slot_at) == (1, None)
    assert wrong.usage().unreachable is not None


def test_the_back_off_key_names_the_upstream_by_a_hash_never_in_clear(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    url = "https://dock:s3cret@ll.example/2.2.0?token=t0ken"
    budget = budget_of(redis_client, redis_prefix, url)
    budget.note_unreachable("refused")

    [key] = [k.decode() for k in redis_client.scan_iter(f"{redis_prefix}:unreachable*")]
    assert key == f"{redis_prefix}:unreachable:{upstream_tag(url)}"
    assert len(upstream_tag(url)) == 16
    assert all(part not in key for part in ("s3cret", "t0ken", "ll.example", "dock"))
    # The hash is of the redacted URL: another password names the same upstream.
    assert upstream_tag(url.replace("s3cret", "other")) == upstream_tag(url)
    assert upstream_tag(RIGHT) != upstream_tag(WRONG)


def test_clear_holds_ends_the_back_off_and_the_hold_and_keeps_the_slots(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    budget = budget_of(redis_client, redis_prefix, RIGHT)
    for _ in range(3):
        budget.acquire()
    budget.defer_until(START + 600)
    budget.note_unreachable("refused")
    with pytest.raises(UpstreamBackoff):
        budget.acquire()

    cleared = budget.clear_holds()
    budget.acquire()
    again = budget.clear_holds()

    assert cleared.unreachable is not None
    assert (cleared.unreachable.failures, cleared.unreachable.error) == (1, "refused")
    assert cleared.not_before == START + 600
    assert (again.unreachable, again.not_before) == (None, None)
    assert budget.usage().used == 4  # the three spent slots stay, plus the one after


def test_clear_holds_leaves_the_budget_itself_full_when_it_is(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    budget = budget_of(redis_client, redis_prefix, RIGHT)
    for _ in range(15):
        budget.acquire()

    budget.clear_holds()

    with pytest.raises(BudgetExhausted):
        budget.acquire()
