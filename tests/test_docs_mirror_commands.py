"""The mirror's documented `curl` commands, extracted from the documentation, run as written
against a served mirror and answer what their comments say.

They are written for the default address (127.0.0.1:8000); the only change made to them is that
port, replaced by the test server's. The conditional-request pair is run as the comment says: the
first command's ETag goes where the second one writes ``<that etag>``.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from harness.mirror_app import mirror_app
from harness.mirror_thread import serve_in_thread
from tests.api_mirror.dataset import make_events, sample_615, store
from tests.docs_helpers import shell_commands

MIRROR = "http://127.0.0.1:8000"
CURLS = [command for command in shell_commands() if command.startswith("curl -s")]
ETAG_PLACEHOLDER = "<that etag>"


@pytest.fixture
def mirror(engine: Engine) -> Iterator[str]:
    with Session(engine) as session:
        store(session, [*make_events(20), sample_615()])
    with serve_in_thread(mirror_app(engine, check_seconds=None)) as url:
        yield url


def run(command: str, mirror: str) -> str:
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command.replace(MIRROR, mirror)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, (command, done.stderr)
    return done.stdout


def test_the_documentation_shows_the_mirror_s_commands() -> None:
    assert len(CURLS) >= 12
    assert any(ETAG_PLACEHOLDER in command for command in CURLS)


@pytest.mark.parametrize(
    "command", [c for c in CURLS if ETAG_PLACEHOLDER not in c], ids=lambda c: c[:70]
)
def test_each_command_answers(command: str, mirror: str) -> None:
    printed = run(command, mirror)  # a trailing comment is a comment to bash too
    if "-X OPTIONS" in command:  # the preflight, headers shown: its status is the comment's
        status = re.match(r"HTTP/1\.1 (\d+)", printed)
        assert status, printed
        assert status.group(1) in command.split("#", 1)[1], printed
        return
    if " | " in command:  # a pipeline: the conditional-request pair's first half
        return
    [url] = re.findall(r"'?(http://127\.0\.0\.1:8000[^' ]*)", command)
    answer = httpx.get(url.replace(MIRROR, mirror))
    assert answer.status_code == 200, command
    if "/metrics" in command:
        assert "# TYPE dockwatch_" in printed
        return
    document = json.loads(printed)
    assert document, command
    if "docking_event/615" in command:
        assert document["id"] == 615
    if "?limit=5" in command:
        assert len(document["results"]) == 5


def test_the_conditional_request_pair_answers_304(mirror: str) -> None:
    [second] = [c for c in CURLS if ETAG_PLACEHOLDER in c]
    [first] = [c for c in CURLS if "| grep -i" in c and "etag" in c]
    header = run(first, mirror)
    etag = re.fullmatch(r"(?i)etag: (\S+)\s*", header)
    assert etag, header
    status = run(second.replace(ETAG_PLACEHOLDER, etag.group(1)), mirror)
    assert status.strip() == "304"
