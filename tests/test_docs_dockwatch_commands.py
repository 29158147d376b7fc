"""The documentation's one-shot ``dockwatch`` commands run as written and do what the text says.

Long-running ones (``subscribe``, the ``make`` targets) are run by the snippet, demo and
fresh-clone tests; ``docker`` needs a daemon this machine does not have.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

from tests.cli_helpers import REPO, cli_env, run_cli
from tests.docs_helpers import shell_commands

ONE_SHOT = [
    command for command in shell_commands() if command.startswith("dockwatch webhooks add ")
]


def test_each_documented_webhook_registration_registers_what_it_says(
    database_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    assert len(ONE_SHOT) >= 2
    env = cli_env(database_url, redis_prefix, "http://127.0.0.1:9/2.2.0")
    env["PATH"] = f"{REPO / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    assert run_cli(env, "db", "upgrade", cwd=tmp_path).returncode == 0
    for command in ONE_SHOT:
        done = subprocess.run(
            ["bash", "-c", command], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, (command, done.stderr)
        registered = json.loads(done.stdout)
        assert registered["url"] == shlex.split(command)[3]
        assert registered["secret"].startswith("whsec_")

    listed = json.loads(run_cli(env, "webhooks", "list", "--json", cwd=tmp_path).stdout)
    assert len(listed) == len(ONE_SHOT)
    for command, view in zip(ONE_SHOT, listed, strict=True):
        words = shlex.split(command)
        for option, field in (("--station", "stations"), ("--vehicle", "vehicles")):
            given = [words[i + 1] for i, word in enumerate(words) if word == option]
            assert view[field] == given, (command, view)
