"""Compiled events: an event's template as the UTF-8 bytes every answer is cut from.

A compiled body is the template (``models.ll2.template``) encoded once, its marks kept: one
``bytes`` object per event, which serves both modes and every link style. Answers resolve the
marks with whole-buffer byte operations (``api_mirror.read.bodies``): ``BASE`` becomes the serving
base, ``SLASH_END``/``PLAIN_END`` the link style's url ends, ``REF kind id REF`` a shared row's
fragment, the ``DETAILED`` pair keeps or drops the detailed-only part, and ``IN_SPACE``/``DOCKED``
the growing durations. Compact JSON never holds a raw control byte, and UTF-8 never encodes one
inside another character, so a mark byte is always a mark. ``compile_fragments`` resolves the
shared rows' JSON for one link style.
"""

from __future__ import annotations

from collections.abc import Mapping

from models.ll2.template import (
    BASE,
    DETAILED,
    DOCKED,
    IN_SPACE,
    PLAIN_END,
    REF,
    SLASH_END,
)

BASE_MARK, SLASH_MARK, PLAIN_MARK = BASE.encode(), SLASH_END.encode(), PLAIN_END.encode()
IN_SPACE_MARK, DOCKED_MARK = IN_SPACE.encode(), DOCKED.encode()
REF_MARK, DETAILED_MARK = REF.encode(), DETAILED.encode()
# What a link style's two url ends become: (after a url that ended in "/", after one that did not).
Ends = tuple[str, str]
DEFAULT_ENDS: Ends = ("/", "")


def compile_template(template: str) -> bytes:
    """A template's compiled body: its UTF-8 bytes, marks kept. Raises ValueError when it does
    not hold exactly two ``DETAILED`` marks (a detailed-only part)."""
    marks = template.count(DETAILED)
    if marks != 2:
        raise ValueError(f"a template has two DETAILED marks, this one {marks}")
    return template.encode()


def resolve_ends(text: str, ends: Ends) -> str:
    """The text with its url ends written for a link style."""
    return text.replace(SLASH_END, ends[0]).replace(PLAIN_END, ends[1])


def compile_fragments(
    fragments: Mapping[str, tuple[str, str]], ends: Ends
) -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
    """The shared rows' JSON for a link style, by ref as it appears between ``REF`` marks
    (``b"c25"``): (normal forms, detailed forms)."""
    normal: dict[bytes, bytes] = {}
    detailed: dict[bytes, bytes] = {}
    for ref, (normal_text, detailed_text) in fragments.items():
        key = ref.encode()
        normal[key] = resolve_ends(normal_text, ends).encode()
        detailed[key] = resolve_ends(detailed_text, ends).encode()
    return normal, detailed
