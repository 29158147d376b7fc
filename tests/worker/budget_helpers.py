"""A test's view of the budget: "take a slot if there is one" as a yes or no."""

from __future__ import annotations

from worker.upstream.budget import RequestBudget
from worker.upstream.errors import BudgetExhausted


def try_acquire(budget: RequestBudget) -> bool:
    """Record one request if the budget affords it; a refused one is never recorded."""
    try:
        budget.acquire()
    except BudgetExhausted:
        return False
    return True
