"""The one cache type of the search: values by key, least recently used dropped first, within a
budget in bytes.

Every memory the searcher keeps (decoded posting lists, a view's term arrays and BM25F, phrase
keys, walked texts, shown articles) is one of these, each with its own budget and its own way of
sizing a value; what a value costs is counted with its Python overhead, because a cache of many
small or empty entries outgrew a budget that counted arrays only.  Which index state a cache
belongs to is said by where it lives (search/state.py), not by the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ByteLRU(Generic[K, V]):
    """At most *max_bytes* of values, each costing ``size(value)`` bytes.

    A value larger than *largest_share* of the budget is not kept (one huge list would evict
    everything else for one use); the newest value always is, up to that share.
    """

    def __init__(self, max_bytes: int, size: Callable[[V], int], largest_share: float = 0.25):
        self.max_bytes = max_bytes
        self._size = size
        self._largest = max_bytes * largest_share
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.bytes = 0

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is None:
            return None
        self._items.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V) -> None:
        size = self._size(value)
        if not self.max_bytes or size > self._largest:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._items[key] = (value, size)
        self.bytes += size
        while self.bytes > self.max_bytes and len(self._items) > 1:
            _, (_, evicted) = self._items.popitem(last=False)
            self.bytes -= evicted

    def discard(self, keep: Callable[[K], bool]) -> None:
        """Drop every entry whose key *keep* refuses."""
        for key in [k for k in self._items if not keep(k)]:
            self.bytes -= self._items.pop(key)[1]

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)
