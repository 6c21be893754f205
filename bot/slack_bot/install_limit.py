"""Per-address budget for GET /slack/install, whose every answer writes an OAuth state row.

A sliding window per client address, kept in memory: this process is the only writer
of its own states, and a restart forgetting the counts costs at most one more window.
The table of addresses is bounded, so a flood from many addresses can't grow it.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

INSTALLS_PER_WINDOW = 10
WINDOW_S = 60.0
MAX_TRACKED_ADDRESSES = 10_000


class InstallLimiter:
    def __init__(
        self,
        per_window: int = INSTALLS_PER_WINDOW,
        window_s: float = WINDOW_S,
        max_addresses: int = MAX_TRACKED_ADDRESSES,
    ) -> None:
        self.per_window = per_window
        self.window_s = window_s
        self.max_addresses = max_addresses
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, address: str, now: float | None = None) -> bool:
        """Count one install start from ``address``; False once over its budget."""
        now = time.monotonic() if now is None else now
        times = self._seen.pop(address, None) or deque()
        while times and now - times[0] >= self.window_s:
            times.popleft()
        allowed = len(times) < self.per_window
        if allowed:
            times.append(now)
        self._seen[address] = times  # most recent last
        while len(self._seen) > self.max_addresses:
            self._seen.popitem(last=False)
        return allowed
