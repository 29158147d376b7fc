"""``dockwatch subscribe``: print notifications as JSON lines through a consumer group.

Each CloudEvent is printed as one line and acknowledged right after, so a restarted subscriber
with the same group resumes after the last line it printed (a crash between the two reprints
that one line: deduplicate by ``id``). ``--from-start`` only matters when the group is new.
"""

from __future__ import annotations

import socket

import click
import redis

from models.compact_json import compact_json
from models.redact import redact_url
from models.redis_client import make_redis
from settings import SettingsError, load_settings
from worker.notify.subscriber import DEFAULT_CLAIM_IDLE_MS, Subscriber

DEFAULT_GROUP = "dockwatch-subscribe"


@click.command("subscribe")
@click.option("--group", default=DEFAULT_GROUP, show_default=True, help="Consumer group name.")
@click.option(
    "--from-start",
    is_flag=True,
    help="A new group starts at the oldest retained notification instead of new ones only.",
)
@click.option("--consumer", default=None, help="Consumer name in the group [default: host name].")
@click.option("--count", type=click.IntRange(min=1), default=None, help="Exit after N events.")
def subscribe_command(
    group: str, from_start: bool, consumer: str | None, count: int | None
) -> None:
    """Print notifications as JSON lines as they arrive, acknowledging each one printed."""
    try:
        settings = load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    client = make_redis(settings.redis_url, socket_timeout=None)
    subscriber = Subscriber(
        client,
        settings.stream,
        group=group,
        consumer=consumer or socket.gethostname(),
        from_start=from_start,
        claim_idle_ms=DEFAULT_CLAIM_IDLE_MS,
    )
    printed = 0
    try:
        subscriber.ensure_group()
        for delivery in subscriber.events():
            click.echo(compact_json(delivery.event))
            subscriber.ack(delivery)
            printed += 1
            if count is not None and printed >= count:
                break
    except redis.RedisError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise click.ClickException(
            f"cannot read notifications from Redis at {redact_url(settings.redis_url)}: "
            f"{reason.rstrip('.')}. Start redis-server or set DOCKWATCH_REDIS_URL."
        ) from None
    except (KeyboardInterrupt, BrokenPipeError):
        pass  # Ctrl-C or a closed pipe (``| head``) ends the subscription quietly
    finally:
        client.close()
