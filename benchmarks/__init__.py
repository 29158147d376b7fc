"""dockwatch benchmarks: scripts that print figures and ratios (never assert timings).

``python -m benchmarks`` runs them all (``make bench``); ``python -m benchmarks freshness`` one.
Each module is also runnable alone (``python -m benchmarks.ingest --help``) and ends its output
with one ``SUMMARY <name>: …`` line.
"""
