"""End-to-end tests of the Telegram bot against a stand-in Bot API server (tests/telegram_stub.py).

The real Application from build_application(settings) polls the stub through
TELEGRAM_BASE_URL; the stub refuses malformed HTML and over-long texts as Telegram does,
so every test also checks that nothing the bot sent was refused.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram_stub import BOT_USERNAME, ForwardProxy, TelegramStub

from bot.corpus.model import load_duties, write_duties
from bot.retrieval.embedders import load_embedder
from bot.retrieval.question import prepare
from bot.retrieval.store import build_index

ROOT = Path(__file__).resolve().parents[2]
RIVER = "村里有人在河堤上盖棚子，归谁管？"
FLOOD = "防汛抗旱镇里要干什么？"
HARVESTER = "收割机安全检查还归镇里管吗？"
SETTLE = 0.3  # how long "no reply" is watched for, after the bot has fetched the update


# --------------------------------------------------------------------------- helpers


class Health:
    """Per-test expectations checked at teardown; tests that provoke failures relax them."""

    allow_refused_calls = False
    allow_error_logs = False


@pytest.fixture(autouse=True)
def health(telegram_stub, caplog):
    caplog.set_level(logging.INFO)
    expectations = Health()
    yield expectations
    assert telegram_stub.token not in caplog.text, "the bot token appeared in the logs"
    if not expectations.allow_refused_calls:
        refused = [(c.method, c.status, c.error) for c in telegram_stub.errors()]
        assert not refused, f"the stub refused calls: {refused}"
    if not expectations.allow_error_logs:
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, f"unexpected errors logged: {errors}"


def ask(stub: TelegramStub, user: int, text: str, count: int = 1, chat_id: int | None = None, **kw):
    """Send a text and wait for `count` messages from the bot in that chat."""
    mark = stub.mark()
    stub.send_text(user, text, chat_id=chat_id, **kw)
    return stub.wait_messages(chat_id or user, count, mark)


def tap(stub: TelegramStub, user: int, call, data: str, count: int = 1, methods=("sendMessage",)):
    mark = stub.mark()
    stub.tap(user, call, data)
    return stub.wait_messages(call.chat_id, count, mark, methods=methods)


def settle(stub: TelegramStub) -> None:
    """Wait until the bot has fetched every update so far, and a moment for it to act."""
    update_id = stub.last_update_id
    stub.wait_for(lambda: stub.confirmed(update_id), what="the bot to fetch the update")
    time.sleep(SETTLE)


def assert_silent(stub: TelegramStub, chat_id: int, mark: int) -> None:
    """The bot sent nothing to the chat since `mark`."""
    settle(stub)
    sent = stub.calls_since(mark, method="sendMessage", chat_id=chat_id)
    assert not sent, [c.text for c in sent]


def button_data(call, prefix: str) -> list[str]:
    return [d for _, d in call.buttons() if d.startswith(prefix)]


def edit_corpus(settings, duty_id: str, **changes) -> None:
    duties = load_duties(settings.duties_path)
    for d in duties:
        if d.id == duty_id:
            for name, value in changes.items():
                setattr(d, name, value)
    write_duties(duties, settings.duties_path)


class ExplodingSearcher:
    """The real searcher, except that a question containing BOOM raises, like a bug would."""

    def __init__(self, real) -> None:
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    def search(self, question: str, top_k: int = 5):
        if "BOOM" in question:
            raise RuntimeError("simulated failure inside the search")
        return self._real.search(question, top_k)


# --------------------------------------------------------------------------- the stand-in itself


@pytest.mark.parametrize("text, problem", [
    ("<b>粗体</i>", "end tag"),
    ("<b>没有关上", "end tag"),
    ("<div>块</div>", "unsupported start tag"),
    ("甲 & 乙", "entity"),
    ("1 < 2", "'<'"),
    ("x" * 4097, "too long"),
    ("", "empty"),
])
def test_stub_refuses_what_telegram_refuses(telegram_stub, health, text, problem):
    health.allow_refused_calls = True
    body = urllib.parse.urlencode({"chat_id": 1, "text": text, "parse_mode": "HTML"}).encode()
    request = urllib.request.Request(f"{telegram_stub.url}/bot{telegram_stub.token}/sendMessage", data=body)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    answer = json.loads(refused.value.read())
    assert refused.value.code == 400 and answer["ok"] is False and answer["error_code"] == 400
    assert answer["description"].startswith("Bad Request: ") and problem in answer["description"]


def test_stub_accepts_telegram_html(telegram_stub):
    text = '<b>粗</b><i>斜</i><code>a &lt; b &amp;&amp; c &gt; d</code><span class="tg-spoiler">藏</span>&#x1F600;'
    body = urllib.parse.urlencode({"chat_id": 1, "text": text, "parse_mode": "HTML"}).encode()
    request = urllib.request.Request(f"{telegram_stub.url}/bot{telegram_stub.token}/sendMessage", data=body)
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["ok"] is True


# --------------------------------------------------------------------------- answers


def test_clear_question_gets_the_right_item_with_buttons(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    [reply] = ask(telegram_stub, 1001, RIVER)
    assert reply.params["parse_mode"] == "HTML"
    assert reply.text.startswith("<b>归谁管：</b>镇里负责")
    assert "对在堤防、护堤地建房" in reply.text and "基本履职事项" in reply.text
    buttons = reply.buttons()
    assert buttons[0] == ("📄 详情", "full:basic-084")
    others = button_data(reply, "item:")
    assert len(others) <= 3 and not any(o.startswith("item:basic-084") for o in others)
    assert all(len(label) <= 14 for label, _ in buttons), "alternatives carry short names"
    assert buttons[-2:] == [("👍 有用", buttons[-2][1]), ("👎 不对", buttons[-1][1])]


def test_coop_item_names_the_lead_department_and_town_duties(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    [reply] = ask(telegram_stub, 1002, FLOOD)
    assert "防汛抗旱" in reply.text and "配合履职事项" in reply.text
    assert "牵头、镇里配合" in reply.text.splitlines()[0] and "镇里配合：" in reply.text
    assert "12345" in reply.text, "city departments without a phone: the hotline is offered"
    assert reply.buttons()[0] == ("📄 详情", "full:coop-029")


def test_returned_item_says_the_town_no_longer_does_it(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    [reply] = ask(telegram_stub, 1003, HARVESTER)
    assert "上级部门收回事项" in reply.text and "归市农牧和科技局" in reply.text.splitlines()[0]
    assert "直接找<b>市农牧和科技局</b>" in reply.text
    [ended] = ask(telegram_stub, 1003, "村民要开婚姻状况证明找谁？")
    assert "已停止办理" in ended.text.splitlines()[0] and "不用再为此" in ended.text


def test_question_outside_the_list_offers_the_closest_items(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    [reply] = ask(telegram_stub, 1004, "帮我写一首关于春天的诗")
    assert "清单里没有找到" in reply.text and "换个说法" in reply.text and "12345" in reply.text
    assert not button_data(reply, "full:") and not button_data(reply, "fb:"), "nothing to rate"
    [referral] = ask(telegram_stub, 1004, "家里停电了 找谁修")
    assert "不在卧牛河镇履职事项清单里" in referral.text and "95598" in referral.text
    assert button_data(referral, "fb:"), "a referral can be rated"


def test_several_matters_get_an_answer_each_with_a_detail_button(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    [reply] = ask(telegram_stub, 1006, "停电了 还有自来水也不来")
    assert reply.text.index("95598") < reply.text.index("另外，自来水也不来：") < reply.text.index("农村饮水保障")
    assert ("📄 详情：农村饮水保障", "full:basic-077") in reply.buttons()
    [detail] = tap(telegram_stub, 1006, reply, "full:basic-077")
    assert "basic-077" in detail.text and "事项全文" in detail.text


def test_buttons_show_other_items_and_the_detail(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    user = 1005
    [answer] = ask(telegram_stub, user, RIVER)
    other = button_data(answer, "item:")[0]
    [card] = tap(telegram_stub, user, answer, other)
    duty = searcher.duty(other.split(":")[1])
    assert searcher.index.shorts[duty.id] in card.text and "归谁管" in card.text
    assert card.buttons() == [("📄 详情", f"full:{duty.id}")]
    [detail] = tap(telegram_stub, user, card, f"full:{duty.id}")
    assert duty.id in detail.text and "事项全文" in detail.text

    [coop] = ask(telegram_stub, user, FLOOD)
    details = tap(telegram_stub, user, coop, "full:coop-029")
    text = details[0].text
    assert "上级部门：市应急管理局" in text and "本镇职责" in text
    assert text.index("本镇职责") < text.index("上级部门：市应急管理局"), "the town's part first"
    answered = [c for c in telegram_stub.calls if c.method == "answerCallbackQuery"]
    assert len(answered) == 3, "every tap stops the button's spinner"


def test_long_reply_is_split_at_paragraphs(start_bot, telegram_stub, index_copy):
    """An item whose full text is far over 4,096 characters arrives as several valid messages."""
    duty = next(d for d in load_duties(index_copy.duties_path) if d.id == "coop-029")
    # Repeated points are texts the index already embedded: the rebuild stays quick.
    long_points = duty.town_duties * 12
    edit_corpus(index_copy, "coop-029", town_duties=long_points)
    bot = start_bot(base=index_copy)  # the index is stale now: start-up rebuilds it
    assert bot.data.holder.searcher.duty("coop-029").town_duties == long_points
    [answer] = ask(telegram_stub, 1006, FLOOD)
    mark = telegram_stub.mark()
    telegram_stub.tap(1006, answer, "full:coop-029")
    telegram_stub.wait_for(lambda: f"{len(long_points)}. " in "".join(
        c.text for c in telegram_stub.calls_since(mark, method="sendMessage")), what="the whole detail")
    parts = telegram_stub.calls_since(mark, method="sendMessage")
    assert len(parts) >= 2 and all(len(p.text) <= 4096 and p.status == 200 for p in parts)


# --------------------------------------------------------------------------- commands


def test_start_registers_commands_and_offers_examples(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    commands = {c["command"]: c["description"] for c in telegram_stub.commands}
    assert set(commands) == {"start", "help", "list"}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in d) for d in commands.values())
    user = 1010
    [welcome] = ask(telegram_stub, user, "/start")
    assert "职责通" in welcome.text
    examples = button_data(welcome, "ask:")
    assert len(examples) == 3
    [answer] = tap(telegram_stub, user, welcome, "ask:0")
    assert RIVER in answer.text and answer.buttons()[0] == ("📄 详情", "full:basic-084")
    [helptext] = ask(telegram_stub, user, "/help")
    assert "/list" in helptext.text and "/reload" not in helptext.text
    [unknown] = ask(telegram_stub, user, "/foo")
    assert "没有这个命令" in unknown.text


def test_list_browses_list_category_item_with_pages(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    user = 1011
    [menu] = ask(telegram_stub, user, "/list")
    assert [d for _, d in menu.buttons()] == ["list:basic", "list:coop", "list:returned"]
    edits = ("editMessageText",)
    [cats] = tap(telegram_stub, user, menu, "list:returned", methods=edits)
    city = next(d for label, d in cats.buttons() if label.startswith("城乡建设"))  # 29 items
    [page1] = tap(telegram_stub, user, cats, city, methods=edits)
    assert "第 1/4 页" in page1.text
    assert len(button_data(page1, "item:")) == 8 and ("下一页 »", city[:-1] + "1") in page1.buttons()
    [page2] = tap(telegram_stub, user, page1, city[:-1] + "1", methods=edits)
    assert "第 2/4 页" in page2.text and ("« 上一页", city) in page2.buttons()
    item = button_data(page2, "item:")[0]
    [card] = tap(telegram_stub, user, page2, item)
    assert "上级部门收回事项 · 城乡建设" in card.text and "镇里不再负责" in card.text
    [back] = tap(telegram_stub, user, page2, "list:returned", methods=edits)
    assert "请选择类别" in back.text
    [top] = tap(telegram_stub, user, back, "lists", methods=edits)
    assert "请选择清单" in top.text


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("content", [
    {"sticker": {"file_id": "s", "file_unique_id": "su", "type": "regular", "width": 512, "height": 512,
                 "is_animated": False, "is_video": False}},
    {"photo": [{"file_id": "p", "file_unique_id": "pu", "width": 90, "height": 90}], "caption": "这个归谁管"},
    {"voice": {"file_id": "v", "file_unique_id": "vu", "duration": 3}},
    {"video": {"file_id": "m", "file_unique_id": "mu", "width": 640, "height": 480, "duration": 5}},
    {"document": {"file_id": "d", "file_unique_id": "du", "file_name": "通知.pdf"}},
    {"location": {"latitude": 47.9, "longitude": 122.7}},
], ids=["sticker", "photo", "voice", "video", "document", "location"])
def test_non_text_messages_ask_for_typed_text(start_bot, telegram_stub, searcher, content):
    start_bot(searcher)
    mark = telegram_stub.mark()
    telegram_stub.send_other(1020, content)
    [reply] = telegram_stub.wait_messages(1020, 1, mark)
    assert "只能看懂文字" in reply.text


@pytest.mark.parametrize("text", ["   \u3000 ", "😀😀👍", "？？！"])
def test_blank_or_emoji_only_text_asks_for_a_question(start_bot, telegram_stub, searcher, text):
    start_bot(searcher)
    [reply] = ask(telegram_stub, 1021, text)
    assert "请用文字说说您要问的事" in reply.text and not reply.buttons()


def test_very_long_text_is_answered_on_its_first_part(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    text = RIVER + "棚子就搭在河堤的护堤地上，" * 100  # far over MAX_QUESTION_CHARS
    [reply] = ask(telegram_stub, 1022, text)
    assert "消息较长，按这部分查找" in reply.text and "对在堤防" in reply.text


def test_edited_message_is_answered_as_a_new_question(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    user = 1023
    mark = telegram_stub.mark()
    original = telegram_stub.send_text(user, "今天天气怎么样")
    telegram_stub.wait_messages(user, 1, mark)
    mark = telegram_stub.mark()
    telegram_stub.edit_text(original, RIVER)
    [reply] = telegram_stub.wait_messages(user, 1, mark)
    assert reply.buttons()[0][1] == "full:basic-084"


def test_group_chat_answers_only_when_mentioned_or_replied_to(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    group, user = -100500, 1030
    mark = telegram_stub.mark()
    telegram_stub.send_text(user, RIVER, chat_id=group, chat_type="supergroup")
    telegram_stub.send_other(user, {"sticker": {"file_id": "s", "file_unique_id": "su", "type": "regular",
                                                "width": 1, "height": 1, "is_animated": False, "is_video": False}},
                             chat_id=group, chat_type="supergroup")
    assert_silent(telegram_stub, group, mark)

    mark = telegram_stub.mark()
    question = telegram_stub.send_text(user, RIVER, chat_id=group, chat_type="supergroup", mention=True)
    [reply] = telegram_stub.wait_messages(group, 1, mark)
    assert reply.buttons()[0][1] == "full:basic-084", "the @mention must not disturb the search"
    assert reply.params["reply_parameters"]["message_id"] == question["message_id"]

    bot_message = telegram_stub.message_of(reply)
    [followup] = ask(telegram_stub, user, FLOOD, chat_id=group, chat_type="supergroup", reply_to=bot_message)
    assert followup.buttons()[0][1] == "full:coop-029"

    [mixed_case] = ask(telegram_stub, user, f"@{BOT_USERNAME.upper()} {HARVESTER}", chat_id=group,
                       chat_type="group")
    assert "镇里不再负责" in mixed_case.text


# --------------------------------------------------------------------------- abuse


def test_users_outside_the_allow_list_get_one_refusal_and_no_data(start_bot, telegram_stub, searcher):
    allowed, stranger, group = 1040, 4242, -100600
    start_bot(searcher, allowed_user_ids=frozenset({allowed}))
    [refusal] = ask(telegram_stub, stranger, RIVER)
    assert "还没有开通" in refusal.text and "4242" in refusal.text
    assert "堤防" not in refusal.text and not refusal.buttons()

    mark = telegram_stub.mark()
    telegram_stub.send_text(stranger, "/list")
    telegram_stub.send_text(stranger, FLOOD)
    assert_silent(telegram_stub, stranger, mark)  # told once is enough

    # A stranger in a group taps a button under an answer meant for a colleague.
    [answer] = ask(telegram_stub, allowed, RIVER, chat_id=group, chat_type="supergroup", mention=True)
    mark = telegram_stub.mark()
    telegram_stub.tap(stranger, answer, "full:basic-084")
    [refused] = telegram_stub.wait_for(
        lambda: telegram_stub.calls_since(mark, method="answerCallbackQuery"), what="the refused tap")
    assert refused.params.get("show_alert") in (True, "true") and "没有开通" in refused.params["text"]
    assert_silent(telegram_stub, group, mark)


def test_rate_limit_answers_twenty_a_minute_then_asks_to_wait(start_bot, telegram_stub, searcher):
    start_bot(searcher)
    user = 1050
    mark = telegram_stub.mark()
    for i in range(22):
        telegram_stub.send_text(user, f"{RIVER}（第{i + 1}次）")
    telegram_stub.wait_messages(user, 21, mark, timeout=60)
    settle(telegram_stub)
    replies = telegram_stub.calls_since(mark, method="sendMessage", chat_id=user)
    notices = [r for r in replies if "发得有点快" in r.text]
    assert len(replies) == 21 and len(notices) == 1
    assert "每分钟最多 20 条消息或按键" in notices[0].text


def test_burst_of_forty_questions_from_twenty_users(start_bot, telegram_stub, searcher):
    bot = start_bot(searcher)  # with the question log on, as in production
    users = range(2000, 2020)
    questions = [RIVER, FLOOD, HARVESTER, "村民想申请低保，找谁办？", "秸秆焚烧谁来管", "拖拉机年检找谁"]
    mark = telegram_stub.mark()
    started = time.monotonic()
    for n in range(40):
        telegram_stub.send_text(users[n % 20], questions[n % len(questions)])

    def all_answered():
        sent = telegram_stub.calls_since(mark, method="sendMessage")
        return sent if len(sent) >= 40 else None

    sent = telegram_stub.wait_for(all_answered, timeout=60, what="40 answers")
    elapsed = time.monotonic() - started
    per_user = {u: [c for c in sent if c.chat_id == u] for u in users}
    assert all(len(v) == 2 for v in per_user.values())
    assert all(c.buttons() and c.buttons()[0][0] == "📄 详情" for c in sent)
    assert elapsed < 20, f"the burst took {elapsed:.1f} s"
    tokens = {d.split(":")[1] for c in sent for d in button_data(c, "fb:")}
    assert len(tokens) == 40, "every answer has 👍 / 👎 tied to its own logged question"
    day = timedelta(days=1)
    logged = telegram_stub.wait_for(
        lambda: (s := bot.qlog.stats(datetime.now(UTC) - day, datetime.now(UTC) + day)
                 ).questions == 40 and s, what="40 logged questions")
    assert logged.answered == 40
    assert {bot.qlog.get(t).question for t in tokens} == {prepare(q, 200).text for q in questions}


# --------------------------------------------------------------------------- robustness


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own RetryAfter.__init__
def test_flood_wait_and_network_errors_are_retried(start_bot, telegram_stub, searcher, health):
    health.allow_refused_calls = True  # the stub's 429 and 502 on purpose
    start_bot(searcher)
    telegram_stub.fail_next("sendMessage", 429, retry_after=1)
    [reply] = ask(telegram_stub, 1060, RIVER)
    assert "堤防" in reply.text
    telegram_stub.fail_next("sendMessage", 502)
    [reply] = ask(telegram_stub, 1060, FLOOD)
    assert "防汛抗旱" in reply.text
    assert [c.status for c in telegram_stub.calls if c.method == "sendMessage"] == [429, 200, 502, 200]


def test_a_failing_handler_apologises_and_the_bot_keeps_going(start_bot, telegram_stub, searcher, health,
                                                               caplog):
    health.allow_error_logs = True
    start_bot(ExplodingSearcher(searcher))
    [apology] = ask(telegram_stub, 1070, "BOOM 河堤上盖棚子")
    assert "出了点问题" in apology.text
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures and failures[0].exc_info and "simulated failure" in str(failures[0].exc_info[1])
    [reply] = ask(telegram_stub, 1070, RIVER)
    assert reply.buttons()[0][1] == "full:basic-084"


def test_admin_reload_switches_to_the_rebuilt_index(start_bot, telegram_stub, index_copy):
    admin, colleague = 1080, 1081
    bot = start_bot(base=index_copy, admin_user_ids=frozenset({admin}))
    old_build = bot.data.holder.build_id
    [refused] = ask(telegram_stub, colleague, "/reload")
    assert "只有管理员" in refused.text
    [helptext] = ask(telegram_stub, admin, "/help")
    assert "/reload" in helptext.text

    edit_corpus(index_copy, "basic-084", title="*对在堤防、护堤地违章建房搭棚的处罚（新版清单）。")
    # A rebuild takes about 8 s here (more on a loaded machine): the test is about the switch, not speed.
    mark = telegram_stub.mark()
    telegram_stub.send_text(admin, "/reload")
    [busy, done] = telegram_stub.wait_messages(admin, 2, mark, timeout=90)
    assert "正在重新加载" in busy.text and "已切换到新索引" in done.text
    new_build = bot.data.holder.build_id
    assert new_build != old_build and new_build in done.text
    [reply] = ask(telegram_stub, colleague, RIVER)
    assert "新版清单" in reply.text


def test_index_rebuild_is_picked_up_without_a_restart(start_bot, telegram_stub, index_copy):
    bot = start_bot(base=index_copy, index_watch_seconds=0.1)
    old_build = bot.data.holder.build_id
    edit_corpus(index_copy, "basic-084", title="*对在堤防、护堤地违章建房搭棚的处罚（自动切换）。")
    report = build_index(index_copy, load_embedder(index_copy.embedding_model), progress=False)
    telegram_stub.wait_for(lambda: bot.data.holder.build_id == report.meta.build_id, timeout=15,
                           what="the bot to switch to the new build")
    assert report.meta.build_id != old_build
    [reply] = ask(telegram_stub, 1090, RIVER)
    assert "自动切换" in reply.text


def test_proxy_setting_routes_all_requests_through_the_proxy(start_bot, telegram_stub, searcher):
    proxy = ForwardProxy().start()
    bot = None
    try:
        bot = start_bot(searcher, telegram_proxy=proxy.url)
        [reply] = ask(telegram_stub, 1100, RIVER)
        assert "堤防" in reply.text
        methods = {url.rsplit("/", 1)[-1] for url in proxy.urls}
        assert {"getMe", "getUpdates", "sendMessage"} <= methods
    finally:
        if bot:
            bot.stop()  # while the proxy is still there for the last getUpdates
        proxy.stop()


# --------------------------------------------------------------------------- the process


def bot_process(stub: TelegramStub, index_settings, tmp_path: Path, token: str | None, *command: str, **env_extra):
    """`python -m bot [command …]` against the stand-in Bot API (by default the Telegram bot)."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(
        TELEGRAM_BASE_URL=stub.url, INDEX_DIR=str(index_settings.index_dir),
        CORPUS_DIR=str(index_settings.corpus_dir), EMBEDDING_MODEL=index_settings.embedding_model,
        ALLOWED_USER_IDS="1200", INDEX_WATCH_SECONDS="0", LOG_LEVEL="INFO",
        QUESTION_LOG_PATH=str(tmp_path / "questions.sqlite3"),  # never the project's data/
    )
    env.update(env_extra)
    env.pop("TELEGRAM_BOT_TOKEN", None)
    if token is not None:
        env["TELEGRAM_BOT_TOKEN"] = token
    empty_env_file = tmp_path / "empty.env"  # never the developer's .env
    empty_env_file.write_text("")
    stderr = open(tmp_path / "stderr.txt", "w+")  # a file, not a pipe: DEBUG logs could fill a pipe
    proc = subprocess.Popen([sys.executable, "-m", "bot", *command, "--env-file", str(empty_env_file)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=stderr)
    return proc, stderr


def _read(stream) -> str:
    stream.seek(0)
    return stream.read()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_finishes_in_flight_replies_and_exits_zero(telegram_stub, index_settings, tmp_path, sig):
    proc, stderr = bot_process(telegram_stub, index_settings, tmp_path, telegram_stub.token, LOG_LEVEL="DEBUG")
    try:
        telegram_stub.wait_for(
            lambda: proc.poll() is not None or any(c.method == "getUpdates" for c in telegram_stub.calls),
            timeout=90, what="the bot process to poll")
        assert proc.poll() is None, _read(stderr)
        telegram_stub.delay("sendMessage", 1.0)  # the answer is still in flight when the signal comes
        mark = telegram_stub.mark()
        telegram_stub.send_text(1200, RIVER)
        in_flight = lambda: [c for c in telegram_stub.calls[mark:] if c.method == "sendMessage"]  # noqa: E731
        telegram_stub.wait_for(in_flight, timeout=30, what="the answer to be on its way")
        signalled = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=10)
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = _read(stderr)
    assert code == 0, output
    assert took < 5, f"stopping took {took:.1f} s"
    [answer] = in_flight()
    assert answer.status == 200 and "堤防" in answer.text
    assert telegram_stub.token not in output and "Traceback" not in output


def test_missing_token_is_one_clear_line(telegram_stub, index_settings, tmp_path):
    proc, stderr = bot_process(telegram_stub, index_settings, tmp_path, token=None)
    assert proc.wait(timeout=30) != 0
    lines = _read(stderr).strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0] and "is not set" in lines[0]


def test_rejected_token_is_one_clear_line(telegram_stub, index_settings, tmp_path, health):
    health.allow_refused_calls = True  # the 401 is the point
    wrong = "999999:WRONG-token-zzzzzzzzzzzzzzzzzzzzzzzzzz"
    proc, stderr = bot_process(telegram_stub, index_settings, tmp_path, token=wrong)
    assert proc.wait(timeout=30) != 0
    lines = _read(stderr).strip().splitlines()
    assert len(lines) == 1 and "rejected TELEGRAM_BOT_TOKEN" in lines[0], lines
    assert wrong not in lines[0]
    assert [c.status for c in telegram_stub.calls] == [401]
