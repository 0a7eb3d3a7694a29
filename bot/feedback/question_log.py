"""The question log: what staff ask, what they were shown, and what they said about it.

SQLite in WAL mode, shared by every process of the bot (Telegram, web): row ids come from
SQLite, each answer is addressed by a random token that its buttons carry, and every
write is one short transaction. Users appear only as a salted hash; the salt is kept
outside the log (LOG_SALT, or a generated `<log>.salt` file readable by its owner only),
so a leaked log alone does not tell who asked.

Logging must never break an answer: every failure (locked, disk full, corrupt file)
becomes a warning, and a corrupt file is moved aside and a fresh one started. A write the
database is locked for gives up after the busy timeout, unless `write_patience` allows it
to keep trying (the bot's writer thread, which nothing waits for, sets it: see usage.py).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT,
    asked_at TEXT NOT NULL,
    user_hash TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'telegram',
    question TEXT NOT NULL,
    answered INTEGER NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    shown TEXT NOT NULL,
    tapped TEXT,
    feedback TEXT,
    corrected TEXT
);
CREATE INDEX IF NOT EXISTS questions_asked_at ON questions (asked_at);
CREATE UNIQUE INDEX IF NOT EXISTS questions_token ON questions (token);
"""
# Version 1 (before tokens and channels) -> 2.
MIGRATIONS = {
    1: [
        "ALTER TABLE questions ADD COLUMN token TEXT",
        "ALTER TABLE questions ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram'",
        "ALTER TABLE questions ADD COLUMN kind TEXT NOT NULL DEFAULT ''",
        "UPDATE questions SET kind = CASE answered WHEN 1 THEN 'list' ELSE 'none' END",
        "UPDATE questions SET token = 'row' || id WHERE token IS NULL",
    ],
}
NONE_CORRECT = "none"
BUSY_TIMEOUT_MS = 2000
# Opening a log that is locked or reads as damaged is tried again for this long before the
# process runs without a log or moves the file aside.
OPEN_LOCKED_PATIENCE_SECONDS = 8.0  # each try itself waits BUSY_TIMEOUT_MS
OPEN_DAMAGED_PATIENCE_SECONDS = 1.0
OPEN_RETRY_SECONDS = 0.1
BUSY_WARN_EVERY_SECONDS = 60.0


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
    token: str = ""
    channel: str = "telegram"
    kind: str = ""


@dataclass
class Stats:
    start: str
    end: str
    questions: int = 0
    answered: int = 0
    referred: int = 0
    feedback_up: int = 0
    feedback_down: int = 0
    corrected: int = 0  # 👎 and then the right item picked: answered, but wrongly
    top_items: list[tuple[str, int]] = field(default_factory=list)

    @property
    def answered_rate(self) -> float:
        """List answers not known to be wrong, of all questions."""
        return (self.answered - self.corrected) / self.questions if self.questions else 0.0

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
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def salt_file(path: Path) -> Path:
    return Path(f"{path}.salt")


def load_or_create_salt(path: Path) -> str:
    """The generated salt next to the log (never inside it), created once with mode 0600.

    Two processes may open a new log at the same moment: the salt file must appear whole or
    not at all (a reader of a created-but-not-yet-written file would hash with an empty salt),
    so it is written aside and linked into place; whoever links first wins and both read that."""
    file = salt_file(path)
    try:
        salt = file.read_text(encoding="ascii").strip()
        if salt:
            return salt
    except FileNotFoundError:
        pass
    file.parent.mkdir(parents=True, exist_ok=True)
    aside = file.with_name(f"{file.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(aside, file)
        except FileExistsError:
            if not file.read_text(encoding="ascii").strip():  # left empty by a crash: replace it
                os.replace(aside, file)
    finally:
        aside.unlink(missing_ok=True)
    return file.read_text(encoding="ascii").strip()


class QuestionLog:
    def __init__(self, path: Path, salt: str = "", retention_days: int = 180) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._salt = salt
        # Seconds a write keeps trying while another connection holds the database locked
        # (each try already waits BUSY_TIMEOUT_MS); 0: one try, then a warning.
        self.write_patience = 0.0
        self._last_busy_warning = -BUSY_WARN_EVERY_SECONDS
        self._open()

    # -- connection handling -------------------------------------------------------
    def _open(self) -> None:
        try:
            self._conn = self._connect_patiently()
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

    def _connect_patiently(self) -> sqlite3.Connection:
        """Connect, trying again for a moment when the file is locked or reads as damaged:
        another process may be creating or migrating it right now. Giving up at once would run
        this process without a log (locked) or split the log in two (moved aside as corrupt)."""
        started = time.monotonic()
        while True:
            try:
                return self._connect()
            except sqlite3.DatabaseError as exc:
                patience = (OPEN_LOCKED_PATIENCE_SECONDS if self._is_locked(exc)
                            else OPEN_DAMAGED_PATIENCE_SECONDS if self._is_corrupt(exc) else 0.0)
                if time.monotonic() - started >= patience:
                    raise
                time.sleep(OPEN_RETRY_SECONDS)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
                               isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._migrate(conn)
            if not self._salt:
                self._salt = load_or_create_salt(self.path)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _version(conn: sqlite3.Connection) -> tuple[int, bool]:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE name='questions'").fetchone() is not None
        if version == 0 and has_table:
            version = 1  # files written before the version was recorded
        return version, has_table

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Bring an older file up to SCHEMA_VERSION (PRAGMA user_version), in one transaction."""
        version, has_table = self._version(conn)
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"the question log {self.path} is from a newer version ({version})")
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the lock: another process may have created or migrated the file
            # between the first reading and now (two processes starting on a new log together
            # both saw no version, then one saw the other's table and altered it again).
            version, has_table = self._version(conn)
            if version == SCHEMA_VERSION:
                conn.execute("COMMIT")
                return
            if has_table:
                for step in range(version, SCHEMA_VERSION):
                    for statement in MIGRATIONS[step]:
                        conn.execute(statement)
                # Old files kept a generated salt inside the log; it moves out (see module doc).
                row = conn.execute("SELECT value FROM meta WHERE key='salt'").fetchone() \
                    if conn.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone() else None
                if row is not None:
                    if not self._salt and not salt_file(self.path).exists():
                        salt_file(self.path).write_text(row[0] + "\n", encoding="ascii")
                        salt_file(self.path).chmod(0o600)
                    conn.execute("DELETE FROM meta WHERE key='salt'")
            for statement in SCHEMA.strip().split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _is_locked(exc: sqlite3.Error) -> bool:
        text = str(exc).lower()
        return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)

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

    def _run(self, what: str, fn, default=None, patience: float = 0.0):
        """Run fn(conn) under the lock; any failure is a warning, never an exception.

        While another connection holds the database locked, fn is tried again until
        `patience` seconds have passed, letting go of the lock in between (reads go on).
        """
        deadline = time.monotonic() + patience
        while True:
            with self._lock:
                if self._conn is None:
                    return default
                try:
                    return fn(self._conn)
                except sqlite3.DatabaseError as exc:
                    if self._is_locked(exc) and time.monotonic() < deadline:
                        self._warn_busy(what, patience)
                    else:
                        if self._is_corrupt(exc):
                            self._conn.close()
                            self._move_aside()
                            self._open()
                        log.warning("question log: could not %s (%s)", what, exc)
                        return default
                except (sqlite3.Error, OSError, ValueError) as exc:
                    log.warning("question log: could not %s (%s)", what, exc)
                    return default
            time.sleep(0.05)  # the next try waits up to BUSY_TIMEOUT_MS itself

    def _warn_busy(self, what: str, patience: float) -> None:
        now = time.monotonic()
        if now - self._last_busy_warning >= BUSY_WARN_EVERY_SECONDS:
            self._last_busy_warning = now
            log.warning("question log is locked by another connection; waiting up to %.0f s to %s", patience, what)

    @property
    def available(self) -> bool:
        return self._conn is not None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- writing -----------------------------------------------------------------------
    def user_hash(self, user: int | str) -> str:
        return hmac.new(self._salt.encode(), str(user).encode(), hashlib.sha256).hexdigest()[:20]

    def record_question(self, token: str, user_hash: str, question: str, kind: str, shown: list[str],
                        channel: str = "telegram", at: datetime | None = None) -> int | None:
        """One answered question; returns SQLite's row id (None when the log is unavailable)."""
        row = (token, _iso(at or _now()), user_hash, channel, question, int(kind == "list"), kind, json.dumps(shown))
        return self._run("record a question", lambda c: c.execute(
            "INSERT INTO questions (token, asked_at, user_hash, channel, question, answered, kind, shown) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row).lastrowid, patience=self.write_patience)

    def _update(self, token: str, column: str, value: str) -> None:
        self._run(f"record {column}", lambda c: c.execute(
            f"UPDATE questions SET {column} = ? WHERE token = ?", (value, token)), patience=self.write_patience)

    def record_tap(self, token: str, item_id: str) -> None:
        self._update(token, "tapped", item_id)

    def record_feedback(self, token: str, feedback: str) -> None:
        """👍 / 👎: one vote per answer, the last one counts."""
        if feedback not in ("up", "down"):
            raise ValueError(feedback)
        self._update(token, "feedback", feedback)

    def record_correction(self, token: str, item_id: str) -> None:
        self._update(token, "corrected", item_id)

    def prune(self, now: datetime | None = None) -> int:
        cutoff = _iso((now or _now()) - timedelta(days=self.retention_days))
        return self._run("prune old questions", lambda c: c.execute(
            "DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount, 0, patience=self.write_patience)

    # -- reading -------------------------------------------------------------------------
    def _rows(self, where: str, params: tuple) -> list[LoggedQuestion]:
        def fetch(c):
            rows = c.execute(
                "SELECT id, asked_at, question, answered, shown, tapped, feedback, corrected, token, channel, kind "
                f"FROM questions WHERE {where} ORDER BY asked_at DESC, id DESC", params).fetchall()
            return [LoggedQuestion(r[0], r[1], r[2], bool(r[3]), json.loads(r[4]), r[5], r[6], r[7], r[8] or "",
                                   r[9], r[10]) for r in rows]
        return self._run("read questions", fetch, [])

    def owner(self, token: str) -> str | None:
        """The hash of whoever asked the question with this token; None when there is no such row."""
        found = self._run("read a question", lambda c: c.execute(
            "SELECT user_hash FROM questions WHERE token = ?", (token,)).fetchone())
        return None if found is None else found[0]

    def get(self, token: str) -> LoggedQuestion | None:
        rows = self._rows("token = ?", (token,))
        return rows[0] if rows else None

    def stats(self, start: datetime, end: datetime, top: int = 5) -> Stats:
        rows = self._rows("asked_at >= ? AND asked_at < ?", (_iso(start), _iso(end)))
        counts = Counter(r.shown[0] for r in rows if r.answered and r.shown)
        return Stats(
            start=_iso(start), end=_iso(end), questions=len(rows), answered=sum(r.answered for r in rows),
            referred=sum(r.kind == "referral" for r in rows),
            feedback_up=sum(r.feedback == "up" for r in rows), feedback_down=sum(r.feedback == "down" for r in rows),
            corrected=sum(r.answered and r.feedback == "down" and bool(r.corrected) for r in rows),
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
