"""The cyclic garbage collector paused while a spec is read, expanded, analyzed or written out.

Those steps allocate many small objects (YAML nodes, validated layers, rows, JSON parts) that stay
alive until the step ends; each allocation burst makes the collector walk every tracked object
again and again, which doubled parse and JSON time on large networks. Reference counting still
frees what is dropped; cycles made meanwhile wait for the collector, which is back on afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Collector off for the block (unless it already was), on again after it, errors included."""
    if not gc.isenabled():  # nested, or the caller turned it off: leave it as it is
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
