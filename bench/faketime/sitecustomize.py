"""Loaded (as ``sitecustomize``) by the server processes that ``bench soak`` runs under
libfaketime: their wall clock is moved to the next business day, their monotonic clock is not.

libfaketime 0.9.10 (Debian 12) with DONT_FAKE_MONOTONIC=1 breaks Python 3.11's
``time.sleep``, which waits with ``clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)``:
the library shifts the deadline by the fake offset and the kernel answers EINVAL
(libfaketime issue #426). ``select`` with a relative timeout is not touched, so
``time.sleep`` waits with it here; every other wait (threading, asyncio) is unaffected.
"""

import select
import time


def _sleep(seconds: float) -> None:
    if seconds > 0:
        select.select([], [], [], seconds)


time.sleep = _sleep
