"""``dockwatch demo``: the offline demo, run from a source checkout.

The demo's replay upstream is the test suite's fake LL2 server, which lives in ``tests/`` and is
not part of the installed package. So this command finds the checkout the package was installed
from (an editable install, ``make install``) and runs ``tests.demo`` there; without a checkout
it says in one line how to get one. ``make demo`` runs the same thing.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

import worker

DEMO_MODULE = "tests.demo"


def checkout_root() -> Path | None:
    """The source checkout this package runs from, when it has the demo."""
    root = Path(worker.__file__).resolve().parent.parent
    needed = ("tests/__init__.py", "tests/demo.py", "tests/fake_upstream.py")
    return root if all((root / name).is_file() for name in needed) else None


@click.command(
    "demo",
    add_help_option=False,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def demo_command(args: tuple[str, ...]) -> None:
    """The offline demo: a replay upstream, the main job, a docking and an undocking (--help)."""
    root = checkout_root()
    if root is None:
        raise click.ClickException(
            "the demo needs a source checkout (its replay upstream lives in tests/): "
            "git clone the repository, then run `make demo` there"
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    demo = importlib.import_module(DEMO_MODULE)
    sys.exit(demo.main(list(args)))
