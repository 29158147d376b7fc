"""A request that never left costs no budget; requests that keep failing so back off fleet-wide."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable

import httpx
import pytest

from tests.worker.client_doubles import PAGE, START, FakeTime, Upstream, json_reply
from worker.upstream.budget import (
    BACKOFF_FIRST_SECONDS,
    BACKOFF_LONGEST_SECONDS,
    RequestBudget,
)
from worker.upstream.client import UpstreamClient, unreachable_cause
from worker.upstream.errors import UpstreamBackoff, UpstreamUnavailable, UpstreamUnreachable

NEVER_LEFT = [
    httpx.ConnectError("[Errno 111] Connection refused"),
    httpx.ConnectError("[Errno -2] Name or service not known"),
    httpx.ConnectTimeout("timed out"),
]


@pytest.mark.parametrize("error", NEVER_LEFT, ids=["refused", "no-dns", "connect-timeout"])
def test_a_request_that_never_left_costs_no_budget(
    make_client: Callable[..., UpstreamClient],
    upstream: Upstream,
    budget: RequestBudget,
    error: httpx.TransportError,
) -> None:
    upstream.script(error)
    client = make_client(max_attempts=4)

    # The message names where it could not connect (and why: see the real sockets below).
    with pytest.raises(UpstreamUnreachable, match=r"failed: (cannot connect|connecting) to ll\."):
        client.get_list({})

    assert len(upstream.requests) == 4  # retried as any transport error is
    assert client.requests_made == 0
    usage = budget.usage()
    assert (usage.used, usage.left) == (0, 15)


def test_a_request_that_left_still_costs_its_slot(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, budget: RequestBudget
) -> None:
    upstream.script(httpx.ReadTimeout("no answer"))
    client = make_client(max_attempts=2)

    with pytest.raises(UpstreamUnavailable):
        client.get_list({})

    assert (client.requests_made, budget.usage().used) == (2, 2)
    assert budget.usage().unreachable is None


def test_failures_in_a_row_back_off_exponentially_up_to_the_cap_for_every_client(
    make_client: Callable[..., UpstreamClient],
    upstream: Upstream,
    budget: RequestBudget,
    fake_time: FakeTime,
) -> None:
    upstream.script(httpx.ConnectError("[Errno 111] Connection refused"))
    client, other = make_client(max_attempts=1), make_client(max_attempts=1)
    waits = []
    for _ in range(7):
        with pytest.raises(UpstreamUnreachable):
            client.get_list({})
        backoff = budget.usage().unreachable
        assert backoff is not None
        waits.append(backoff.until - fake_time.now)
        sent = len(upstream.requests)
        with pytest.raises(UpstreamBackoff) as refused:
            other.get_list({})  # another process: nothing is sent before the deadline
        assert len(upstream.requests) == sent
        assert refused.value.until == backoff.until
        fake_time.now = backoff.until  # the deadline itself is free again

    first, longest = BACKOFF_FIRST_SECONDS, BACKOFF_LONGEST_SECONDS
    assert waits == [first, 2 * first, 4 * first, 8 * first, 16 * first, longest, longest]
    assert refused.value.failures == 7
    assert budget.usage().used == 0


def test_an_answer_ends_the_back_off(
    make_client: Callable[..., UpstreamClient],
    upstream: Upstream,
    budget: RequestBudget,
    fake_time: FakeTime,
) -> None:
    upstream.script(httpx.ConnectError("refused"), json_reply(200, PAGE))
    client = make_client(max_attempts=1)
    with pytest.raises(UpstreamUnreachable):
        client.get_list({})
    failed = budget.usage()
    fake_time.now += BACKOFF_FIRST_SECONDS

    assert client.get_list({}) == PAGE

    assert failed.unreachable is not None
    assert (failed.unreachable.failures, failed.unreachable.since) == (1, START)
    assert failed.unreachable.error == "cannot connect to ll.example:443 (ConnectError: refused)"
    assert failed.next_slot_at == START + BACKOFF_FIRST_SECONDS
    assert budget.usage().unreachable is None
    assert budget.usage().used == 1


def test_a_refused_first_attempt_then_an_answer_costs_one_request(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, budget: RequestBudget
) -> None:
    upstream.script(httpx.ConnectError("refused"), json_reply(200, PAGE))
    client = make_client(max_attempts=3)

    assert client.get_list({}) == PAGE

    assert (client.requests_made, budget.usage().used) == (1, 1)
    assert budget.usage().unreachable is None


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("http://dockwatch-test.invalid/2.2.0/", r"^cannot resolve dockwatch-test\.invalid: "),
        ("http://127.0.0.1:{port}/2.2.0/", r"^127\.0\.0\.1:\d+ refused the connection$"),
    ],
    ids=["no-dns", "refused"],
)
def test_a_real_failure_to_connect_is_named_by_its_cause(url: str, cause: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the request
    target = httpx.URL(url.format(port=port))
    with httpx.Client() as http, pytest.raises(httpx.ConnectError) as caught:
        http.get(target)

    assert re.search(cause, unreachable_cause(caught.value, target))
