"""The question log as channels use it: asynchronous, never in the way of an answer.

Each answer gets a random token that its buttons (or the web page's forms) carry. The row
is queued for the process's writer thread before the reply goes out; votes, taps and
corrections go through the same queue, so they land after their question. Who asked is remembered in
memory for recent answers, so "only the asker may rate" needs no database read; older
answers are looked up. With no log (or an unusable file) everything here is a quiet no-op
and answers carry no feedback buttons.

The writer waits out a database another process holds locked (up to WRITE_PATIENCE
seconds per write) instead of dropping the row: nothing waits for it but its own queue.
Questions older than the retention are pruned as soon as the log is opened (on the writer
thread); channels prune again once a day (`prune`).
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from bot.feedback.question_log import LoggedQuestion, QuestionLog
from bot.feedback.writer import LogWriter

log = logging.getLogger(__name__)
RECENT = 20_000  # answers whose asker is remembered in memory
WRITE_PATIENCE = 60.0  # seconds the writer keeps trying a write while the database is locked
TOKEN_BYTES = 6  # 12 hex characters: fits Telegram's 64-byte callback data with room to spare


@dataclass(frozen=True)
class Owned:
    """A logged answer as seen by whoever acts on it."""

    question: LoggedQuestion | None  # None: no such row (log unavailable, written by nobody)
    by_asker: bool


@dataclass(frozen=True)
class Recent:
    user_hash: str
    question: str
    shown: tuple[str, ...]


class UsageLog:
    def __init__(self, qlog: QuestionLog | None, channel: str, writer: LogWriter | None = None) -> None:
        self.qlog = qlog if qlog is not None and qlog.available else None
        self.channel = channel
        self.writer = writer or (LogWriter() if self.qlog is not None else None)
        self._recent: OrderedDict[str, Recent] = OrderedDict()
        if self.qlog is not None:
            self.qlog.write_patience = WRITE_PATIENCE  # only this writer and `prune` write through it
            self._submit(self._prune_now)  # retention at start-up

    @property
    def available(self) -> bool:
        return self.qlog is not None

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(TOKEN_BYTES)

    def _submit(self, job) -> None:
        if self.writer is not None:
            self.writer.submit(job)

    def question(self, token: str, user: int | str, question: str, kind: str, shown: list[str]) -> None:
        """Log an answered question (call before the reply goes out, so a tap on it finds it); returns at once."""
        if self.qlog is None:
            return
        qlog = self.qlog
        user_hash = qlog.user_hash(user)
        self._recent[token] = Recent(user_hash, question, tuple(shown))
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)
        self._submit(lambda: qlog.record_question(token, user_hash, question, kind, shown, self.channel))

    async def owned(self, token: str, user: int | str) -> Owned:
        """The answer's row (as far as known) and whether `user` asked it (only the asker may rate)."""
        if self.qlog is None:
            return Owned(None, False)
        qlog = self.qlog
        user_hash = qlog.user_hash(user)
        recent = self._recent.get(token)
        if recent is not None:
            row = LoggedQuestion(0, "", recent.question, True, list(recent.shown), token=token)
            return Owned(row, recent.user_hash == user_hash)

        def read() -> Owned:
            row = qlog.get(token)
            return Owned(row, row is not None and qlog.owner(token) == user_hash)
        return await asyncio.to_thread(read)

    def tap(self, token: str, item_id: str) -> None:
        if self.qlog is not None:
            qlog = self.qlog
            self._submit(lambda: qlog.record_tap(token, item_id))

    def feedback(self, token: str, value: str) -> None:
        if self.qlog is not None:
            qlog = self.qlog
            self._submit(lambda: qlog.record_feedback(token, value))

    def correction(self, token: str, item_id: str) -> None:
        if self.qlog is not None:
            qlog = self.qlog
            self._submit(lambda: qlog.record_correction(token, item_id))

    def _prune_now(self) -> int:
        if self.qlog is None:
            return 0
        removed = self.qlog.prune()
        if removed:
            log.info("question log: removed %d question(s) older than %d days", removed, self.qlog.retention_days)
        return removed

    async def prune(self) -> int:
        if self.qlog is None:
            return 0
        return await asyncio.to_thread(self._prune_now)

    async def read(self, fn, *args):
        """Run a read of the log (stats, listings) off the event loop; the writer keeps writing."""
        if self.qlog is None:
            return None
        await asyncio.to_thread(self.flush)
        return await asyncio.to_thread(fn, self.qlog, *args)

    def flush(self, timeout: float = 5.0) -> bool:
        return self.writer.flush(timeout) if self.writer is not None else True

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.qlog is not None:
            self.qlog.close()
