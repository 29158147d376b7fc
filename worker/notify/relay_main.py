"""``python -m worker.notify.relay_main``: the relay loop of ``dockwatch run`` and of compose."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from settings import load_settings
from worker.bootstrap import connect_database, connect_redis
from worker.notify.relay import Relay


def main() -> None:
    """Relay outbox rows until SIGTERM/SIGINT."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings()
    engine = connect_database(settings.database_url, migrate=False)
    redis_client = connect_redis(settings.redis_url)
    relay = Relay(engine, redis_client, settings.stream, settings.stream_retention_days)
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        relay.run_forever(stop)
    finally:
        engine.dispose()
        redis_client.close()


if __name__ == "__main__":
    main()
