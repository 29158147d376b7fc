"""Compact JSON text, the one way dockwatch writes JSON for machines.

No spaces after separators, UTF-8 characters written as they are (not ``\\uXXXX``), keys in the
order given, and NaN or infinities refused (``ValueError``): they are not JSON. Stream entries,
webhook bodies, subscriber lines and the mirror's bodies all go through ``compact_json``.
"""

from __future__ import annotations

import json
from typing import Any

# One encoder, reused: ``json.dumps`` with these options would build a new one on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def compact_json(value: Any) -> str:
    """``value`` as compact JSON text; raises ValueError for NaN/infinity, TypeError for others."""
    return _ENCODER.encode(value)
