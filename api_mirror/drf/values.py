"""Parse single parameter values with the leniency of upstream's framework (Django, DRF).

Each function copies one rule of upstream's framework (Django, DRF, django-filter): decimal
numbers cut toward zero, Django's datetime forms, DRF's search-term splitting and its
"positive integer or the default" reading of ``limit``/``offset``. Nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, DecimalException

from models.support.limits import BIGINT_MAX, BIGINT_MIN

# django-filter's NumberFilter adds MaxValueValidator(1e50): the float 1e50, compared exactly.
NUMBER_CEILING = Decimal.from_float(1e50)
NUMBER_CEILING_MESSAGE = "Ensure this value is less than or equal to 1e+50."

# django.utils.dateparse.datetime_re: the fallback after datetime.fromisoformat.
_DATETIME_RE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"[T ](?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:[.,](?P<microsecond>\d{1,6})\d{0,6})?)?"
    r"\s*(?P<tzinfo>Z|[+-]\d{2}(?::?\d{2})?)?$"
)

# Django's English DATETIME_INPUT_FORMATS then DATE_INPUT_FORMATS (DateTimeField tries both).
_INPUT_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S.%f",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M:%S.%f",
    "%m/%d/%y %H:%M",
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%b %d %Y",
    "%b %d, %Y",
    "%d %b %Y",
    "%d %b, %Y",
    "%B %d %Y",
    "%B %d, %Y",
    "%d %B %Y",
    "%d %B, %Y",
)

# django.utils.text.smart_split: whitespace-separated pieces, quoted phrases kept whole.
_SMART_SPLIT_RE = re.compile(
    r"""
    ((?:
        [^\s'"]*
        (?:
            (?:"(?:[^"\\]|\\.)*" | '(?:[^'\\]|\\.)*')
            [^\s'"]*
        )+
    ) | \S+)
""",
    re.VERBOSE,
)

_WHOLE = re.compile(r"[+-]?[0-9]+")
_UTC_MIN = dt.datetime.min.replace(tzinfo=dt.UTC)
_UTC_MAX = dt.datetime.max.replace(tzinfo=dt.UTC)


class InvalidValue(ValueError):
    """The value is not acceptable; the framework would answer 400 for it."""


class AboveCeiling(InvalidValue):
    """A number filter value above django-filter's ceiling of 1e50 (its own 400 message)."""


def parse_id(value: str) -> int | None:
    """An id filter value: ``None`` when it cannot match any row; raises InvalidValue.

    django-filter's NumberFilter reads a Decimal (whitespace, ``_``, exponents and a sign are
    fine; NaN and infinities are not: InvalidValue) and rejects one above its 1e50 ceiling
    (AboveCeiling; there is no floor, so ``-1e51`` is valid and matches nothing); the id lookup
    truncates it toward zero.
    """
    try:
        number = Decimal(value)
    except DecimalException:
        raise InvalidValue(value) from None
    if not number.is_finite():
        raise InvalidValue(value)
    if number > NUMBER_CEILING:
        raise AboveCeiling(value)
    # adjusted() guards int() against exponents like 1e999999999 (a huge allocation).
    if number.adjusted() > 20:
        return None
    whole = int(number)
    return whole if BIGINT_MIN <= whole <= BIGINT_MAX else None


def _parse_iso(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        pass
    match = _DATETIME_RE.match(value)
    if match is None:
        return None
    parts = match.groupdict()
    tz_text = parts.pop("tzinfo")
    if parts["microsecond"]:
        parts["microsecond"] = parts["microsecond"].ljust(6, "0")
    tzinfo: dt.tzinfo | None = None
    if tz_text == "Z":
        tzinfo = dt.UTC
    elif tz_text is not None:
        minutes = 60 * int(tz_text[1:3]) + (int(tz_text[-2:]) if len(tz_text) > 3 else 0)
        tzinfo = dt.timezone(dt.timedelta(minutes=-minutes if tz_text[0] == "-" else minutes))
    numbers = {key: int(text) for key, text in parts.items() if text}
    return dt.datetime(**numbers, tzinfo=tzinfo)


def parse_datetime(value: str) -> dt.datetime:
    """A datetime filter value as aware UTC (naive means UTC); raises InvalidValue."""
    try:
        parsed = _parse_iso(value.strip())
    except (ValueError, OverflowError):
        raise InvalidValue(value) from None
    if parsed is None:
        parsed = _strptime(value.strip())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        # An offset pushing year 1 or 9999 out of range: it lies before or after every row.
        return _UTC_MIN if parsed.year == 1 else _UTC_MAX


def _strptime(value: str) -> dt.datetime:
    for form in _INPUT_FORMATS:
        try:
            return dt.datetime.strptime(value, form)  # noqa: DTZ007 - made aware by the caller
        except ValueError:
            continue
    raise InvalidValue(value)


def _unescape_literal(text: str) -> str:
    quote = text[0]
    return text[1:-1].replace("\\" + quote, quote).replace("\\\\", "\\")


def search_terms(value: str) -> list[str]:
    """DRF's ``search_smart_split``: terms that must each match some searched field."""
    terms = []
    for bit in _SMART_SPLIT_RE.finditer(value):
        piece = bit[0].strip(",")
        if piece.startswith(('"', "'")) and piece[0] == piece[-1]:
            terms.append(_unescape_literal(piece))
        else:
            terms.extend(part.strip() for part in piece.split(",") if part)
    return terms


def positive_int(value: str | None, *, strict: bool, cutoff: int | None = None) -> int | None:
    """DRF's ``_positive_int`` on whole numbers in ASCII digits; ``None`` means "the default".

    Stricter than Python's ``int()`` (no ``1_000``, no non-ASCII digits): the Decisions count
    only numbers written in digits.
    """
    text = (value or "").strip()
    if not _WHOLE.fullmatch(text):
        return None
    try:
        number = int(text)
    except ValueError:  # more digits than int() converts: no sensible page either
        return None
    if number < 0 or (number == 0 and strict):
        return None
    return min(number, cutoff) if cutoff else number
