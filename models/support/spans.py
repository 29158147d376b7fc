"""Durations for people, the one way every dockwatch surface writes them.

``12 s``, ``4 min 7 s``, ``5 min``, ``2 h 5 min``, ``3 d 4 h``: the two largest units, the
smaller dropped when it is zero. ``dockwatch status`` and the live page (whose script writes the
same form as it ticks) both use it.
"""

from __future__ import annotations

_UNITS = (("d", 86_400), ("h", 3600), ("min", 60), ("s", 1))


def human_span(seconds: float) -> str:
    """``seconds`` (a negative one counts as 0, fractions are rounded) in the form above."""
    whole = max(0, round(seconds))
    for index, (name, size) in enumerate(_UNITS[:-1]):
        if whole >= size:
            big, rest = divmod(whole, size)
            smaller, smaller_size = _UNITS[index + 1]
            small = rest // smaller_size
            return f"{big} {name}" + (f" {small} {smaller}" if small else "")
    return f"{whole} s"
