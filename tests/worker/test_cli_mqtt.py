"""``dockwatch mqtt`` and ``dockwatch run`` with a bad DOCKWATCH_MQTT_URL, none, or credentials
the broker refuses: one line naming DOCKWATCH_MQTT_URL, exit 2, the password never shown."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.cli_helpers import cli_env, run_cli
from tests.run_helpers import RunningJob, free_port, wait_until
from tests.worker.mqtt_helpers import own_mosquitto

SECRET = "s3cr3t-never-shown"


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "url",
    [f"http://user:{SECRET}@127.0.0.1:1883", "mqtt://", f"mqtt://u:{SECRET}@host:99999"],
)
def test_a_url_that_names_no_broker_is_one_line_and_exit_2(
    database_url: str, redis_prefix: str, tmp_path: Path, url: str
) -> None:
    env = cli_env(database_url, redis_prefix, "http://127.0.0.1:9/2.2.0", DOCKWATCH_MQTT_URL=url)
    result = run_cli(env, "mqtt", cwd=tmp_path)
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith("dockwatch: invalid setting DOCKWATCH_MQTT_URL: must be mqtt://")
    assert SECRET not in result.stderr + result.stdout


def test_without_a_url_the_command_says_which_setting_to_set(
    database_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    env = cli_env(database_url, redis_prefix, "http://127.0.0.1:9/2.2.0")
    result = run_cli(env, "mqtt", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result).startswith("dockwatch: DOCKWATCH_MQTT_URL is not set")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["mqtt", "run"])
def test_refused_credentials_are_one_line_naming_the_setting_and_exit_2(
    database_url: str, redis_prefix: str, tmp_path: Path, command: str
) -> None:
    argv = [command] if command == "mqtt" else [command, "--port", str(free_port())]
    port = free_port()
    passwords = tmp_path / "passwords"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(passwords), "dockwatch", "the-right-one"], check=True
    )
    config = tmp_path / "mosquitto.conf"
    config.write_text(
        # As root, mosquitto would turn into the user "mosquitto", who cannot read tmp_path.
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {passwords}\nuser root\n"
    )
    env = cli_env(
        database_url,
        redis_prefix,
        "http://127.0.0.1:9/2.2.0",
        DOCKWATCH_MQTT_URL=f"mqtt://dockwatch:{SECRET}@127.0.0.1:{port}",
    )
    with own_mosquitto(port, config):
        result = run_cli(env, *argv, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    line = one_line(result)
    assert line == (
        f"dockwatch: the broker at mqtt://dockwatch:***@127.0.0.1:{port} refused us: Not"
        " authorized. Check DOCKWATCH_MQTT_URL (its user name and password)."
    )
    assert SECRET not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DOCKWATCH_MQTT_TOPIC_PREFIX", "dockwatch/#"),
        ("DOCKWATCH_MQTT_TOPIC_PREFIX", "/dockwatch"),
        ("DOCKWATCH_MQTT_DISCOVERY_PREFIX", "home+assistant"),
        ("DOCKWATCH_MQTT_DISCOVERY_PREFIX", ""),
        ("DOCKWATCH_MQTT_PROTOCOL", "4"),
    ],
)
def test_a_bad_topic_prefix_or_protocol_is_one_line_naming_it(
    database_url: str, redis_prefix: str, tmp_path: Path, name: str, value: str
) -> None:
    env = cli_env(
        database_url,
        redis_prefix,
        "http://127.0.0.1:9/2.2.0",
        DOCKWATCH_MQTT_URL="mqtt://127.0.0.1:1883",
        **{name: value},
    )
    result = run_cli(env, "mqtt", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result).startswith(f"dockwatch: invalid setting {name}: ")


@pytest.mark.slow
def test_an_unreachable_broker_is_one_warning_without_the_password_and_a_clean_stop(
    database_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    env = cli_env(
        database_url,
        redis_prefix,
        "http://127.0.0.1:9/2.2.0",
        DOCKWATCH_MQTT_URL=f"mqtt://dockwatch:{SECRET}@127.0.0.1:{port}",
    )
    assert run_cli(env, "db", "upgrade", cwd=tmp_path).returncode == 0
    job = RunningJob(env, ["mqtt"], tmp_path)
    try:
        wait_until(lambda: "MQTT broker unreachable" in job.stderr(), "the warning")
        code = job.interrupt(signal.SIGTERM)
    finally:
        job.kill_everything()
    stderr = job.stderr()
    assert code == 0
    [line] = [line for line in stderr.splitlines() if "unreachable" in line]
    assert f"mqtt://dockwatch:***@127.0.0.1:{port}" in line
    assert "DOCKWATCH_MQTT_URL" in line
    assert SECRET not in stderr
