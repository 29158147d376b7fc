"""The database side of the kernel: tables, engine and sessions, migrations, typed sync state, the
outbox, the status report.
"""
