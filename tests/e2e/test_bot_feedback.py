"""Learning from use, end to end through the stand-in Bot API server (tests/support/telegram_stub.py).

The question log behind the bot (rows addressed by a random token, written by the log's own
thread after the reply), 👍 / 👎 and the "which item was right" prompt, taps on other items,
who may rate in a group, the admin commands /stats and /unanswered, a log that is locked,
corrupt or unusable, retention at start-up, and the whole loop: a question answered wrongly,
corrected by the user, learned by scripts/learn.py, reloaded, then answered right.

Retrieval is tuned elsewhere (tests/e2e/test_bot.py pins its answers); the not-found and
referral questions used here are picked from a few candidates by asking the same engine the
bot uses, so these tests keep testing feedback when a tuning moves one question's kind.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import sqlite3
import stat
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from test_bot import FLOOD, RIVER, ask, button_data, health, settle, tap  # noqa: F401 (health: autouse)

from bot.answers import texts
from bot.answers.small_talk import small_talk_reply
from bot.feedback.question_log import QuestionLog, salt_file
from bot.retrieval.question import prepare

DAY = timedelta(days=1)
TOKEN = re.compile(r"[0-9a-f]{12}")
# Candidates, in order of preference; the first of the wanted kind is used (see the module doc).
NOT_FOUND_CANDIDATES = ("帮我写一首关于春天的诗", "今天天气怎么样", "qwerty uiop", "asdfghjkl")
REFERRAL_CANDIDATES = ("家里停电了 找谁修", "停电了找谁", "狗咬人了找谁", "手机丢了怎么办", "狂犬疫苗在哪打", "被狗咬了 打疫苗去哪")
# Deliberately vague: nothing ties it to an item yet (the learn loop).
VAGUE_CANDIDATES = ("老蔫巴家的事儿该找哪个", "那家人的事儿到底归谁", "这个事咋整啊找哪个")
LOCK_SECONDS = 5.0  # longer than the log's busy timeout (2 s): a write has to wait it out
ANSWER_WITHIN = 2.0


# --------------------------------------------------------------------------- helpers


def question_of_kind(engine, kinds: str | tuple[str, ...], candidates, ok=lambda answer: True) -> str:
    """The first candidate the engine answers with one of `kinds` (and `ok`)."""
    kinds = (kinds,) if isinstance(kinds, str) else kinds
    got = {}
    for question in candidates:
        answer = engine.ask(question)
        got[question] = (answer.kind, answer.shown_ids)
        if answer.kind in kinds and ok(answer):
            return question
    pytest.fail(f"no candidate is answered as {kinds}: {got}")


@pytest.fixture(scope="module")
def not_found(engine) -> str:
    return question_of_kind(engine, "none", NOT_FOUND_CANDIDATES, lambda a: len(a.alternatives) >= 1)


@pytest.fixture(scope="module")
def referral(engine) -> str:
    return question_of_kind(engine, "referral", REFERRAL_CANDIDATES,
                            lambda a: a.referral is not None and len(a.shown_ids) >= 1)


def searched(question: str) -> str:
    """A question as the log keeps it: as searched (normalised, trimmed)."""
    return prepare(question, 200).text


def token_of(call) -> str:
    """The token an answer's 👍 / 👎 (and its other-item buttons) carry."""
    [up, down] = button_data(call, "fb:")
    token = up.split(":")[1]
    assert TOKEN.fullmatch(token), up
    assert (up, down) == (f"fb:{token}:up", f"fb:{token}:down")
    assert all(d == f"item:{d.split(':')[1]}:{token}" for d in button_data(call, "item:"))
    assert [label for label, d in call.buttons() if d.startswith("fb:")] == [texts.BUTTON_UP, texts.BUTTON_DOWN]
    return token


def shown_on(call) -> list[str]:
    """The items an answer shows: the best (详情) and the other items' buttons."""
    return [d.split(":")[1] for _, d in call.buttons() if d.startswith(("full:", "item:"))]


def tap_for_toast(stub, user: int, call, data: str):
    """Tap a button whose answer is a callback answer (a toast or an alert)."""
    mark = stub.mark()
    stub.tap(user, call, data)
    [answered] = stub.wait_for(lambda: stub.calls_since(mark, method="answerCallbackQuery"),
                               what=f"the answer to tapping {data}")
    return answered


def is_alert(answered) -> bool:
    return answered.params.get("show_alert") in (True, "true", "True")


def tap_and_wait(stub, user: int, call, data: str, count: int):
    """Tap, then wait for `count` edits or messages in that chat (in the order they were made)."""
    mark = stub.mark()
    stub.tap(user, call, data)
    return stub.wait_messages(call.chat_id, count, mark, methods=("editMessageText", "sendMessage"))


def row(stub, bot, token: str, **expected):
    """The logged question with that token, once written with the expected column values.

    The bot queues a row (or a vote, a tap) for the log's writer thread just after its
    reply went out, so the test can see the reply a moment before the row is queued.
    """
    def check():
        got = bot.qlog.get(token)
        return got if got is not None and all(getattr(got, k) == v for k, v in expected.items()) else None
    return stub.wait_for(check, what=f"the row of {token} with {expected}")


def wait_stats(stub, bot, **expected):
    """Today's figures, once they have the expected values."""
    def check():
        got = today(bot.qlog)
        return got if all(getattr(got, k) == v for k, v in expected.items()) else None
    return stub.wait_for(check, what=f"today's figures with {expected}")


def today(qlog: QuestionLog):
    now = datetime.now(UTC)
    return qlog.stats(now - DAY, now + DAY)


def pairs(qlog: QuestionLog):
    now = datetime.now(UTC)
    return qlog.confirmed_pairs(now - DAY, now + DAY)


def short(searcher, item_id: str) -> str:
    return searcher.index.shorts.get(item_id) or searcher.duty(item_id).display_title.rstrip("。")[:12]


# --------------------------------------------------------------------------- the log itself


def test_every_question_is_logged_with_a_hashed_user_only(start_bot, telegram_stub, searcher, not_found,
                                                          referral):
    bot = start_bot(searcher)
    user = 918273645
    [found] = ask(telegram_stub, user, f"  {RIVER}  ")
    [referred] = ask(telegram_stub, user, referral)
    [nothing] = ask(telegram_stub, user, not_found)
    tokens = token_of(found), token_of(referred)
    assert tokens[0] != tokens[1]
    assert not button_data(nothing, "fb:")

    first = row(telegram_stub, bot, tokens[0])
    assert (first.question, first.kind, first.answered) == (searched(RIVER), "list", True)  # as searched: trimmed
    assert first.shown == shown_on(found) and first.shown[0] == "basic-084"
    assert (first.tapped, first.feedback, first.corrected, first.channel) == (None, None, None, "telegram")
    second = row(telegram_stub, bot, tokens[1])
    assert (second.question, second.kind, second.answered) == (searched(referral), "referral", False)
    assert second.shown == shown_on(referred)
    # Not found: logged too (its token is on no button), with the closest items it offered.
    stats = wait_stats(telegram_stub, bot, questions=3)
    assert (stats.answered, stats.referred) == (1, 1)
    [third] = [r for r in bot.qlog.problems(datetime.now(UTC) - DAY, datetime.now(UTC) + DAY)
               if r.kind == "none"]
    assert (third.question, third.answered) == (searched(not_found), False)
    assert third.shown == shown_on(nothing) and TOKEN.fullmatch(third.token)

    # The asker is a salted hash; the salt is kept next to the log, readable by its owner only.
    salt_path = salt_file(bot.settings.question_log_path)
    salt = salt_path.read_text(encoding="ascii").strip()
    assert len(salt) >= 32 and stat.S_IMODE(salt_path.stat().st_mode) == 0o600
    expected = hmac.new(salt.encode(), str(user).encode(), hashlib.sha256).hexdigest()[:20]
    assert bot.qlog.owner(tokens[0]) == bot.qlog.user_hash(user) == expected
    assert bot.qlog.owner(tokens[0]) != bot.qlog.user_hash(user + 1)

    # Nothing in the files (database, WAL, shared memory) names the user, holds the bot
    # token or the salt.
    files = [p for p in bot.settings.question_log_path.parent.iterdir() if p.is_file() and p != salt_path]
    raw = b"".join(p.read_bytes() for p in files)
    assert any(p.name.endswith("-wal") for p in files) and searched(RIVER)[:6].encode() in raw
    for secret in (str(user), telegram_stub.token, telegram_stub.token.split(":")[1], salt):
        assert secret.encode() not in raw and secret.encode("utf-16-le") not in raw, secret


# --------------------------------------------------------------------------- 👍 / 👎


def test_thumbs_up_is_recorded(start_bot, telegram_stub, searcher):
    bot = start_bot(searcher)
    user = 3010
    [answer] = ask(telegram_stub, user, RIVER)
    token = token_of(answer)
    mark = telegram_stub.mark()
    toast = tap_for_toast(telegram_stub, user, answer, f"fb:{token}:up")
    assert toast.params["text"] == texts.THANKS_UP and not is_alert(toast)
    settle(telegram_stub)
    assert not telegram_stub.calls_since(mark, method="sendMessage"), "a 👍 needs no message"
    assert not telegram_stub.calls_since(mark, method="editMessageText"), "the answer stays as it was"
    logged = row(telegram_stub, bot, token, feedback="up")
    assert logged.corrected is None
    assert [(p.question, p.item_id, p.how) for p in pairs(bot.qlog)] == [(searched(RIVER), "basic-084", "up")]


def test_thumbs_down_then_the_right_item_is_recorded_and_its_card_sent(start_bot, telegram_stub, searcher):
    bot = start_bot(searcher)
    user = 3020
    [answer] = ask(telegram_stub, user, RIVER)
    token, shown = token_of(answer), shown_on(answer)
    assert len(shown) >= 2, "RIVER offers alternatives to pick from"
    [prompt] = tap(telegram_stub, user, answer, f"fb:{token}:down")
    assert prompt.text == texts.PICK_RIGHT
    row(telegram_stub, bot, token, feedback="down")
    # One button per item shown under the answer (short names), then "none of them".
    assert [d for _, d in prompt.buttons()] == [f"fix:{token}:{i}" for i in shown] + [f"fix:{token}:none"]
    assert prompt.buttons()[-1][0] == texts.BUTTON_NONE_RIGHT
    assert all(short(searcher, i) in label for (label, _), i in zip(prompt.buttons(), shown))

    right = shown[1]
    mark = telegram_stub.mark()
    [done, card] = tap_and_wait(telegram_stub, user, prompt, f"fix:{token}:{right}", count=2)
    # The prompt is edited to confirm (its buttons gone), and the picked item's card is sent.
    assert done.method == "editMessageText"
    assert int(done.params["message_id"]) == telegram_stub.message_of(prompt)["message_id"]
    assert done.text == texts.FIXED.format(title=short(searcher, right)) and not done.buttons()
    assert card.method == "sendMessage" and short(searcher, right) in card.text and "归谁管" in card.text
    assert card.buttons() == [("📄 详情", f"full:{right}")]
    [thanks] = telegram_stub.calls_since(mark, method="answerCallbackQuery")
    assert thanks.params["text"] == texts.THANKS_FIX

    logged = row(telegram_stub, bot, token, corrected=right)
    assert logged.feedback == "down"
    assert [(p.question, p.item_id, p.how) for p in pairs(bot.qlog)] == [(searched(RIVER), right, "corrected")]


def test_thumbs_down_then_none_offers_rephrasing_the_list_and_the_hotline(start_bot, telegram_stub, searcher,
                                                                          referral):
    bot = start_bot(searcher)
    user = 3021
    for question in (FLOOD, referral):  # a list answer and a referral alike
        [answer] = ask(telegram_stub, user, question)
        token = token_of(answer)
        [prompt] = tap(telegram_stub, user, answer, f"fb:{token}:down")
        assert [d for _, d in prompt.buttons()] == [f"fix:{token}:{i}" for i in shown_on(answer)] + [
            f"fix:{token}:none"]
        [options] = tap(telegram_stub, user, prompt, f"fix:{token}:none", methods=("editMessageText",))
        assert options.text == texts.FIXED_NONE
        assert "换个说法" in options.text and "12345" in options.text and "/list" in options.text
        assert options.buttons() == [(texts.BUTTON_BROWSE, "lists")]
        logged = row(telegram_stub, bot, token, corrected="none")
        assert logged.feedback == "down"
    # The 📚 button opens the list in place.
    [browse] = tap(telegram_stub, user, options, "lists", methods=("editMessageText",))
    assert "请选择清单" in browse.text and [d for _, d in browse.buttons()] == [
        "list:basic", "list:coop", "list:returned"]
    assert pairs(bot.qlog) == [], "'none of them' teaches nothing"


def test_no_rating_under_not_found_nor_small_talk(start_bot, telegram_stub, searcher, not_found):
    bot = start_bot(searcher)
    user = 3022
    [nothing] = ask(telegram_stub, user, not_found)
    assert "清单里没有找到" in nothing.text and "12345" in nothing.text
    assert not button_data(nothing, "fb:") and not button_data(nothing, "full:")
    # Its closest items may still be looked at, but they carry no token.
    assert all(re.fullmatch(r"item:[a-z]+-\d{3}", d) for d in button_data(nothing, "item:"))
    for text in ("谢谢", "你好", "谢谢！"):
        [hint] = ask(telegram_stub, user, text)
        expected = texts.SMALL_TALK_REPLY if "谢" in text else texts.SMALL_TALK_GREETING_REPLY
        assert hint.text == expected == small_talk_reply(text) and "\n" not in hint.text, "a one-line hint"
        assert not hint.buttons()
    settle(telegram_stub)
    wait_stats(telegram_stub, bot, questions=1)  # the not-found question only: small talk is not logged


def test_the_last_vote_counts(start_bot, telegram_stub, searcher):
    bot = start_bot(searcher)
    user = 3023
    [answer] = ask(telegram_stub, user, RIVER)
    token = token_of(answer)
    tap_for_toast(telegram_stub, user, answer, f"fb:{token}:up")
    row(telegram_stub, bot, token, feedback="up")
    [prompt] = tap(telegram_stub, user, answer, f"fb:{token}:down")
    assert prompt.text == texts.PICK_RIGHT
    row(telegram_stub, bot, token, feedback="down")
    tap_for_toast(telegram_stub, user, answer, f"fb:{token}:up")
    logged = row(telegram_stub, bot, token, feedback="up")
    assert logged.corrected is None
    stats = today(bot.qlog)
    assert (stats.questions, stats.feedback_up, stats.feedback_down, stats.corrected) == (1, 1, 0, 0)
    assert [(p.item_id, p.how) for p in pairs(bot.qlog)] == [("basic-084", "up")]


def test_a_vote_on_a_reply_still_in_flight_counts(start_bot, telegram_stub, searcher):
    """Telegram can show the reply before the bot hears back that it went out (a slow network),
    and updates are handled concurrently: a tap in that moment must still find its answer."""
    bot = start_bot(searcher)
    user = 3031
    telegram_stub.slow("sendMessage", 3.0)  # answered after 3 s, within PTB's read timeout
    [answer] = ask(telegram_stub, user, RIVER)
    token = token_of(answer)
    tap_for_toast(telegram_stub, user, answer, f"fb:{token}:up")
    logged = row(telegram_stub, bot, token, feedback="up")
    assert "河堤上盖棚子" in logged.question


# --------------------------------------------------------------------------- other items, groups


def test_tapping_another_item_is_recorded_for_the_asker(start_bot, telegram_stub, searcher):
    bot = start_bot(searcher)
    user = 3030
    [answer] = ask(telegram_stub, user, RIVER)
    token = token_of(answer)
    other = button_data(answer, "item:")[0]
    item_id = other.split(":")[1]
    [card] = tap(telegram_stub, user, answer, other)
    assert short(searcher, item_id) in card.text and "归谁管" in card.text
    assert card.buttons() == [("📄 详情", f"full:{item_id}")]
    logged = row(telegram_stub, bot, token, tapped=item_id)
    assert logged.feedback is None
    # A tap belongs to the answer it was under: the same item under a later answer is that one's.
    [later] = ask(telegram_stub, user, RIVER)
    later_token = token_of(later)
    last = button_data(later, "item:")[-1]
    tap(telegram_stub, user, later, last)
    row(telegram_stub, bot, later_token, tapped=last.split(":")[1])
    assert row(telegram_stub, bot, token).tapped == item_id


def test_in_a_group_only_the_asker_rates_the_answer(start_bot, telegram_stub, searcher):
    bot = start_bot(searcher)
    group, asker, colleague = -100700, 3040, 3041
    [answer] = ask(telegram_stub, asker, RIVER, chat_id=group, chat_type="supergroup", mention=True)
    token, shown = token_of(answer), shown_on(answer)

    refused = tap_for_toast(telegram_stub, colleague, answer, f"fb:{token}:up")
    assert is_alert(refused) and refused.params["text"] == texts.FEEDBACK_NOT_YOURS
    refused = tap_for_toast(telegram_stub, colleague, answer, f"fb:{token}:down")
    assert is_alert(refused)
    other = button_data(answer, "item:")[0]
    [card] = tap(telegram_stub, colleague, answer, other)  # anyone may look at the card…
    assert card.buttons() == [("📄 详情", f"full:{other.split(':')[1]}")]
    settle(telegram_stub)
    logged = row(telegram_stub, bot, token)
    assert (logged.feedback, logged.tapped) == (None, None)  # …but it is not the asker's doing

    [prompt] = tap(telegram_stub, asker, answer, f"fb:{token}:down")
    assert prompt.params["reply_parameters"]["message_id"] == telegram_stub.message_of(answer)["message_id"]
    right = f"fix:{token}:{shown[1]}"
    refused = tap_for_toast(telegram_stub, colleague, prompt, right)
    assert is_alert(refused) and refused.params["text"] == texts.FEEDBACK_NOT_YOURS
    assert row(telegram_stub, bot, token).corrected is None
    [done, card] = tap_and_wait(telegram_stub, asker, prompt, right, count=2)
    assert done.method == "editMessageText" and card.method == "sendMessage" and card.chat_id == group
    logged = row(telegram_stub, bot, token, corrected=shown[1])
    assert (logged.feedback, logged.tapped) == ("down", None)


# --------------------------------------------------------------------------- admin commands


def test_stats_and_unanswered_for_admins_in_private_only(start_bot, telegram_stub, searcher, not_found,
                                                         referral):
    admin, colleague, group = 3050, 3051, -100800
    bot = start_bot(searcher, admin_user_ids=frozenset({admin}))
    [river] = ask(telegram_stub, colleague, RIVER)
    [flood] = ask(telegram_stub, colleague, FLOOD)
    [referred] = ask(telegram_stub, colleague, referral)
    ask(telegram_stub, colleague, not_found)
    # RIVER: 👎, then the user picks another item: answered, but wrongly.
    river_token = token_of(river)
    picked = shown_on(river)[1]
    [prompt] = tap(telegram_stub, colleague, river, f"fb:{river_token}:down")
    tap_and_wait(telegram_stub, colleague, prompt, f"fix:{river_token}:{picked}", count=2)
    # FLOOD: 👍. The referral: 👎, then none of them.
    tap_for_toast(telegram_stub, colleague, flood, f"fb:{token_of(flood)}:up")
    ref_token = token_of(referred)
    [prompt] = tap(telegram_stub, colleague, referred, f"fb:{ref_token}:down")
    tap(telegram_stub, colleague, prompt, f"fix:{ref_token}:none", methods=("editMessageText",))

    figures = wait_stats(telegram_stub, bot, questions=4, corrected=1, feedback_up=1, feedback_down=2)
    assert (figures.answered, figures.referred) == (2, 1)
    assert figures.answered_rate == 0.25, "the corrected answer counts as wrong"

    [stats] = ask(telegram_stub, admin, "/stats")
    assert ("今天</b>：提问 4 次，答到清单事项 25%（被用户纠正的不算），指路清单外 1 次，"
            "👍 1 / 👎 2（👎 占 67%）") in stats.text
    assert "近 7 天</b>：提问 4 次" in stats.text
    assert short(searcher, "basic-084") in stats.text and short(searcher, "coop-029") in stats.text

    [problems] = ask(telegram_stub, admin, "/unanswered")
    text = problems.text
    assert f"[未找到] {searched(not_found)}" in text
    river_entry = text[text.index(f"[👎] {searched(RIVER)}"):].split("•")[0]
    assert river_entry.index(f"答的是：{short(searcher, 'basic-084')}") < river_entry.index(
        f"用户选了：{short(searcher, picked)}"), "what was shown, then what the user chose"
    ref_entry = text[text.index(f"[👎] {searched(referral)}"):].split("•")[0]
    assert "用户选了：都不对" in ref_entry
    assert searched(FLOOD) not in text, "👍 and plainly answered questions are not problems"

    for command in ("/stats", "/unanswered", "/reload"):
        [refused] = ask(telegram_stub, colleague, command)
        assert refused.text == texts.ADMIN_ONLY.format(command=command)
    # In a group, even an admin gets a short refusal: these list other people's questions.
    for command in ("/stats", "/unanswered"):
        [refused] = ask(telegram_stub, admin, command, chat_id=group, chat_type="supergroup")
        assert refused.text == texts.ADMIN_PRIVATE_ONLY.format(command=command)
        assert searched(RIVER) not in refused.text and "提问 " not in refused.text

    [helptext] = ask(telegram_stub, admin, "/help")
    assert all(c in helptext.text for c in ("/stats", "/unanswered", "/reload"))
    [helptext] = ask(telegram_stub, colleague, "/help")
    assert "/stats" not in helptext.text and "👎" in helptext.text
    assert {c["command"] for c in telegram_stub.commands} == {"start", "help", "list"}
    assert today(bot.qlog).questions == 4, "commands are not questions"


# --------------------------------------------------------------------------- a log in trouble


def test_a_locked_log_never_delays_an_answer(start_bot, telegram_stub, searcher, caplog):
    bot = start_bot(searcher)
    user = 3060
    [warm] = ask(telegram_stub, user, FLOOD)  # the first search of a bot may be slower; not measured
    warm_token = token_of(warm)
    assert row(telegram_stub, bot, warm_token) is not None

    blocker = sqlite3.connect(bot.settings.question_log_path, isolation_level=None, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    held = time.monotonic()
    answers = []
    try:
        for question in (RIVER, FLOOD):
            started = time.monotonic()
            [answer] = ask(telegram_stub, user, question)
            took = time.monotonic() - started
            assert took < ANSWER_WITHIN, f"an answer took {took:.1f} s while the log was locked"
            assert button_data(answer, "fb:"), "the answer still carries its 👍 / 👎"
            answers.append(answer)
        # A vote while the log is locked is taken at once, too.
        started = time.monotonic()
        toast = tap_for_toast(telegram_stub, user, answers[0], f"fb:{token_of(answers[0])}:up")
        assert toast.params["text"] == texts.THANKS_UP and time.monotonic() - started < ANSWER_WITHIN
        assert time.monotonic() - held < LOCK_SECONDS, "all of that happened while the lock was held"
        time.sleep(max(0.0, LOCK_SECONDS - (time.monotonic() - held)))  # the write outlasts its busy timeout
        with closing(sqlite3.connect(bot.settings.question_log_path, timeout=0)) as reader:  # WAL: reads go on
            assert reader.execute("SELECT count(*) FROM questions").fetchone() == (1,), "nothing written yet"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    # Once the lock is gone, the rows are written, the vote after its question.
    tokens = [token_of(a) for a in answers]
    assert bot.data.usage.flush(timeout=15)
    first, second = (bot.qlog.get(t) for t in tokens)
    assert first is not None and second is not None, "rows queued behind the lock were lost"
    assert (first.question, first.feedback) == (searched(RIVER), "up")
    assert (second.question, second.feedback) == (searched(FLOOD), None)
    assert today(bot.qlog).questions == 3
    assert "could not record" not in caplog.text
    assert all(r.levelno <= logging.WARNING for r in caplog.records if r.name.startswith("bot."))


def test_a_corrupt_log_is_moved_aside_and_a_fresh_one_started(start_bot, telegram_stub, searcher, caplog,
                                                              tmp_path):
    path = tmp_path / "log" / "questions.sqlite3"
    path.parent.mkdir()
    garbage = b"not a database, whatever it once was" * 200
    path.write_bytes(garbage)
    bot = start_bot(searcher, question_log_path=path)
    assert "corrupt" in caplog.text
    [aside] = path.parent.glob("questions.sqlite3.corrupt-*")
    assert aside.read_bytes() == garbage, "the old file is kept as it was, for a look"
    [answer] = ask(telegram_stub, 3070, RIVER)
    token = token_of(answer)
    assert "堤防" in answer.text
    logged = row(telegram_stub, bot, token)
    assert logged is not None and logged.kind == "list"
    with closing(sqlite3.connect(path)) as fresh:
        assert fresh.execute("SELECT count(*) FROM questions").fetchone() == (1,)


def test_an_unusable_log_means_answers_without_feedback_buttons(start_bot, telegram_stub, searcher, caplog,
                                                                tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    admin = 3080
    bot = start_bot(searcher, question_log_path=blocker / "sub" / "questions.sqlite3",
                    admin_user_ids=frozenset({admin}))
    assert "question log unavailable" in caplog.text and not bot.data.usage.available
    [answer] = ask(telegram_stub, admin, RIVER)
    assert answer.buttons()[0] == ("📄 详情", "full:basic-084")
    assert not button_data(answer, "fb:")
    assert button_data(answer, "item:") and all(d.count(":") == 1 for d in button_data(answer, "item:"))
    [card] = tap(telegram_stub, admin, answer, button_data(answer, "item:")[0])  # the buttons still work
    assert "归谁管" in card.text
    [stats] = ask(telegram_stub, admin, "/stats")
    assert stats.text == texts.LOG_UNAVAILABLE
    [problems] = ask(telegram_stub, admin, "/unanswered")
    assert problems.text == texts.LOG_UNAVAILABLE


def test_old_questions_are_pruned_at_start_up(start_bot, telegram_stub, searcher, tmp_path):
    path = tmp_path / "log" / "questions.sqlite3"
    qlog = QuestionLog(path)
    now = datetime.now(UTC)
    someone = qlog.user_hash(1)
    qlog.record_question("0123456789ab", someone, "很久以前问的", "list", ["basic-084"],
                         at=now - timedelta(days=200))
    qlog.record_question("ba9876543210", someone, "上个月问的", "list", ["basic-084"], at=now - timedelta(days=30))
    qlog.close()
    bot = start_bot(searcher, question_log_path=path, log_retention_days=180)
    telegram_stub.wait_for(lambda: bot.qlog.get("0123456789ab") is None, what="the old question to be pruned")
    assert bot.qlog.get("ba9876543210").question == "上个月问的"
    assert bot.qlog.owner("ba9876543210") == someone, "the same salt: the hashes still match"
    [answer] = ask(telegram_stub, 3090, RIVER)
    assert row(telegram_stub, bot, token_of(answer)).question == searched(RIVER)


# --------------------------------------------------------------------------- the learn loop


def test_a_corrected_question_is_learned_and_then_answered_right(start_bot, telegram_stub, searcher, engine,
                                                                 index_copy, tmp_path, run_script):
    # Answered (a list item or a referral) but not with the item meant: that one is offered
    # among the others, so the user can pick it.
    question = question_of_kind(engine, ("list", "referral"), VAGUE_CANDIDATES, lambda a: len(a.shown_ids) >= 2)
    shown = engine.ask(question).shown_ids
    target = "basic-051" if "basic-051" in shown[1:] else shown[1]
    admin, user = 3100, 3101
    log_path = tmp_path / "log" / "questions.sqlite3"
    # Starts on the session searcher (the same build as the copy); /reload loads the copy.
    bot = start_bot(searcher, base=index_copy, admin_user_ids=frozenset({admin}), question_log_path=log_path)

    [first] = ask(telegram_stub, user, question)
    assert shown_on(first) == shown and shown_on(first)[0] != target, "first answered with something else"
    token = token_of(first)
    [prompt] = tap(telegram_stub, user, first, f"fb:{token}:down")
    tap_and_wait(telegram_stub, user, prompt, f"fix:{token}:{target}", count=2)
    row(telegram_stub, bot, token, corrected=target)

    proc = run_script("learn.py", "--from", "2000-01-01", settings=index_copy,
                      env={"QUESTION_LOG_PATH": str(log_path)}, stdin="y\n")
    assert proc.returncode == 0, proc.stderr
    assert searched(question) in proc.stdout and target in proc.stdout and "added 1 question" in proc.stdout
    assert '"source": "learned"' in index_copy.questions_path.read_text(encoding="utf-8").splitlines()[-1]

    mark = telegram_stub.mark()  # a rebuild takes about 8 s here, more on a loaded machine
    telegram_stub.send_text(admin, "/reload")
    [busy, done] = telegram_stub.wait_messages(admin, 2, mark, timeout=90)
    assert busy.text == texts.RELOADING and "已切换到新索引" in done.text
    [again] = ask(telegram_stub, user, question)
    assert again.text.startswith("<b>归谁管：</b>")
    assert again.buttons()[0] == ("📄 详情", f"full:{target}"), "answered, with the right item first"
    assert short(bot.data.holder.searcher, target) in again.text
