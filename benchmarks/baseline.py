"""The naive baseline for freshness: walk the whole list again and again at a fixed pace.

It spends the same budget as dockwatch, evenly: one page (``ordering=id``, ``limit=100``) every
``3600 / limit`` seconds, following ``next`` links and starting over at the end, so a 7-page list
is walked once every 28 minutes at 15 requests an hour. Whatever differs from the previous walk
is noticed: a new id is a docking, a departure that appeared is an undocking.
"""

from __future__ import annotations

import json
import math

from benchmarks.replay import Tracker
from fake_upstream import FakeUpstream

LIST = "/2.2.0/docking_event/?limit=100&ordering=id"


class NaiveWalker:
    """Walks the list one page per call to ``step``; notes differences in a ``Tracker``."""

    def __init__(self, fake: FakeUpstream, tracker: Tracker) -> None:
        self.fake = fake
        self.tracker = tracker
        self.offset = 0
        self.count = 0
        self.known: dict[int, str | None] = {}  # id -> departure as last seen
        self.requests = 0
        self.throttled = 0

    def fill(self) -> None:
        """The first complete walk (nothing is noticed: it is the starting state)."""
        while True:
            if not self.step(notice=False) or self.offset == 0:
                return

    def step(self, *, notice: bool = True) -> bool:
        """Fetch the next page; False when upstream refused it (429)."""
        path = f"{LIST}&offset={self.offset}" if self.offset else LIST
        self.requests += 1
        answer = self.fake.handle("GET", path, {})
        if answer.status != 200:
            self.throttled += answer.status == 429
            return False
        page = json.loads(answer.body)
        now = self.fake.now
        for event in page["results"]:
            ident, departure = event["id"], event["departure"]
            if notice and ident not in self.known:
                self.tracker.notice("dock", ident, now)
            if notice and departure is not None and self.known.get(ident) is None:
                self.tracker.notice("undock", ident, now)
            self.known[ident] = departure
        self.count = page["count"]
        self.offset = self.offset + len(page["results"]) if page["next"] else 0
        return True

    def run(self, task: str) -> None:
        """The scheduled page request."""
        self.step()

    def skip(self, task: str) -> None:
        """Move on by one page without asking (nothing changed upstream meanwhile)."""
        pages = max(1, math.ceil(self.count / 100))
        self.offset = (self.offset // 100 + 1) % pages * 100
