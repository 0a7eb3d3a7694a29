"""Learning from use, end to end through the stand-in Bot API server (tests/telegram_stub.py).

The question log behind the bot, 👍 / 👎 and the correction buttons, taps on other items,
the admin commands /stats and /unanswered, a log that is locked, corrupt or unusable,
retention at start-up, and the whole loop: a question answered wrongly, corrected by the
user, learned by scripts/learn.py, reloaded, then answered right.
"""
from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta, timezone

from test_bot import FLOOD, RIVER, ask, button_data, health, settle, tap  # noqa: F401 (health: autouse)

from bot.channels.telegram.keyboards import parse_callback, shown_ids
from bot.feedback.question_log import QuestionLog
from bot.retrieval.searcher import clean_question

WEATHER = "今天天气怎么样"
DAY = timedelta(days=1)


def row_of(call) -> int:
    """The question-log row an answer's 👍 / 👎 buttons are tied to."""
    [up, down] = button_data(call, "fb:")
    assert up.endswith(":up") and down.endswith(":down")
    return int(up.split(":")[1])


def shown_on(call) -> list[str]:
    """The item ids an answer shows: the best (详情) and the other items' buttons."""
    return [d.split(":")[1] for _, d in call.buttons() if d.startswith(("full:", "item:"))]


def tap_for_toast(stub, user: int, call, data: str):
    """Tap a button whose answer is a callback answer (a toast or an alert), not a message."""
    mark = stub.mark()
    stub.tap(user, call, data)
    [answered] = stub.wait_for(lambda: stub.calls_since(mark, method="answerCallbackQuery"),
                               what=f"the answer to tapping {data}")
    return answered


def wait_row(stub, qlog: QuestionLog, row: int, **expected):
    """Wait until the row is written and has the expected column values."""
    def check():
        got = qlog.get(row)
        return got if got is not None and all(getattr(got, k) == v for k, v in expected.items()) else None
    return stub.wait_for(check, what=f"row {row} with {expected}")


def today(qlog: QuestionLog):
    now = datetime.now(timezone.utc)
    return qlog.stats(now - DAY, now + DAY)


# --------------------------------------------------------------------------- the log itself


def test_every_question_is_logged_with_a_hashed_user_only(start_bot, telegram_stub, searcher):
    bot = start_bot(searcher)
    user = 918273645
    [found] = ask(telegram_stub, user, RIVER)
    [not_found] = ask(telegram_stub, user, f"  {WEATHER}  ")
    assert "清单里没有找到" in not_found.text
    rows = row_of(found), row_of(not_found)
    assert rows[0] != rows[1]
    # The other-item buttons of an answer carry its row too.
    assert all(d.endswith(f":{rows[0]}") for d in button_data(found, "item:"))

    first = wait_row(telegram_stub, bot.qlog, rows[0])
    assert (first.question, first.answered) == (clean_question(RIVER, 200)[0], True)
    assert first.shown == shown_on(found) and first.shown[0] == "basic-084"
    assert (first.tapped, first.feedback, first.corrected) == (None, None, None)
    second = wait_row(telegram_stub, bot.qlog, rows[1])
    assert (second.question, second.answered) == (WEATHER, False)  # as searched: trimmed
    assert second.shown == shown_on(not_found) and len(second.shown) == 3
    assert bot.qlog.asked_by(rows[0], user) is True and bot.qlog.asked_by(rows[0], user + 1) is False

    # Nothing in the files (database, WAL, shared memory) names the user or holds the token.
    files = [p for p in bot.settings.question_log_path.parent.iterdir() if p.is_file()]
    raw = b"".join(p.read_bytes() for p in files)
    assert any(p.name.endswith("-wal") for p in files) and RIVER[:4].encode() in raw
    for secret in (str(user), telegram_stub.token, telegram_stub.token.split(":")[1]):
        assert secret.encode() not in raw and secret.encode("utf-16-le") not in raw


def test_thumbs_up_is_recorded(start_bot, telegram_stub, searcher):
    bot = start_bot(searcher)
    user = 3010
    [answer] = ask(telegram_stub, user, RIVER)
    row = row_of(answer)
    mark = telegram_stub.mark()
    toast = tap_for_toast(telegram_stub, user, answer, f"fb:{row}:up")
    assert "谢谢" in toast.params["text"] and toast.params.get("show_alert") in (None, False, "false")
    assert bot.qlog.get(row).feedback == "up"
    settle(telegram_stub)
    assert not telegram_stub.calls_since(mark, method="sendMessage"), "a 👍 needs no message"
    pairs = bot.qlog.confirmed_pairs(datetime.now(timezone.utc) - DAY, datetime.now(timezone.utc) + DAY)
    assert [(p.item_id, p.how) for p in pairs] == [("basic-084", "up")]


def test_thumbs_down_asks_which_item_was_right_and_records_it(start_bot, telegram_stub, searcher):
    bot = start_bot(searcher)
    user = 3020
    [answer] = ask(telegram_stub, user, FLOOD)
    row, shown = row_of(answer), shown_on(answer)
    [prompt] = tap(telegram_stub, user, answer, f"fb:{row}:down")
    assert "哪一项" in prompt.text
    assert bot.qlog.get(row).feedback == "down"
    # One button per item shown under the answer (short titles), then "none of them".
    assert [d for _, d in prompt.buttons()] == [f"fix:{row}:{i}" for i in shown] + [f"fix:{row}:none"]
    assert prompt.buttons()[-1][0] == "都不对"
    right = shown[1]
    assert searcher.duty(right).display_title[:6] in prompt.buttons()[1][0]
    [done] = tap(telegram_stub, user, prompt, f"fix:{row}:{right}", methods=("editMessageText",))
    assert "已记录" in done.text and searcher.duty(right).display_title[:6] in done.text and not done.buttons()
    logged = bot.qlog.get(row)
    assert (logged.feedback, logged.corrected) == ("down", right)
    pairs = bot.qlog.confirmed_pairs(datetime.now(timezone.utc) - DAY, datetime.now(timezone.utc) + DAY)
    assert [(p.question, p.item_id, p.how) for p in pairs] == [(clean_question(FLOOD, 200)[0], right, "corrected")]

    # Not found, and none of the closest items is it either.
    [nothing] = ask(telegram_stub, user, WEATHER)
    row = row_of(nothing)
    [prompt] = tap(telegram_stub, user, nothing, f"fb:{row}:down")
    [done] = tap(telegram_stub, user, prompt, f"fix:{row}:none", methods=("editMessageText",))
    assert "都不对" in done.text
    assert bot.qlog.get(row).corrected == "none"
    assert len(bot.qlog.confirmed_pairs(datetime.now(timezone.utc) - DAY, datetime.now(timezone.utc) + DAY)) == 1


def test_tapping_another_item_is_recorded(start_bot, telegram_stub, searcher):
    bot = start_bot(searcher)
    user = 3030
    [answer] = ask(telegram_stub, user, RIVER)
    row = row_of(answer)
    other = button_data(answer, "item:")[0]
    item_id = other.split(":")[1]
    [card] = tap(telegram_stub, user, answer, other)
    assert "本镇角色" in card.text and card.buttons() == [("📄 详情", f"full:{item_id}")]
    wait_row(telegram_stub, bot.qlog, row, tapped=item_id)
    # Buttons without a row (/list, or answers sent before this version) still work.
    assert parse_callback(f"item:{item_id}").args == (item_id,)
    assert parse_callback(f"item:{item_id}:{row}").args == (item_id, str(row))
    assert parse_callback("fb:x:up") is not None and parse_callback("fb:1") is None


def test_in_a_group_only_the_asker_rates_the_answer(start_bot, telegram_stub, searcher):
    bot = start_bot(searcher)
    group, asker, colleague = -100700, 3040, 3041
    [answer] = ask(telegram_stub, asker, RIVER, chat_id=group, chat_type="supergroup", mention=True)
    row = row_of(answer)

    refused = tap_for_toast(telegram_stub, colleague, answer, f"fb:{row}:up")
    assert refused.params.get("show_alert") in (True, "true") and "提问的人" in refused.params["text"]
    other = button_data(answer, "item:")[0]
    tap(telegram_stub, colleague, answer, other)  # anyone may look at the card…
    settle(telegram_stub)
    logged = bot.qlog.get(row)
    assert (logged.feedback, logged.tapped) == (None, None)  # …but it is not the asker's doing

    [prompt] = tap(telegram_stub, asker, answer, f"fb:{row}:down")
    assert prompt.params["reply_parameters"]["message_id"] == telegram_stub.message_of(answer)["message_id"]
    right = f"fix:{row}:{shown_on(answer)[1]}"
    refused = tap_for_toast(telegram_stub, colleague, prompt, right)
    assert refused.params.get("show_alert") in (True, "true")
    assert bot.qlog.get(row).corrected is None
    tap(telegram_stub, asker, prompt, right, methods=("editMessageText",))
    assert bot.qlog.get(row).corrected == shown_on(answer)[1]


# --------------------------------------------------------------------------- admin commands


def test_stats_and_unanswered_for_admins_only(start_bot, telegram_stub, searcher):
    admin, colleague = 3050, 3051
    bot = start_bot(searcher, admin_user_ids=frozenset({admin}))
    [river] = ask(telegram_stub, colleague, RIVER)
    [flood] = ask(telegram_stub, colleague, FLOOD)
    ask(telegram_stub, colleague, WEATHER)
    tap(telegram_stub, colleague, flood, f"fb:{row_of(flood)}:down")
    tap_for_toast(telegram_stub, colleague, river, f"fb:{row_of(river)}:up")
    telegram_stub.wait_for(lambda: today(bot.qlog).questions == 3, what="three logged questions")

    [stats] = ask(telegram_stub, admin, "/stats")
    assert "今天</b>：提问 3 次，找到事项 67%，👍 1 / 👎 1（👎 占 50%）" in stats.text
    assert "近 7 天</b>：提问 3 次" in stats.text
    assert f"{searcher.duty('basic-084').display_title[:10]}" in stats.text
    assert f"{searcher.duty('coop-029').display_title[:6]}" in stats.text

    [problems] = ask(telegram_stub, admin, "/unanswered")
    assert f"[未找到] {WEATHER}" in problems.text
    assert f"[👎] {clean_question(FLOOD, 200)[0]}" in problems.text
    assert "河堤" not in problems.text  # 👍 and plainly answered questions are not problems

    for command in ("/stats", "/unanswered", "/reload"):
        [refused] = ask(telegram_stub, colleague, command)
        assert f"只有管理员可以使用 {command}" in refused.text
    [helptext] = ask(telegram_stub, admin, "/help")
    assert all(c in helptext.text for c in ("/stats", "/unanswered", "/reload"))
    [helptext] = ask(telegram_stub, colleague, "/help")
    assert "/stats" not in helptext.text and "👎" in helptext.text
    assert {c["command"] for c in telegram_stub.commands} == {"start", "help", "list"}
    assert today(bot.qlog).questions == 3, "commands are not questions"


# --------------------------------------------------------------------------- a log in trouble


def test_a_locked_log_never_delays_or_breaks_an_answer(start_bot, telegram_stub, searcher, caplog):
    bot = start_bot(searcher)
    user = 3060
    blocker = sqlite3.connect(bot.settings.question_log_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        [answer] = ask(telegram_stub, user, RIVER)
        # The reply went out before the write even gave up waiting for the lock.
        assert "could not record a question" not in caplog.text
        assert "堤防" in answer.text
        row = row_of(answer)
        telegram_stub.wait_for(lambda: "could not record a question" in caplog.text, what="the warning")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    # That question is lost to the log; its 👎 says so instead of failing.
    toast = tap_for_toast(telegram_stub, user, answer, f"fb:{row}:down")
    assert "没能记下" in toast.params["text"]
    [again] = ask(telegram_stub, user, FLOOD)
    wait_row(telegram_stub, bot.qlog, row_of(again), answered=True)
    assert all(r.levelno <= logging.WARNING for r in caplog.records if r.name.startswith("bot."))


def test_a_corrupt_log_is_moved_aside_and_a_fresh_one_started(start_bot, telegram_stub, searcher, caplog,
                                                              tmp_path):
    path = tmp_path / "log" / "questions.sqlite3"
    path.parent.mkdir()
    path.write_bytes(b"not a database, whatever it once was" * 200)
    bot = start_bot(searcher, question_log_path=path)
    assert "corrupt" in caplog.text and list(path.parent.glob("questions.sqlite3.corrupt-*"))
    [answer] = ask(telegram_stub, 3070, RIVER)
    assert "堤防" in answer.text
    wait_row(telegram_stub, bot.qlog, row_of(answer), answered=True)


def test_an_unusable_log_means_answers_without_feedback_buttons(start_bot, telegram_stub, searcher, caplog,
                                                                tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    admin = 3080
    start_bot(searcher, question_log_path=blocker / "sub" / "questions.sqlite3", admin_user_ids=frozenset({admin}))
    assert "question log unavailable" in caplog.text
    [answer] = ask(telegram_stub, admin, RIVER)
    assert answer.buttons()[0] == ("📄 详情", "full:basic-084")
    assert not button_data(answer, "fb:") and all(d.count(":") == 1 for d in button_data(answer, "item:"))
    [stats] = ask(telegram_stub, admin, "/stats")
    assert "不可用" in stats.text


def test_old_questions_are_pruned_at_start_up(start_bot, telegram_stub, searcher, tmp_path):
    path = tmp_path / "log" / "questions.sqlite3"
    qlog = QuestionLog(path)
    now = datetime.now(timezone.utc)
    old = qlog.record_question(1, "很久以前问的", True, ["basic-084"], at=now - timedelta(days=200))
    recent = qlog.record_question(1, "上个月问的", True, ["basic-084"], at=now - timedelta(days=30))
    qlog.close()
    bot = start_bot(searcher, question_log_path=path, log_retention_days=180)
    telegram_stub.wait_for(lambda: bot.qlog.get(old) is None, what="the old question to be pruned")
    assert bot.qlog.get(recent).question == "上个月问的"
    [answer] = ask(telegram_stub, 3090, RIVER)
    assert row_of(answer) > max(old, recent), "new rows never reuse an id"


# --------------------------------------------------------------------------- the learn loop


def test_a_corrected_question_is_learned_and_then_answered_right(start_bot, telegram_stub, searcher,
                                                                 index_copy, tmp_path, run_script):
    question = "老蔫巴家的事儿该找哪个"  # deliberately vague: nothing ties it to an item yet
    # The right item must be one the user can pick: one of those shown, but not the first.
    shown = shown_ids(searcher.search(question))
    assert len(shown) >= 2
    target = "basic-051" if "basic-051" in shown[1:] else shown[1]
    admin, user = 3100, 3101
    log_path = tmp_path / "log" / "questions.sqlite3"
    # Starts on the session searcher (the same build as the copy); /reload loads the copy.
    bot = start_bot(searcher, base=index_copy, admin_user_ids=frozenset({admin}), question_log_path=log_path)

    [first] = ask(telegram_stub, user, question)
    assert shown_on(first) == shown and shown_on(first)[0] != target, "first answered with another item"
    row = row_of(first)
    [prompt] = tap(telegram_stub, user, first, f"fb:{row}:down")
    tap(telegram_stub, user, prompt, f"fix:{row}:{target}", methods=("editMessageText",))
    assert bot.qlog.get(row).corrected == target

    proc = run_script("learn.py", "--from", "2000-01-01", settings=index_copy,
                      env={"QUESTION_LOG_PATH": str(log_path)}, stdin="y\n")
    assert proc.returncode == 0, proc.stderr
    assert question in proc.stdout and target in proc.stdout and "added 1 question" in proc.stdout
    assert '"source": "learned"' in index_copy.questions_path.read_text(encoding="utf-8").splitlines()[-1]

    [busy, done] = ask(telegram_stub, admin, "/reload", count=2)
    assert "已切换到新索引" in done.text
    [again] = ask(telegram_stub, user, question)
    assert again.buttons()[0] == ("📄 详情", f"full:{target}"), "answered, with the right item first"
    assert searcher.duty(target).display_title[:8] in again.text
