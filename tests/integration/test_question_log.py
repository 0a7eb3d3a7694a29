"""The question log, the report and the learn loop."""
from __future__ import annotations

import csv
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

from bot.feedback.learning import from_csv
from bot.feedback.question_log import QuestionLog
from bot.feedback.report import (
    CSV_COLUMNS,
    problems_text,
    stats_text,
    write_problems_csv,
)
from bot.retrieval.opening import open_searcher

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_counter = iter(range(10**9))


def rec(qlog: QuestionLog, user: int, question: str, answered: bool, shown: list[str], at=None,
        kind: str | None = None) -> str | None:
    """Log one answered question the way the channels do; returns its token (None: not written)."""
    token = f"{next(_counter):012x}"
    row = qlog.record_question(token, qlog.user_hash(user), question, kind or ("list" if answered else "none"),
                               shown, at=at)
    return token if row is not None else None


def test_records_and_reads_back(tmp_path):
    qlog = QuestionLog(tmp_path / "q.sqlite3", salt="s")
    row = rec(qlog, 123456789, "低保谁审批", True, ["basic-052", "basic-053"], at=NOW)
    qlog.record_tap(row, "basic-053")
    qlog.record_feedback(row, "down")
    qlog.record_correction(row, "basic-053")
    got = qlog.get(row)
    assert (got.question, got.answered, got.shown, got.tapped, got.feedback, got.corrected) == (
        "低保谁审批", True, ["basic-052", "basic-053"], "basic-053", "down", "basic-053")
    assert qlog.confirmed_pairs(NOW - timedelta(days=1), NOW + timedelta(days=1))[0].item_id == "basic-053"
    with sqlite3.connect(tmp_path / "q.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_no_raw_user_id_or_token_is_stored(tmp_path, monkeypatch):
    token = "123456:SECRET-TOKEN-abcdef"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    path = tmp_path / "q.sqlite3"
    qlog = QuestionLog(path, salt="")
    rec(qlog, 987654321, "高龄津贴", True, ["basic-048"])
    qlog.close()
    database = [p for p in tmp_path.iterdir() if p.is_file() and not p.name.endswith(".salt")]
    raw = b"".join(p.read_bytes() for p in database)
    assert b"987654321" not in raw and token.encode() not in raw
    # The generated salt lives beside the log, readable by its owner only: the log alone reveals nobody.
    salt = path.with_name(path.name + ".salt")
    assert salt.stat().st_mode & 0o777 == 0o600 and salt.read_text().strip().encode() not in raw
    # Same user, same hash across reopenings.
    again = QuestionLog(path, salt="")
    assert again.user_hash(987654321) == QuestionLog(path).user_hash(987654321)
    assert again.user_hash(987654321) != again.user_hash(987654322)


def test_concurrent_writers_during_a_burst(tmp_path):
    path = tmp_path / "q.sqlite3"
    logs = [QuestionLog(path, salt="s") for _ in range(4)]  # several connections, as several processes would
    errors = []

    def ask(n):
        try:
            qlog = logs[n % len(logs)]
            for i in range(25):
                row = rec(qlog, n, f"问题 {n}-{i}", i % 2 == 0, ["basic-001"])
                assert row is not None
                qlog.record_feedback(row, "up")
        except Exception as exc:  # noqa: BLE001 - collect for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    s = logs[0].stats(datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1))
    assert s.questions == 500 and s.feedback_up == 500 and s.answered == 260


def test_corrupt_file_is_moved_aside(tmp_path, caplog):
    path = tmp_path / "q.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    qlog = QuestionLog(path, salt="s")
    assert rec(qlog, 1, "还能记吗", False, []) is not None
    assert list(tmp_path.glob("q.sqlite3.corrupt-*"))
    assert "corrupt" in caplog.text


def test_unwritable_location_degrades_to_a_warning(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    qlog = QuestionLog(blocker / "sub" / "q.sqlite3", salt="s")  # parent is a file: cannot create
    assert rec(qlog, 1, "问题", True, ["basic-001"]) is None
    assert qlog.stats(NOW - timedelta(days=1), NOW).questions == 0
    assert "unavailable" in caplog.text


def test_locked_database_does_not_raise(tmp_path, caplog):
    path = tmp_path / "q.sqlite3"
    qlog = QuestionLog(path, salt="s")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        assert rec(qlog, 1, "锁住了", True, []) is None
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert "could not record a question" in caplog.text
    assert rec(qlog, 1, "解锁了", True, []) is not None


def test_an_old_log_file_is_migrated(tmp_path):
    """A log written before tokens, channels and the schema version (user_version 0) keeps its rows."""
    path = tmp_path / "q.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE questions (id INTEGER PRIMARY KEY, asked_at TEXT NOT NULL, user_hash TEXT NOT NULL,
                question TEXT NOT NULL, answered INTEGER NOT NULL, shown TEXT NOT NULL, tapped TEXT,
                feedback TEXT, corrected TEXT);
            INSERT INTO meta VALUES ('salt', 'old-salt');
            INSERT INTO questions VALUES (7, '2026-11-01T00:00:00+00:00', 'h', '低保', 1, '["basic-052"]',
                                          NULL, 'up', NULL);
        """)
    qlog = QuestionLog(path)
    old = qlog.get("row7")
    assert (old.question, old.kind, old.channel, old.feedback) == ("低保", "list", "telegram", "up")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM meta WHERE key='salt'").fetchone()[0] == 0
    assert path.with_name(path.name + ".salt").read_text().strip() == "old-salt"
    assert rec(qlog, 1, "新的", True, ["basic-001"]) is not None


def test_a_log_another_process_just_created_is_not_migrated_again(tmp_path, monkeypatch):
    """Two processes opening a new log together: one read "no version" before the other committed the
    new schema and then, seeing its table, took it for an old file to alter (CI: "duplicate column
    name: token", the process left without a log). The version is read again under the lock."""
    path = tmp_path / "q.sqlite3"
    QuestionLog(path, salt="s")  # the other process: the file is created at the current version
    readings = iter([(1, True)])  # what this process read before taking the lock: an old file, so it seemed
    real = QuestionLog._version
    monkeypatch.setattr(QuestionLog, "_version", staticmethod(lambda conn: next(readings, None) or real(conn)))
    qlog = QuestionLog(path, salt="s")
    assert qlog._conn is not None and rec(qlog, 1, "低保", True, ["basic-052"]) is not None


def test_two_writers_on_one_file_keep_every_row(tmp_path):
    """The bot and the web server each have their own connection to the same log."""
    path = tmp_path / "q.sqlite3"
    bot, web = QuestionLog(path, salt="s"), QuestionLog(path, salt="s")
    tokens = {"bot": [], "web": []}

    def write(name, qlog):
        for i in range(200):
            token = f"{name}{i:09d}"
            qlog.record_question(token, qlog.user_hash(i), f"{name} {i}", "list", ["basic-001"], channel=name)
            tokens[name].append(token)

    threads = [threading.Thread(target=write, args=item) for item in (("bot", bot), ("web", web))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, qlog in (("bot", bot), ("web", web)):
        qlog.record_feedback(tokens[name][-1], "up")
    s = bot.stats(datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1))
    assert s.questions == 400 and s.feedback_up == 2
    assert web.get(tokens["bot"][-1]).channel == "bot" and bot.owner(tokens["web"][0]) == web.user_hash(0)


def test_retention_prunes_old_rows(tmp_path):
    qlog = QuestionLog(tmp_path / "q.sqlite3", salt="s", retention_days=180)
    rec(qlog, 1, "很久以前", True, ["basic-001"], at=NOW - timedelta(days=200))
    rec(qlog, 1, "最近", True, ["basic-001"], at=NOW - timedelta(days=10))
    assert qlog.prune(now=NOW) == 1
    rows = qlog.problems(NOW - timedelta(days=400), NOW) + qlog._rows("1 = 1", ())
    assert {r.question for r in rows} == {"最近"}


def test_stats_and_problem_texts(tmp_path):
    qlog = QuestionLog(tmp_path / "q.sqlite3", salt="s")
    for i in range(3):
        rec(qlog, i, f"低保{i}", True, ["basic-052"], at=NOW - timedelta(hours=1))
    bad = rec(qlog, 9, "<b>美国总统</b>", False, ["basic-001"], at=NOW - timedelta(days=2))
    down = rec(qlog, 8, "网格员", True, ["basic-020"], at=NOW - timedelta(hours=2))
    qlog.record_feedback(down, "down")
    text = stats_text(qlog, {"basic-052": "最低生活保障"}, now=NOW)
    assert "今天</b>：提问 4 次" in text and "近 7 天</b>：提问 5 次" in text and "最低生活保障（3 次）" in text
    problems = problems_text(qlog, now=NOW)
    assert "&lt;b&gt;美国总统" in problems and "[👎] 网格员" in problems
    csv_path = tmp_path / "problems.csv"
    write_problems_csv(qlog.problems(NOW - timedelta(days=30), NOW), csv_path)
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == CSV_COLUMNS and {r[2] for r in rows[1:]} == {"<b>美国总统</b>", "网格员"}
    assert bad


def test_learn_loop_from_the_edited_csv(index_copy, tmp_path, run_script):
    question = "老蔫巴家的事儿该找哪个"  # deliberately vague: nothing ties it to an item yet
    target = "basic-051"
    searcher = open_searcher(index_copy)
    first = searcher.search(question)
    assert first.matches[0].id != target

    log_path = tmp_path / "q.sqlite3"
    qlog = QuestionLog(log_path, salt="s")
    row = rec(qlog, 42, question, first.answered, [m.id for m in first.matches[:4]])
    assert row is not None
    qlog.record_feedback(row, "down")
    qlog.record_correction(row, target)
    qlog.close()

    env = {"QUESTION_LOG_PATH": str(log_path), "LOG_SALT": "s"}
    csv_path = tmp_path / "review.csv"
    proc = run_script("report.py", "--from", "2000-01-01", "--csv", str(csv_path), settings=index_copy, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "questions        1" in proc.stdout
    # The admin fills in the confirmed item (here: the one the user tapped) in Excel.
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[1][7] == target
    rows[1][-1] = rows[1][7]
    with csv_path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    assert [c.item_id for c in from_csv(csv_path)] == [target]

    proc = run_script("learn.py", "--csv", str(csv_path), settings=index_copy, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "added 1 question" in proc.stdout and "embedded 1," in proc.stdout
    again = open_searcher(index_copy).search(question)
    assert again.answered and again.matches[0].id == target
    # Learning the same pair twice adds nothing.
    proc = run_script("learn.py", "--csv", str(csv_path), settings=index_copy, env=env)
    assert "nothing new to learn" in proc.stdout


def test_learn_interactive_review(index_copy, tmp_path, run_script):
    log_path = tmp_path / "q.sqlite3"
    qlog = QuestionLog(log_path, salt="s")
    yes = rec(qlog, 1, "屯里修路的事归谁", True, ["basic-078"])
    qlog.record_feedback(yes, "up")
    no = rec(qlog, 2, "随便问问", True, ["basic-001"])
    qlog.record_feedback(no, "up")
    qlog.close()
    env = {"QUESTION_LOG_PATH": str(log_path), "LOG_SALT": "s"}
    before = index_copy.questions_path.read_text(encoding="utf-8")
    proc = run_script("learn.py", "--from", "2000-01-01", "--no-rebuild", settings=index_copy, env=env,
                      stdin="y\nn\n")
    assert proc.returncode == 0, proc.stderr
    added = index_copy.questions_path.read_text(encoding="utf-8")[len(before):]
    assert added.count("\n") == 1 and "屯里修路的事归谁" in added and "basic-078" in added


def test_a_new_salt_is_the_same_for_everyone_who_asks_at_once(tmp_path):
    """Openers racing on a new log all get the one salt, never an empty one (a file created but not
    yet written); an empty salt file left by a crash is replaced."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.feedback.question_log import load_or_create_salt, salt_file

    path = tmp_path / "questions.sqlite3"
    with ThreadPoolExecutor(16) as pool:
        salts = set(pool.map(lambda _: load_or_create_salt(path), range(64)))
    assert len(salts) == 1 and len(salts.pop()) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["questions.sqlite3.salt"]  # nothing left aside
    broken = tmp_path / "other.sqlite3"
    salt_file(broken).write_text("", encoding="ascii")
    salt = load_or_create_salt(broken)
    assert len(salt) == 64 and load_or_create_salt(broken) == salt
