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
from urllib.parse import urlsplit

import pytest
from celery.bin.celery import celery as celery_cli
from click.testing import CliRunner
from ruamel.yaml import YAML

from settings import Settings, setting_names, unknown_variables
from tests.docs_helpers import documentation
from worker.cli import main as dockwatch_cli

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
README = documentation()  # the README and its docs/ pages


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
    shared = dict(SERVICES["relay"]["environment"])
    del shared["DOCKWATCH_MQTT_URL"]  # the only one the publisher sets itself
    assert shared.items() <= mqtt["environment"].items()


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


def dockwatch_services() -> dict[str, Any]:
    """The services running the dockwatch image (every one but the two stores)."""
    return {n: s for n, s in SERVICES.items() if "dockwatch" in str(s.get("image", ""))}


# The settings compose sets itself (the stack's own stores) or passes on as an interpolation.
SET_BY_COMPOSE = {"DOCKWATCH_DATABASE_URL", "DOCKWATCH_REDIS_URL", "DOCKWATCH_API_TOKEN"}


def test_every_service_passes_every_setting_through() -> None:
    services = dockwatch_services()
    assert {"migrate", "worker", "beat", "relay", "webhooks", "mirror"} <= set(services)
    for name, service in services.items():
        environment = service["environment"]
        assert isinstance(environment, dict), name
        assert set(setting_names()) <= set(environment), name
        # A name without a value passes the host's variable through (unset stays unset): no
        # default of Settings is repeated here, none goes stale.
        passed = {key for key, value in environment.items() if value is None}
        own = {"DOCKWATCH_MQTT_URL"} if name == "mqtt" else set()  # its broker: the stack's
        assert passed == set(setting_names()) - SET_BY_COMPOSE - own, name
        assert environment["DOCKWATCH_REDIS_URL"] == "redis://redis:6379/0", name
        assert "@postgres:5432/" in environment["DOCKWATCH_DATABASE_URL"], name


def published(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A service's short-syntax ports as (host address, host port, container port)."""
    found = []
    for entry in service.get("ports") or []:
        match = re.fullmatch(r"(?:([\d.]+):)?(\$\{\w+:-\d+\}|\d+):(\d+)", str(entry))
        assert match, f"a short-syntax port: {entry}"
        found.append((match.group(1) or "0.0.0.0", match.group(2), match.group(3)))
    return found


def test_redis_is_published_on_loopback_at_the_default_redis_port() -> None:
    # The README's subscribe examples use the default DOCKWATCH_REDIS_URL on the host.
    default_port = str(urlsplit(Settings.model_fields["redis_url"].default).port)
    [(address, host_port, container_port)] = published(SERVICES["redis"])
    assert address == "127.0.0.1"  # Redis has no password in the stack: never on the network
    assert host_port == "${DOCKWATCH_REDIS_PORT:-" + default_port + "}"
    assert container_port == "6379"
    assert "127.0.0.1:6379" in README
    assert "DOCKWATCH_REDIS_PORT" in README
    # compose reads these from the shell dockwatch runs in too: no "unknown setting" warning.
    assert unknown_variables({"DOCKWATCH_REDIS_PORT": "1", "DOCKWATCH_MIRROR_PORT": "1"}) == []


def test_the_image_alone_writes_its_database_where_its_user_may_and_the_readme_says_how() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    # The default command runs on the default SQLite URL, a file in the working directory.
    assert dockerfile_cmd()[:2] == ["dockwatch", "run"]
    assert Settings.model_fields["database_url"].default == "sqlite:///./dockwatch.db"
    user = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)[-1]
    workdir = re.findall(r"^WORKDIR (\S+)$", dockerfile, re.MULTILINE)[-1]
    assert re.search(rf"chown {user}:{user} {re.escape(workdir)}\s*$", dockerfile, re.MULTILINE)
    # It needs a Redis: the README shows the image run alone with one.
    image = SERVICES["worker"]["image"]
    runs = [
        block
        for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL)
        if "docker run" in block and image in block
    ]
    assert runs, f"the README runs {image} with docker run"
    assert "-e DOCKWATCH_REDIS_URL=redis://" in runs[0]
    assert f"-v dockwatch-data:{workdir}" in runs[0]


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
