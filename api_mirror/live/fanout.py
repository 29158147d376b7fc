"""One reader of the notification stream per mirror process, fanned out to every SSE client.

``StreamFanout`` runs a single asyncio task doing ``XREAD BLOCK`` on the stream (started by the
first client) and puts each entry on every client's bounded queue: a hundred clients cost
one Redis read per batch of entries, not one per client. A client whose queue is full (it reads
slower than notifications arrive) is ended; it reconnects with ``Last-Event-ID`` and resumes
from the retained stream, so nothing is lost. When Redis fails, every client's stream ends the
same way and the reader stops until the next client comes.

Joining without a gap: ``subscribe`` registers the client's queue and waits until the reader
has fixed its starting position (the stream's last entry id), so every entry after that point
reaches the queue. A resuming client then reads ``(Last-Event-ID, +]`` itself (``read_after``)
— which holds everything up to that point — and skips queued entries it already sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import redis
import redis.asyncio

from models.fleet.redis_client import make_async_redis
from models.fleet.stream import StreamEntry, parse_entry

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 1000
DEFAULT_BLOCK_MS = 5000
PAGE = 500


@dataclass(eq=False)
class Listener:
    """One client's queue; ``None`` on it means the stream ended (overflow or Redis failure)."""

    queue: asyncio.Queue[StreamEntry | None]

    def offer(self, entry: StreamEntry | None) -> bool:
        """Queue ``entry``; on a full queue, end the client's stream instead. False when ended."""
        try:
            self.queue.put_nowait(entry)
            return entry is not None
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)
            return False


@dataclass
class StreamFanout:
    """The stream ``stream`` on the Redis at ``redis_url``, read once and fanned out."""

    redis_url: str
    stream: str
    queue_size: int = DEFAULT_QUEUE_SIZE
    block_ms: int = DEFAULT_BLOCK_MS
    listeners: set[Listener] = field(default_factory=set)
    # XREAD replies that carried entries: one per batch, however many listeners.
    reads: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _client: redis.asyncio.Redis | None = None
    _reader: asyncio.Task[None] | None = None
    _ready: asyncio.Event | None = None

    def _bind(self) -> redis.asyncio.Redis:
        """The client of the running loop (a test client may run each request on a new loop)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._client is None:
            self._loop, self._reader, self._ready = loop, None, None
            self.listeners = set()
            self._client = make_async_redis(self.redis_url)
        return self._client

    async def subscribe(self) -> Listener:
        """A new listener receiving every entry added from now on; raises redis.RedisError."""
        client = self._bind()
        await client.ping()
        listener = Listener(asyncio.Queue(self.queue_size))
        self.listeners.add(listener)
        if self._reader is None or self._reader.done():
            self._ready = asyncio.Event()
            self._reader = asyncio.create_task(self._read(self._ready), name="dockwatch-fanout")
        assert self._ready is not None
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait({ready, self._reader}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            self.listeners.discard(listener)
            raise redis.ConnectionError("the stream reader stopped before it started")
        return listener

    def unsubscribe(self, listener: Listener) -> None:
        """Forget a listener (its client went away)."""
        self.listeners.discard(listener)

    async def read_after(self, after: str, count: int = PAGE) -> list[StreamEntry]:
        """Up to ``count`` retained entries after entry id ``after`` (``0``: from the oldest)."""
        reply: Any = await self._bind().xrange(self.stream, min=f"({after}", max="+", count=count)
        return _parsed(reply)

    async def latest(self, count: int) -> list[StreamEntry]:
        """The newest ``count`` retained entries, oldest first; raises redis.RedisError."""
        reply: Any = await self._bind().xrevrange(self.stream, count=count)
        return _parsed(reply)[::-1]

    async def _read(self, ready: asyncio.Event) -> None:
        reader = make_async_redis(self.redis_url, socket_timeout=None)
        try:
            last: Any = await reader.xrevrange(self.stream, count=1)
            cursor = last[0][0] if last else "0-0"
            ready.set()
            while True:  # until cancelled by close() or stopped by Redis
                reply: Any = await reader.xread(
                    {self.stream: cursor}, count=PAGE, block=self.block_ms
                )
                for _stream, entries in reply or []:
                    self.reads += 1
                    cursor = entries[-1][0]
                    for entry in _parsed(entries):
                        self._dispatch(entry)
        except (redis.RedisError, OSError) as error:
            log.warning("the notification stream reader stopped: %s", error)
            for listener in list(self.listeners):
                listener.offer(None)
            self.listeners.clear()
        finally:
            with contextlib.suppress(redis.RedisError, OSError):
                await reader.aclose()

    def _dispatch(self, entry: StreamEntry) -> None:
        for listener in list(self.listeners):
            if not listener.offer(entry):
                self.listeners.discard(listener)

    async def close(self) -> None:
        """Stop the reader and close the connections (the app is shutting down)."""
        for listener in list(self.listeners):
            listener.offer(None)
        self.listeners.clear()
        if self._reader is not None and self._loop is asyncio.get_running_loop():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, redis.RedisError):
                await self._reader
        if self._client is not None and self._loop is asyncio.get_running_loop():
            with contextlib.suppress(redis.RedisError, OSError):
                await self._client.aclose()
        self._client = self._reader = self._loop = None


def _parsed(items: Any) -> list[StreamEntry]:
    """The entries of a reply; one that is not JSON is skipped with a warning."""
    entries = []
    for entry_id, fields in items:
        try:
            entries.append(parse_entry(entry_id, fields))
        except ValueError:
            log.warning("skipping stream entry %r: its event is not JSON", entry_id)
    return entries
