"""The kernel's small concepts, without I/O: the clock, instants, URL redaction, compact JSON,
limits.
"""
