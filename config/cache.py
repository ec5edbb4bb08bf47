"""A Redis cache that degrades to "no cache" while Redis is down.

Django's RedisCache raises on a refused connection, and DRF's kiosk throttle
reads the cache on every ticket request, so a Redis outage turned issuing into
a 500 (found by tests/integration/test_multiprocess.py). The database is the
truth and Redis only an accelerator: a miss is served instead, and logged.
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
_DOWN = (RedisConnectionError, RedisTimeoutError)


def _tolerant(name: str, fallback):
    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except _DOWN:
            log.warning("cache %s skipped: Redis unreachable", name)
            return fallback(*args, **kwargs)

    return wrapper


class TolerantRedisCache(RedisCache):
    """RedisCache whose reads miss and writes are skipped while Redis is unreachable."""

    get = _tolerant("get", lambda key, default=None, version=None: default)
    set = _tolerant("set", lambda *a, **k: None)
    add = _tolerant("add", lambda *a, **k: False)
    touch = _tolerant("touch", lambda *a, **k: False)
    delete = _tolerant("delete", lambda *a, **k: False)
    get_many = _tolerant("get_many", lambda *a, **k: {})
    set_many = _tolerant("set_many", lambda *a, **k: [])
    delete_many = _tolerant("delete_many", lambda *a, **k: None)
    has_key = _tolerant("has_key", lambda *a, **k: False)
