"""``python -m worker.relay_main``: the long-running relay process of ``dockwatch run``."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from settings import load_settings
from worker.relay import run_relay_forever
from worker.runtime import connect_database, connect_redis


def main() -> None:
    """Relay outbox rows until SIGTERM/SIGINT."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings()
    engine = connect_database(settings.database_url, migrate=False)
    redis_client = connect_redis(settings.redis_url)
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        run_relay_forever(
            engine,
            redis_client,
            stream=settings.stream,
            retention_days=settings.stream_retention_days,
            stop=stop,
        )
    finally:
        engine.dispose()
        redis_client.close()


if __name__ == "__main__":
    main()
