"""Under ``dockwatch run`` with DOCKWATCH_MQTT_URL set (the real Mosquitto on 127.0.0.1:1883, the
fake upstream): a docking reaches the broker as an event and as retained port state, the
discovery describes one device per station, and a stop leaves the entities unavailable."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from fake_upstream import FakeUpstream, make_event
from harness.mqtt_listener import MqttListener, clear_retained, retained_now
from models.store.db import make_engine
from models.store.tables import SpaceStation
from tests.cli_helpers import cli_env
from tests.run_helpers import RunningJob, free_port, wait_until
from tests.worker.mqtt_helpers import filters, own_topics
from worker.notify.mqtt.topics import Topics

pytestmark = pytest.mark.slow

HARMONY_FORWARD = 19
VEHICLE = "Cargo Dragon C300 (mqtt test)"


@pytest.fixture
def topics() -> Iterator[Topics]:
    own = own_topics()
    yield own
    clear_retained(filters(own))


def test_a_docking_under_run_reaches_the_broker_as_retained_state_and_an_event(
    database_url: str, redis_prefix: str, fake: FakeUpstream, tmp_path: Path, topics: Topics
) -> None:
    port = free_port()
    env = cli_env(
        database_url,
        redis_prefix,
        fake.base_url,
        DOCKWATCH_RATE_LIMIT_PER_HOUR="3600",
        DOCKWATCH_MQTT_URL="mqtt://127.0.0.1:1883",
        DOCKWATCH_MQTT_TOPIC_PREFIX=topics.prefix,
        DOCKWATCH_MQTT_DISCOVERY_PREFIX=topics.discovery,
    )
    job = RunningJob(env, ["run", "--port", str(port)], tmp_path)
    try:
        with MqttListener(filters(topics)) as listener:
            wait_until(lambda: "first fill complete" in job.stderr(), "the first fill", 90)
            listener.wait_for(lambda m: m.topic == topics.status and m.payload == b"online", "on")
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
            cloudevent = listener.wait_for(
                lambda m: m.topic == topics.events and m.json()["subject"] == str(event_id),
                "the notification",
                60,
            ).json()
            station = cloudevent["data"]["docking_event"]["docking_location"]["spacestation"]
            port_topic = topics.port(station["id"], HARMONY_FORWARD)
            ha_event = listener.wait_for(
                lambda m: m.topic == topics.station_events(station["id"]), "the HA event"
            ).json()
            held = wait_until(
                lambda: (
                    (found := retained_now(filters(topics))).get(port_topic)
                    and json.loads(found[port_topic])["event_id"] == event_id
                    and found
                ),
                "the retained port state",
            )
        code = job.interrupt(signal.SIGINT)
    finally:
        job.kill_everything()
    after_stop = retained_now(filters(topics))

    assert code == 0, job.stderr()
    assert cloudevent["type"] == "docking_event.docked"
    assert (ha_event["event_type"], ha_event["vehicle"]) == ("docked", VEHICLE)
    assert json.loads(held[port_topic])["state"] == VEHICLE
    assert not listener.on(topics.station_events(station["id"]))[0].retain
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            stations = set(session.exec(select(SpaceStation.id)).all())
    finally:
        engine.dispose()
    devices = {t for t in held if t.startswith(f"{topics.discovery}/device/")}
    assert devices == {topics.device_config(s) for s in stations}
    assert after_stop[topics.status] == b"offline"
    assert json.loads(after_stop[port_topic])["state"] == VEHICLE
    assert "mqtt" in job.stderr()
