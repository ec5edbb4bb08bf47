"""A Redis cache that degrades to "no cache" while Redis is down.

Django's RedisCache raises on a refused connection, and DRF's kiosk throttle
reads the cache on every ticket request, so a Redis outage turned issuing into
a 500 (found by tests/integration/test_multiprocess.py). The database is the
truth and Redis only an accelerator: a miss is served instead, and logged.
"""

import functools
import logging
import threading

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


_CLIENTS: dict = {}
_CLIENTS_LOCK = threading.Lock()


class TolerantRedisCache(RedisCache):
    """RedisCache whose reads miss and writes are skipped while Redis is unreachable.

    It also shares one Redis client (and its connection pool) per process:
    Django makes a cache object per thread, and under ASGI each request runs
    in a fresh thread, so the stock backend opened a new Redis connection for
    every request that touched the cache. Measured with py-spy during
    ``python -m bench issue``: the kiosk throttle's connect and health check
    were about a fifth of the issue endpoint's CPU.
    """

    @functools.cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                client = _CLIENTS[key] = self._class(self._servers, **self._options)
        return client

    get = _tolerant("get", lambda key, default=None, version=None: default)
    set = _tolerant("set", lambda *a, **k: None)
    add = _tolerant("add", lambda *a, **k: False)
    touch = _tolerant("touch", lambda *a, **k: False)
    delete = _tolerant("delete", lambda *a, **k: False)
    get_many = _tolerant("get_many", lambda *a, **k: {})
    set_many = _tolerant("set_many", lambda *a, **k: [])
    delete_many = _tolerant("delete_many", lambda *a, **k: None)
    has_key = _tolerant("has_key", lambda *a, **k: False)
