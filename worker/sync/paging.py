"""What the sync asks of upstream's list pages: their size, and whether one is whole."""

from __future__ import annotations

from typing import Any

# Upstream's largest page (DRF LimitOffsetPagination with max_limit 100).
PAGE_SIZE = 100


def page_is_whole(page: dict[str, Any], offset: int) -> bool:
    """Whether a page holds as many rows as its ``count`` promises at this offset.

    Only a whole page can prove an event missing; a short or truncated one proves nothing.
    """
    count = page.get("count")
    if not isinstance(count, int) or isinstance(count, bool):
        return False
    expected = max(0, min(PAGE_SIZE, count - offset))
    return len(page["results"]) == expected
