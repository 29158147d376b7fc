"""The Redis side of the kernel: the client factory, the registry of key names, the notification
stream, counters, hints.
"""
