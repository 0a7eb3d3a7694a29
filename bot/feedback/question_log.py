"""The question log: what staff ask, what they were shown, and what they said about it.

SQLite in WAL mode. Users appear only as a salted hash. Logging must never delay or
break an answer: every failure (locked, disk full, corrupt file) becomes a warning,
and a corrupt file is moved aside and a fresh one started.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    asked_at TEXT NOT NULL,
    user_hash TEXT NOT NULL,
    question TEXT NOT NULL,
    answered INTEGER NOT NULL,
    shown TEXT NOT NULL,
    tapped TEXT,
    feedback TEXT,
    corrected TEXT
);
CREATE INDEX IF NOT EXISTS questions_asked_at ON questions (asked_at);
"""
NONE_CORRECT = "none"


@dataclass
class LoggedQuestion:
    id: int
    asked_at: str
    question: str
    answered: bool
    shown: list[str]
    tapped: str | None = None
    feedback: str | None = None
    corrected: str | None = None


@dataclass
class Stats:
    start: str
    end: str
    questions: int = 0
    answered: int = 0
    feedback_up: int = 0
    feedback_down: int = 0
    top_items: list[tuple[str, int]] = field(default_factory=list)

    @property
    def answered_rate(self) -> float:
        return self.answered / self.questions if self.questions else 0.0

    @property
    def down_rate(self) -> float:
        rated = self.feedback_up + self.feedback_down
        return self.feedback_down / rated if rated else 0.0


@dataclass(frozen=True)
class ConfirmedPair:
    """A question and the item a user confirmed (👍 on the answer, or 👎 then the right item)."""

    question: str
    item_id: str
    how: str  # "up" or "corrected"
    asked_at: str


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


class QuestionLog:
    def __init__(self, path: Path, salt: str = "", retention_days: int = 180) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._salt = salt
        # Ids handed out by reserve_id() before their row is written (see there).
        self._id_lock = threading.Lock()
        self._next_id = 1
        self._open()

    # -- connection handling -------------------------------------------------------
    def _open(self) -> None:
        try:
            self._conn = self._connect()
        except sqlite3.DatabaseError as exc:
            if self._is_corrupt(exc):
                self._move_aside()
                try:
                    self._conn = self._connect()
                except (sqlite3.Error, OSError) as again:
                    log.warning("question log unavailable (%s); answers go on without logging", again)
                    self._conn = None
            else:
                log.warning("question log unavailable (%s); answers go on without logging", exc)
                self._conn = None
        except OSError as exc:
            log.warning("question log unavailable (%s); answers go on without logging", exc)
            self._conn = None

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=2.0, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=2000")  # writes happen after the reply: waiting is harmless
            conn.executescript(SCHEMA)
            if not self._salt:
                # No salt configured: keep a random one in the file, so hashes stay stable.
                row = conn.execute("SELECT value FROM meta WHERE key='salt'").fetchone()
                if row is None:
                    conn.execute("INSERT INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),))
                    row = conn.execute("SELECT value FROM meta WHERE key='salt'").fetchone()
                self._salt = row[0]
            top = conn.execute("SELECT max(id) FROM questions").fetchone()[0] or 0
            with self._id_lock:
                self._next_id = max(self._next_id, top + 1)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
        text = str(exc).lower()
        return "not a database" in text or "malformed" in text or "corrupt" in text

    def _move_aside(self) -> None:
        stamp = _now().strftime("%Y%m%dT%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                src.rename(Path(f"{self.path}.corrupt-{stamp}{suffix}"))
        log.warning("question log %s was corrupt; moved aside, starting a fresh one", self.path)

    def _run(self, what: str, fn, default=None):
        """Run fn(conn) under the lock; any failure is a warning, never an exception."""
        with self._lock:
            if self._conn is None:
                return default
            try:
                return fn(self._conn)
            except sqlite3.DatabaseError as exc:
                if self._is_corrupt(exc):
                    self._conn.close()
                    self._move_aside()
                    self._open()
                log.warning("question log: could not %s (%s)", what, exc)
            except (sqlite3.Error, OSError, ValueError) as exc:
                log.warning("question log: could not %s (%s)", what, exc)
            return default

    @property
    def available(self) -> bool:
        return self._conn is not None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- writing -----------------------------------------------------------------------
    def user_hash(self, user_id: int) -> str:
        return hmac.new(self._salt.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()[:20]

    def reserve_id(self) -> int | None:
        """An id for a question not yet recorded, without touching the file (None: log unavailable).

        Lets the bot put the row id into an answer's buttons and write the row after the
        answer is sent. Meant for the one process that writes questions (the bot).
        """
        if self._conn is None:
            return None
        with self._id_lock:
            row_id, self._next_id = self._next_id, self._next_id + 1
        return row_id

    def record_question(self, user_id: int, question: str, answered: bool, shown: list[str],
                        at: datetime | None = None, row_id: int | None = None) -> int | None:
        row = (row_id, _iso(at or _now()), self.user_hash(user_id), question, int(answered), json.dumps(shown))
        return self._run("record a question", lambda c: c.execute(
            "INSERT INTO questions (id, asked_at, user_hash, question, answered, shown) VALUES (?, ?, ?, ?, ?, ?)",
            row).lastrowid)

    def _update(self, row_id: int, column: str, value: str) -> None:
        self._run(f"record {column}", lambda c: c.execute(
            f"UPDATE questions SET {column} = ? WHERE id = ?", (value, row_id)))

    def record_tap(self, row_id: int, item_id: str) -> None:
        self._update(row_id, "tapped", item_id)

    def record_feedback(self, row_id: int, feedback: str) -> None:
        if feedback not in ("up", "down"):
            raise ValueError(feedback)
        self._update(row_id, "feedback", feedback)

    def record_correction(self, row_id: int, item_id: str) -> None:
        self._update(row_id, "corrected", item_id)

    def prune(self, now: datetime | None = None) -> int:
        cutoff = _iso((now or _now()) - timedelta(days=self.retention_days))
        return self._run("prune old questions", lambda c: c.execute(
            "DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount, 0)

    # -- reading -------------------------------------------------------------------------
    def _rows(self, where: str, params: tuple) -> list[LoggedQuestion]:
        def fetch(c):
            rows = c.execute(
                "SELECT id, asked_at, question, answered, shown, tapped, feedback, corrected "
                f"FROM questions WHERE {where} ORDER BY asked_at DESC, id DESC", params).fetchall()
            return [LoggedQuestion(r[0], r[1], r[2], bool(r[3]), json.loads(r[4]), r[5], r[6], r[7]) for r in rows]
        return self._run("read questions", fetch, [])

    def asked_by(self, row_id: int, user_id: int) -> bool | None:
        """Whether this user asked the question of this row; None when there is no such row (or no log)."""
        found = self._run("read a question", lambda c: c.execute(
            "SELECT user_hash FROM questions WHERE id = ?", (row_id,)).fetchone())
        return None if found is None else hmac.compare_digest(found[0], self.user_hash(user_id))

    def get(self, row_id: int) -> LoggedQuestion | None:
        rows = self._rows("id = ?", (row_id,))
        return rows[0] if rows else None

    def stats(self, start: datetime, end: datetime, top: int = 5) -> Stats:
        rows = self._rows("asked_at >= ? AND asked_at < ?", (_iso(start), _iso(end)))
        counts = Counter(r.shown[0] for r in rows if r.answered and r.shown)
        return Stats(
            start=_iso(start), end=_iso(end), questions=len(rows), answered=sum(r.answered for r in rows),
            feedback_up=sum(r.feedback == "up" for r in rows), feedback_down=sum(r.feedback == "down" for r in rows),
            top_items=counts.most_common(top),
        )

    def problems(self, start: datetime, end: datetime, limit: int | None = None) -> list[LoggedQuestion]:
        """Not-found and 👎 questions, newest first."""
        rows = self._rows("asked_at >= ? AND asked_at < ? AND (answered = 0 OR feedback = 'down')",
                          (_iso(start), _iso(end)))
        return rows[:limit] if limit else rows

    def confirmed_pairs(self, start: datetime, end: datetime) -> list[ConfirmedPair]:
        pairs = []
        for r in reversed(self._rows("asked_at >= ? AND asked_at < ?", (_iso(start), _iso(end)))):
            if r.feedback == "up" and r.shown and r.answered:
                pairs.append(ConfirmedPair(r.question, r.shown[0], "up", r.asked_at))
            elif r.corrected and r.corrected != NONE_CORRECT:
                pairs.append(ConfirmedPair(r.question, r.corrected, "corrected", r.asked_at))
        return pairs
