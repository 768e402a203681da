"""Python's cyclic garbage collector during a build: off while the build makes what lives to its
end, blind to it afterwards.

Mapping makes millions of objects that live to the end of the build (rdflib terms, the dicts of
rdflib's indexes, triples, lines) and little garbage in cycles. With the collector on, CPython
traverses that growing heap again and again: on the whole registry, a third of the time of
mapping; at 1,000 plans (10 GiB of objects), a full collection takes seconds and parsing the
shapes alone took 19 s, collections triggered by its allocations. So:

* :func:`collector_paused` turns the collector off while the heap grows (mapping, the dumps);
* :func:`heap_frozen` moves everything made so far out of its sight (:func:`gc.freeze`) and keeps
  it on: what the body makes and drops in cycles is collected, by collections that traverse only
  that. Validation runs so: its worker processes (forked: they inherit the frozen heap) make and
  drop many graphs, and their collections no longer touch the inherited objects either (which
  also keeps those pages shared with the parent, not copied).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off for the body (if it was on), on again after; what garbage in cycles the
    body leaves is collected later, as usual."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def heap_frozen() -> Iterator[None]:
    """Every object made so far out of the collector's sight for the body, the collector on."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        gc.unfreeze()
        if not enabled:
            gc.disable()


__all__ = ["collector_paused", "heap_frozen"]
