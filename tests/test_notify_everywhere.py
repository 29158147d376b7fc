"""Under ``dockwatch run`` (real processes, real Redis, the fake upstream), one docking reaches a
webhook receiver (its signature verified with ``standardwebhooks``), an SSE client and the live
page open in Chromium."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from fake_upstream import FakeUpstream, make_event
from harness.sse import SseListener
from harness.webhook_receiver import WebhookReceiver
from tests.browser_helpers import chromium
from tests.cli_helpers import cli_env, run_cli
from tests.run_helpers import RunningJob, free_port, wait_until

pytestmark = pytest.mark.slow

HARMONY_FORWARD = 19
VEHICLE = "Cargo Dragon C299 (test)"


def test_one_docking_reaches_a_webhook_an_sse_client_and_the_live_page(
    database_url: str, redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = cli_env(database_url, redis_prefix, fake.base_url, DOCKWATCH_RATE_LIMIT_PER_HOUR="3600")
    job = RunningJob(env, ["run", "--port", str(port)], tmp_path)
    reader = SseListener(f"{base}/events?types=docking_event.docked")
    try:
        with WebhookReceiver() as receiver, chromium() as browser:
            wait_until(lambda: "first fill complete" in job.stderr(), "the first fill", 90)
            added = run_cli(env, "webhooks", "add", receiver.url, cwd=tmp_path)
            assert added.returncode == 0, added.stderr
            secret = json.loads(added.stdout)["secret"]
            reader.start()
            assert reader.connected.wait(30), "the SSE client connected"
            page = browser.new_page()
            page.goto(f"{base}/")
            page.wait_for_selector("#state:has-text('live')")

            event_id = max(fake.ids) + 1
            fake.add_event(
                make_event(
                    event_id,
                    fake.now,
                    location_id=HARMONY_FORWARD,
                    spacecraft_name=VEHICLE,
                    now=fake.now,
                )
            )

            [request] = receiver.wait_for(1, timeout=60)
            reader.wait_for(1, timeout=30)
            page.wait_for_selector(f'#docked tr[data-event-id="{event_id}"]', timeout=30_000)
            row = page.inner_text(f'#docked tr[data-event-id="{event_id}"]')
            logged = page.inner_text("#log li")
            endpoints: Any = json.loads(
                run_cli(env, "webhooks", "list", "--json", cwd=tmp_path).stdout
            )
    finally:
        reader.close()
        job.kill_everything()

    delivered: Any = Webhook(secret).verify(request.body, request.headers)
    assert (delivered["type"], delivered["subject"]) == ("docking_event.docked", str(event_id))
    assert request.headers["webhook-id"] == delivered["id"]
    sse = reader.events[0]
    assert sse.event == "docking_event.docked"
    assert sse.json() == delivered
    assert VEHICLE in row
    assert logged.startswith("docked")
    assert VEHICLE in logged
    assert endpoints[0]["delivered"] == 1
    assert endpoints[0]["last_status"] == 200
