"""``dockwatch --version``: the installed distribution's version."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

from tests.cli_helpers import run_cli


def test_version_prints_the_installed_distribution_version(tmp_path: Path) -> None:
    result = run_cli(dict(os.environ), "--version", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"dockwatch {importlib.metadata.version('dockwatch')}\n"
    assert list(tmp_path.iterdir()) == []
