"""The user documentation as the tests read it: the README and the pages under ``docs/``."""

from __future__ import annotations

import re

from tests.cli_helpers import REPO

README = REPO / "README.md"
PAGES = sorted((REPO / "docs").glob("*.md"))


def documentation() -> str:
    """The README and every ``docs/*.md`` page, one after the other."""
    return "\n\n".join(path.read_text() for path in [README, *PAGES])


def shell_commands() -> list[str]:
    """Every command line of the documentation's ``sh`` blocks, continuation lines joined,
    comment-only lines dropped (a trailing comment stays on its command)."""
    blocks = re.findall(r"```sh\n(.*?)```", documentation(), re.DOTALL)
    joined = "\n".join(block.replace("\\\n", " ") for block in blocks)
    return [
        " ".join(line.split())
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
