"""Two deployments on one Redis are told apart by the database number in REDIS_URL.

Redis pub/sub channels belong to the whole server, whatever database a client
selected, so config/settings.py puts the number into the channel layer's
prefix. Without it, office 1's events of one deployment reached office 1's
screens of the other.
"""

import asyncio
from urllib.parse import urlsplit, urlunsplit

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer

from config.settings import channel_layers_for

pytestmark = pytest.mark.integration


def _layer(redis_url: str, database: int) -> RedisPubSubChannelLayer:
    url = urlunsplit(urlsplit(redis_url)._replace(path=f"/{database}"))
    return RedisPubSubChannelLayer(**channel_layers_for(url)["default"]["CONFIG"])


async def _receives(layer, channel: str) -> bool:
    try:
        await asyncio.wait_for(layer.receive(channel), timeout=0.5)
    except TimeoutError:
        return False
    return True


@pytest.mark.parametrize("databases, crosses", [((1, 2), False), ((3, 3), True)])
async def test_events_reach_only_the_deployment_with_the_same_database_number(
    redis_url, databases, crosses
):
    sender, other = _layer(redis_url, databases[0]), _layer(redis_url, databases[1])
    try:
        mine, theirs = await sender.new_channel(), await other.new_channel()
        await sender.group_add("office.1", mine)
        await other.group_add("office.1", theirs)
        await sender.group_send("office.1", {"type": "queue.event", "version": 1})
        assert await _receives(sender, mine)
        assert await _receives(other, theirs) is crosses
    finally:
        await sender.flush()
        await other.flush()
