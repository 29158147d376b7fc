"""The read side: the snapshot of the data, the one query engine over it, bodies, and the answer
cache.
"""
