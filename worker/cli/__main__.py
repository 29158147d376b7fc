"""``python -m worker.cli``: the ``dockwatch`` command line (the supervisor starts children so)."""

from worker.cli import main

main()
