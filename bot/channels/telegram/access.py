"""Who may use the bot (ALLOWED_USER_IDS, ADMIN_USER_IDS) and when to tell a refused user."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

# A refused user is told once, then again only after this long: enough to explain,
# too rare to be a way of making the bot spam.
REFUSAL_REPEAT_SECONDS = 3600.0
_MAX_REMEMBERED = 10_000


@dataclass
class AccessGate:
    allowed: frozenset[int] = frozenset()
    admins: frozenset[int] = frozenset()
    _told: dict[int, float] = field(default_factory=dict)

    def allows(self, user_id: int | None) -> bool:
        """Empty ALLOWED_USER_IDS means everyone; admins are always allowed."""
        if user_id is None:
            return False
        return not self.allowed or user_id in self.allowed or user_id in self.admins

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admins

    def should_tell_refusal(self, user_id: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        last = self._told.get(user_id)
        if last is not None and now - last < REFUSAL_REPEAT_SECONDS:
            return False
        if len(self._told) >= _MAX_REMEMBERED:  # bounded memory against floods of strangers
            self._told = {u: t for u, t in self._told.items() if now - t < REFUSAL_REPEAT_SECONDS}
        self._told[user_id] = now
        return True
