"""The widest integers the stores hold: the database's signed 64-bit ``BIGINT``.

Every id dockwatch stores or accepts (LL2's ids, webhook endpoint ids) is an integer from 1 to
``BIGINT_MAX``; a query value outside ``BIGINT_MIN``..``BIGINT_MAX`` can match no row.
"""

from __future__ import annotations

BIGINT_MAX = 2**63 - 1
BIGINT_MIN = -(2**63)
