"""The MQTT publisher against the real Mosquitto on 127.0.0.1:1883: Home Assistant's discovery,
the retained state after a fill, a docking, an undocking and a removal, and the events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from sqlalchemy.engine import Engine
from sqlmodel import Session

from fake_upstream import FakeUpstream
from harness.mqtt_listener import MqttListener, clear_retained, retained_now
from harness.sync_rig import SyncHarness
from models.store.docked import docked_now
from settings import Settings
from tests.run_helpers import wait_until
from tests.worker.mqtt_helpers import filters, mqtt_settings, own_topics, publishing
from tests.worker.notifications import DOCKED, remove, sync, upstream_event
from worker.bootstrap import build_relay
from worker.notify.mqtt.state import MAX_STATE
from worker.notify.mqtt.topics import Topics

TIANGONG = 18
PORT = 40
UNDOCKED = DOCKED.replace(month=12)
AGENCY = "China Aerospace Science and Technology Corporation"


@pytest.fixture
def topics() -> Iterator[Topics]:
    """Prefixes of this test's own; their retained topics are cleared afterwards."""
    own = own_topics()
    yield own
    clear_retained(filters(own))


@pytest.fixture
def settings(topics: Topics, redis_prefix: str) -> Settings:
    return mqtt_settings(topics, redis_prefix=redis_prefix)


def relay(settings: Settings, engine: Engine, client: redis.Redis) -> None:
    """Publish the outbox to the stream, as the sync does after its commit."""
    build_relay(settings, engine, client).publish_pending()


def retained(topics: Topics) -> dict[str, Any]:
    """What the broker retains under the prefixes, parsed."""
    return {topic: parsed(payload) for topic, payload in retained_now(filters(topics)).items()}


def parsed(payload: bytes) -> Any:
    """JSON payloads parsed; the availability's ``online``/``offline`` as text."""
    return json.loads(payload) if payload[:1] in (b"{", b"[") else payload.decode()


def port_topic(topics: Topics, port: int = PORT) -> str:
    return topics.port(TIANGONG, port)


def test_a_docking_an_undocking_and_a_removal_reach_the_broker(
    engine: Engine, settings: Settings, topics: Topics, redis_client: redis.Redis
) -> None:
    with MqttListener(filters(topics)) as listener, publishing(settings, engine):
        listener.wait_for(lambda m: m.topic == topics.status and m.payload == b"online", "online")

        sync(engine, [upstream_event(9001, location_id=PORT)])
        relay(settings, engine, redis_client)
        docked = listener.wait_for(
            lambda m: m.topic == topics.station_events(TIANGONG), "the docked event"
        ).json()
        wait_until(
            lambda: (retained(topics).get(port_topic(topics)) or {}).get("vehicle"), "port state"
        )
        after_docking = retained(topics)

        sync(engine, [upstream_event(9001, location_id=PORT, departure=UNDOCKED)])
        relay(settings, engine, redis_client)
        wait_until(
            lambda: retained(topics)[port_topic(topics)]["state"] == "empty", "the empty port"
        )
        after_undocking = retained(topics)

        remove(engine, [9001])
        relay(settings, engine, redis_client)
        wait_until(
            lambda: retained(topics)[topics.last_docking(TIANGONG)]["state"] is None,
            "the removal's state",
        )
        after_removal = retained(topics)
        kinds = [
            m.json()["event_type"]
            for m in listener.wait_for_all(topics.station_events(TIANGONG), 3)
        ]
        cloudevents = [m.json() for m in listener.wait_for_all(topics.events, 3)]
        retained_events = [m for m in listener.messages if "event" in m.topic and m.retain]

    assert docked == {
        "event_type": "docked",
        "event_id": 9001,
        "vehicle": "Tianzhou-8",
        "port": f"Port {PORT}",
        "station": "Tiangong space station",
        "time": "2024-11-15T18:32:00Z",
        "id": cloudevents[0]["id"],
    }
    assert kinds == ["docked", "undocked", "removed"]
    assert [e["type"] for e in cloudevents] == [
        "docking_event.docked",
        "docking_event.undocked",
        "docking_event.removed",
    ]
    assert retained_events == []
    # Retained, as a new subscriber (Home Assistant after a restart) finds them.
    assert after_docking[port_topic(topics)] == {
        "state": "Tianzhou-8",
        "vehicle": "Tianzhou-8",
        "flight": 864,
        "launch_id": upstream_event()["launch_id"],
        "since": "2024-11-15T18:32:00Z",
        "agency": AGENCY,
        "event_id": 9001,
    }
    docked_list = after_docking[topics.docked(TIANGONG)]
    assert (docked_list["state"], docked_list["count"]) == (1, 1)
    assert [(v["vehicle"], v["port"]) for v in docked_list["vehicles"]] == [
        ("Tianzhou-8", f"Port {PORT}")
    ]
    assert after_docking[topics.last_docking(TIANGONG)]["state"] == "2024-11-15T18:32:00Z"
    assert after_docking[topics.last_undocking(TIANGONG)]["state"] is None
    assert after_docking[topics.status] == "online"

    assert after_undocking[port_topic(topics)]["vehicle"] is None
    assert after_undocking[topics.docked(TIANGONG)]["count"] == 0
    assert after_undocking[topics.last_undocking(TIANGONG)]["state"] == "2024-12-15T18:32:00Z"
    assert after_undocking[topics.last_undocking(TIANGONG)]["vehicle"] == "Tianzhou-8"

    assert after_removal[topics.docked(TIANGONG)]["count"] == 0
    assert after_removal[topics.last_undocking(TIANGONG)]["state"] is None
    assert group_settled(redis_client, settings, topics)


def group_settled(client: redis.Redis, settings: Settings, topics: Topics) -> bool:
    """Every entry of the stream was delivered to the publisher's group and acknowledged."""
    groups: Any = client.xinfo_groups(settings.stream)
    [group] = [g for g in groups if g["name"] == f"mqtt:{topics.prefix}".encode()]
    stream: Any = client.xinfo_stream(settings.stream)
    return bool(group["pending"] == 0 and group["last-delivered-id"] == stream["last-generated-id"])


def filled(engine: Engine, fake: FakeUpstream, redis_prefix: str) -> None:
    """The first fill of the fake upstream (650 events, 12 docked now)."""
    rig = SyncHarness(engine, fake, redis_prefix)
    try:
        rig.fill()
    finally:
        rig.close()


def test_after_a_fill_every_port_shows_its_occupant_as_the_live_page_does(
    engine: Engine, settings: Settings, topics: Topics, fake: FakeUpstream, redis_prefix: str
) -> None:
    filled(engine, fake, redis_prefix)
    with Session(engine) as session:
        live = docked_now(session)
    with publishing(settings, engine):
        held = wait_until(
            lambda: (found := retained(topics)).get(topics.freshness) and found, "the state"
        )
    occupants = {
        topic: payload
        for topic, payload in held.items()
        if "/port/" in topic and payload["vehicle"] is not None
    }
    assert len(live) == 12
    assert {
        topics.port(d.station_id, d.port_id): (d.vehicle, d.event_id)
        for d in live
        if d.station_id is not None and d.port_id is not None
    } == {topic: (p["vehicle"], p["event_id"]) for topic, p in occupants.items()}
    stations = {d.station_id for d in live}
    counts = {
        station: held[topics.docked(station)]["count"]
        for station in stations
        if station is not None
    }
    assert counts == {s: sum(1 for d in live if d.station_id == s) for s in counts}
    assert held[topics.freshness]["state"] == fake.now.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_discovery_describes_one_device_per_station_with_every_documented_field(
    engine: Engine, settings: Settings, topics: Topics, fake: FakeUpstream, redis_prefix: str
) -> None:
    filled(engine, fake, redis_prefix)
    with publishing(settings, engine):
        held = wait_until(
            lambda: (found := retained_now(filters(topics))).get(topics.freshness) and found,
            "the discovery",
        )
    with Session(engine) as session:
        station_ids = {d.station_id for d in docked_now(session)}
    configs = {t: json.loads(p) for t, p in held.items() if t.startswith(topics.discovery)}
    assert set(configs) >= {topics.device_config(s) for s in station_ids if s is not None}
    assert all(t.endswith("/config") and "/device/" in t for t in configs)
    unique_ids: list[str] = []
    for topic, config in configs.items():
        device = config["dev"]
        device_id = topic.split("/")[-2]
        assert device["ids"] == [device_id]
        assert device["name"]
        assert device["mf"] == "dockwatch"
        assert device["sw"] == config["o"]["sw"]
        assert "via_device" not in device
        assert "via_device" not in config
        assert config["o"]["name"] == "dockwatch"
        assert config["availability_topic"] == topics.status
        assert (config["payload_available"], config["payload_not_available"]) == (
            "online",
            "offline",
        )
        components = config["cmps"]
        platforms = [c["p"] for c in components.values()]
        ports = [k for k in components if k.startswith("port_")]
        assert platforms.count("event") == 1
        assert platforms.count("sensor") == 4 + len(ports)
        for key, component in components.items():
            assert "object_id" not in component
            assert component["default_entity_id"].startswith(component["p"] + ".")
            assert component["default_entity_id"].split(".", 1)[1].replace("_", "").isalnum()
            assert component["state_topic"] in held or component["p"] == "event", key
            unique_ids.append(component["unique_id"])
            if component["p"] == "sensor":
                assert component["value_template"] == "{{ value_json.state }}"
                assert component["json_attributes_topic"] == component["state_topic"]
                state = json.loads(held[component["state_topic"]])["state"]
                assert state is None or len(str(state)) <= MAX_STATE
        event = components["notification"]
        assert event["event_types"] == ["docked", "undocked", "updated", "removed"]
        assert event["state_topic"] not in held  # events are never retained
        for key in ("last_docking", "last_undocking", "freshness"):
            assert components[key]["device_class"] == "timestamp"
        assert components["docked"]["state_topic"].endswith("/docked")
    assert len(unique_ids) == len(set(unique_ids))


def test_a_state_longer_than_home_assistant_takes_is_cut_and_the_name_kept_whole(
    engine: Engine, settings: Settings, topics: Topics, redis_client: redis.Redis
) -> None:
    long_name = "Tianzhou-8 " + "x" * 300
    event = upstream_event(9002, location_id=PORT)
    event["flight_vehicle"]["spacecraft"]["name"] = long_name
    sync(engine, [event])
    with publishing(settings, engine):
        held = wait_until(lambda: retained(topics).get(port_topic(topics)), "the port's state")
    assert held["vehicle"] == long_name
    assert len(held["state"]) == MAX_STATE
    assert held["state"].startswith("Tianzhou-8 x")


def test_mqtt_5_publishes_the_same_state(engine: Engine, topics: Topics, redis_prefix: str) -> None:
    sync(engine, [upstream_event(9003, location_id=PORT)])
    settings = mqtt_settings(topics, redis_prefix=redis_prefix, protocol="5")
    with publishing(settings, engine):
        held = wait_until(lambda: retained(topics).get(port_topic(topics)), "the port's state")
    assert held["event_id"] == 9003


def test_a_clean_stop_leaves_the_entities_unavailable_and_their_state_kept(
    engine: Engine, settings: Settings, topics: Topics
) -> None:
    sync(engine, [upstream_event(9004, location_id=PORT)])
    with publishing(settings, engine):
        wait_until(lambda: retained(topics).get(port_topic(topics)), "the port's state")
    held = retained(topics)
    assert held[topics.status] == "offline"
    assert held[port_topic(topics)]["event_id"] == 9004


def test_a_retained_topic_someone_cleared_comes_back(
    engine: Engine, settings: Settings, topics: Topics
) -> None:
    sync(engine, [upstream_event(9005, location_id=PORT)])
    with publishing(settings, engine, republish_seconds=0.5):
        wait_until(lambda: retained(topics).get(port_topic(topics)), "the port's state")
        cleared = clear_retained([port_topic(topics), topics.device_config(TIANGONG)])
        assert port_topic(topics) not in retained(topics)
        back = wait_until(
            lambda: (
                (found := retained(topics)).get(port_topic(topics))
                and topics.device_config(TIANGONG) in found
                and found
            ),
            "the cleared topics back",
        )
    assert cleared == 2
    assert back[port_topic(topics)]["event_id"] == 9005
