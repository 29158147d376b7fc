"""docker-compose.yml: valid Compose, real entry points, one beat, the token never baked in."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from celery.bin.celery import celery as celery_cli
from click.testing import CliRunner
from ruamel.yaml import YAML

from worker.cli import main as dockwatch_cli

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"


def load_compose() -> dict[str, Any]:
    return dict(YAML(typ="safe").load(COMPOSE.read_text()))


SERVICES: dict[str, Any] = load_compose()["services"]


def dockerfile_cmd() -> list[str]:
    match = re.search(r"^CMD (\[.*\])$", (REPO / "Dockerfile").read_text(), re.MULTILINE)
    assert match, "the Dockerfile has an exec-form CMD"
    return list(json.loads(match.group(1)))


def commands() -> list[tuple[str, list[str]]]:
    """Every command the stack runs: service commands, healthchecks, the image's default."""
    found = [("Dockerfile CMD", dockerfile_cmd())]
    for name, service in SERVICES.items():
        if "command" in service and "dockwatch" in str(service.get("image", "")):
            found.append((name, list(service["command"])))
        test = (service.get("healthcheck") or {}).get("test")
        if test and test[0] == "CMD" and test[1] == "dockwatch":
            found.append((f"{name} healthcheck", list(test[1:])))
    return found


def assert_entry_point(argv: list[str]) -> None:
    """The command resolves to real code: CLI commands accept their options (``--help``)."""
    program, args = argv[0], argv[1:]
    if program == "dockwatch":
        result = CliRunner().invoke(dockwatch_cli, [*args, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage: " in result.output
    elif program == "celery":
        assert args[:2] == ["-A", "worker.app"]
        app = importlib.import_module("worker.app").app
        assert {"dockwatch.sync_poll", "dockwatch.sync_sweep"} <= set(app.tasks)
        if "-S" in args:  # the scheduler class must import
            module, _, name = args[args.index("-S") + 1].partition(":")
            assert hasattr(importlib.import_module(module), name)
        result = CliRunner().invoke(celery_cli, [*args, "--help"])
        assert result.exit_code == 0, result.output
    elif program == "python":
        assert args[0] == "-m"
        module = importlib.import_module(args[1])
        assert callable(module.main)
    else:
        pytest.fail(f"unknown program {program}")


@pytest.mark.parametrize(("where", "argv"), commands(), ids=[w for w, _ in commands()])
def test_every_command_is_a_real_entry_point(where: str, argv: list[str]) -> None:
    assert_entry_point(argv)


def test_the_stack_has_its_services_and_exactly_one_beat() -> None:
    assert {"redis", "postgres", "migrate", "worker", "beat", "relay", "webhooks", "mirror"} <= set(
        SERVICES
    )
    assert SERVICES["webhooks"]["command"] == ["dockwatch", "webhooks", "deliver"]
    assert SERVICES["beat"]["deploy"]["replicas"] == 1
    assert "beat" in SERVICES["beat"]["command"]
    assert all("beat" not in SERVICES[s]["command"] for s in ("worker", "relay", "mirror"))
    assert SERVICES["mirror"]["command"][:2] == ["dockwatch", "serve"]
    assert "0.0.0.0" in SERVICES["mirror"]["command"]
    assert SERVICES["migrate"]["command"] == ["dockwatch", "db", "upgrade"]


def test_the_mqtt_publisher_runs_beside_its_own_broker() -> None:
    mqtt, broker = SERVICES["mqtt"], SERVICES["mosquitto"]
    assert mqtt["command"] == ["dockwatch", "mqtt"]
    assert (
        mqtt["environment"]["DOCKWATCH_MQTT_URL"] == "${DOCKWATCH_MQTT_URL:-mqtt://mosquitto:1883}"
    )
    assert mqtt["depends_on"]["mosquitto"]["condition"] == "service_healthy"
    assert str(broker["image"]).startswith("eclipse-mosquitto:2")
    assert "1883" in broker["ports"][0]
    # The image's listener for other containers (its default config listens on localhost only).
    assert broker["command"] == ["mosquitto", "-c", "/mosquitto-no-auth.conf"]
    # Every other dockwatch setting of the stack reaches the publisher too.
    assert SERVICES["relay"]["environment"].items() <= mqtt["environment"].items()


def test_services_wait_for_healthy_stores_and_a_finished_migration() -> None:
    for name in ("worker", "beat", "relay", "webhooks", "mirror", "mqtt"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["postgres"]["condition"] == "service_healthy", name
    for name, service in SERVICES.items():
        for needed, rule in (service.get("depends_on") or {}).items():
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[needed], f"{name} waits on {needed}'s health"
    for name in ("redis", "postgres", "worker", "mirror", "mosquitto"):
        assert "healthcheck" in SERVICES[name], name


def test_the_token_comes_from_the_environment_only() -> None:
    for name, service in SERVICES.items():
        token = (service.get("environment") or {}).get("DOCKWATCH_API_TOKEN")
        if "dockwatch" in str(service.get("image", "")):
            assert token == "${DOCKWATCH_API_TOKEN:-}", name
    assert "DOCKWATCH_API_TOKEN" not in (REPO / "Dockerfile").read_text()
    assert ".env" in (REPO / ".dockerignore").read_text().split()


def test_the_file_validates_against_the_compose_specification() -> None:
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert checker, "check-jsonschema comes with the dev extra"
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
