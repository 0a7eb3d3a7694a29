"""The question log as the bot uses it: every call off the event loop, questions written after the reply.

An answer's buttons carry its row id, reserved in memory before the reply is sent; the
row itself is written once the reply is out, so logging never delays an answer. A tap
that arrives before that write is done waits for it. With no log (or an unusable file)
everything here is a quiet no-op and answers carry no feedback buttons.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from functools import partial

from bot.feedback.question_log import LoggedQuestion, QuestionLog

log = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 24 * 3600.0
# How long a feedback tap waits for its question's row to be written.
WRITE_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class Owned:
    """A logged question as seen by whoever tapped a button under its answer."""

    question: LoggedQuestion | None  # None: no such row (log unavailable, or the write failed)
    by_tapper: bool


class UsageLog:
    def __init__(self, qlog: QuestionLog | None) -> None:
        self.qlog = qlog
        self._writing: dict[int, asyncio.Event] = {}

    @property
    def available(self) -> bool:
        return self.qlog is not None and self.qlog.available

    def reserve(self) -> int | None:
        """A row id for the answer about to be sent; None means no feedback buttons."""
        row = self.qlog.reserve_id() if self.qlog is not None else None
        if row is not None:
            self._writing[row] = asyncio.Event()
        return row

    async def question(self, row: int | None, user_id: int, question: str, answered: bool,
                       shown: list[str]) -> None:
        """Write the question (call after the reply went out)."""
        try:
            if self.qlog is not None:
                await asyncio.to_thread(partial(self.qlog.record_question, user_id, question, answered, shown,
                                                row_id=row))
        finally:
            done = self._writing.pop(row, None) if row is not None else None
            if done is not None:
                done.set()

    async def _written(self, row: int) -> None:
        pending = self._writing.get(row)
        if pending is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(pending.wait(), WRITE_WAIT_SECONDS)

    async def owned(self, row: int, user_id: int) -> Owned:
        """The row and whether `user_id` asked it (only the asker may rate an answer)."""
        if self.qlog is None:
            return Owned(None, False)
        await self._written(row)

        def read() -> Owned:
            asked = self.qlog.asked_by(row, user_id)
            return Owned(self.qlog.get(row) if asked is not None else None, bool(asked))
        return await asyncio.to_thread(read)

    async def tap(self, row: int, user_id: int, item_id: str) -> None:
        """The asker opened another item from the answer's buttons (others' taps are not the asker's doing)."""
        if self.qlog is None:
            return
        await self._written(row)

        def write() -> None:
            if self.qlog.asked_by(row, user_id):
                self.qlog.record_tap(row, item_id)
        await asyncio.to_thread(write)

    async def feedback(self, row: int, value: str) -> None:
        if self.qlog is not None:
            await asyncio.to_thread(self.qlog.record_feedback, row, value)

    async def correction(self, row: int, item_id: str) -> None:
        if self.qlog is not None:
            await asyncio.to_thread(self.qlog.record_correction, row, item_id)

    async def prune_daily(self, every_seconds: float = PRUNE_EVERY_SECONDS) -> None:
        """Drop questions older than LOG_RETENTION_DAYS now and then once a day, until cancelled."""
        while self.qlog is not None:
            removed = await asyncio.to_thread(self.qlog.prune)
            if removed:
                log.info("question log: removed %d question(s) older than %d days",
                         removed, self.qlog.retention_days)
            await asyncio.sleep(every_seconds)

    async def close(self) -> None:
        if self.qlog is not None:
            await asyncio.to_thread(self.qlog.close)
