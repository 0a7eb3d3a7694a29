"""Per-user question limit over a sliding one-minute window (users: Telegram ids, web cookie ids or addresses)."""
from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0
_MAX_USERS = 10_000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    notify: bool = False  # tell the user (only the first refused question of a streak)
    wait_seconds: int = 0


@dataclass
class RateLimiter:
    per_minute: int
    _asked: dict[Hashable, deque[float]] = field(default_factory=dict)
    _notified: set[Hashable] = field(default_factory=set)

    def check(self, user_id: Hashable, now: float | None = None) -> Decision:
        """Count one question. Synchronous on purpose: no await between check and count."""
        now = time.monotonic() if now is None else now
        if len(self._asked) >= _MAX_USERS:
            self._forget_idle(now)
        times = self._asked.setdefault(user_id, deque())
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            self._notified.discard(user_id)
            return Decision(True)
        wait = max(1, math.ceil(WINDOW_SECONDS - (now - times[0])))
        # One polite notice per streak; answering every flood message would amplify the flood.
        notify = user_id not in self._notified
        self._notified.add(user_id)
        return Decision(False, notify, wait)

    def _forget_idle(self, now: float) -> None:
        self._asked = {u: t for u, t in self._asked.items() if t and now - t[-1] < WINDOW_SECONDS}
        self._notified &= set(self._asked)
