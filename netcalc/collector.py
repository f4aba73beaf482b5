"""The cyclic garbage collector paused while a spec is read, expanded, analyzed or written out.

Those steps allocate many small objects (YAML nodes, validated layers, rows, JSON parts) that stay
alive until the step ends; each allocation burst makes the collector walk every tracked object
again and again, which doubled parse and JSON time on large networks. Reference counting still
frees what is dropped; cycles made meanwhile wait for the collector, which is back on afterwards.

Turned back on, the collector would walk every object the step made and kept (a 100,000-layer
report's rows and fields: 0.4 s) at the next allocation, to find cycles where there are seldom
any. So the objects go straight to the oldest generation, which gc.freeze then gc.unfreeze do
without walking them: a full collection, which comes as often as ever, still frees their cycles.
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
        if not gc.get_freeze_count():  # objects frozen by the caller stay frozen
            gc.freeze()
            gc.unfreeze()  # every tracked object into the oldest generation, unwalked
        gc.enable()
