"""Rigs the test suite and the benchmarks share (not part of the product, never installed).

``harness.sync_rig.SyncHarness`` runs real sync cycles against the fake upstream with a clock
the caller moves; ``harness.redis_keys.drop_keys`` removes every Redis key under a prefix.
"""
