"""A long message is answered whole; its ask (the last clauses) is read for danger, and answers
only where the whole found nothing or was unsure while the ask is sure; how a long message is
cut. Without the model: the searcher's readings are stubs."""
from types import SimpleNamespace

import pytest

from bot.corpus.referrals import Referral
from bot.retrieval.emergency import SECOND_READ_FROM
from bot.retrieval.question import ASK_FROM, prepare
from bot.retrieval.searcher import SearchConfig, Searcher, SearchResult

WAGES = Referral("ref-wages", "拖欠工资", "劳动监察", ("12333",), ("欠工资",))


def reading(kind, text="整条消息", urgency=0.0, emergency=None, referral=None, matches=("basic-044",),
            confidence=0.5, nearest=()):
    """A stub reading; `confidence` is P(list) for an item, P(referral right) for a referral."""
    return SearchResult("问", text, kind, [SimpleNamespace(id=m) for m in matches], "",
                        referral if kind == "referral" else None, emergency, {"p_referral": confidence}, referral,
                        confidence, urgency, nearest=nearest)


def stub_searcher(whole, ask_danger, threshold=0.875, ask=None):
    """A Searcher whose readings are given: the whole message's, the danger read in its ask, and
    the ask's own reading (searched only where the whole found nothing)."""
    searcher = Searcher.__new__(Searcher)
    searcher.config = SearchConfig()
    searcher.index = SimpleNamespace(emergency=SimpleNamespace(threshold=lambda text: threshold),
                                     decision=SimpleNamespace(referral_probability=lambda f: f["p_referral"]))
    searcher.matter_of = {}
    searcher.asked = []
    ask = ask or reading("none", "那个", emergency=ask_danger)

    def search_text(question, text, note, top_k):  # the first search is the whole message's
        first = not searcher.asked
        searcher.asked.append(None if first else text)
        return whole if first else ask
    searcher._search_text = search_text
    searcher.danger_read = []  # texts read for danger alone

    def danger(text):
        searcher.asked.append(text)
        searcher.danger_read.append(text)
        return ask_danger
    searcher._danger = danger
    return searcher


def asked(searcher):
    return [t for t in searcher.asked if t]


LONG = "俺们屯里今年收成还行，家家都挺好，张大爷八十三了，一个人过，儿女都在外地打工，" * 2 + "河里有个孩子掉进去了 快来人啊"


def test_a_long_message_is_answered_whole_whatever_its_ask_says():
    whole = reading("referral", referral=WAGES)
    searcher = stub_searcher(whole, None)
    got = searcher.search(LONG)
    assert got.kind == "referral" and got.referral is WAGES and got.matches == whole.matches


@pytest.mark.parametrize(("urgency", "flagged"), [
    (0.0, False),  # a calm story: its ask alone ("心里没底 不知道该咋办") is not read for danger
    (SECOND_READ_FROM - 0.01, False),
    (SECOND_READ_FROM, True),  # somewhat urgent: a danger at its end counts
    (0.5, True),
    (0.875, False),  # urgent, but the emergency model turned it down for its calm end: it stays down
])
def test_the_ask_is_read_for_danger_when_the_whole_sounded_somewhat_urgent(urgency, flagged):
    for whole in (reading("none", urgency=urgency), reading("referral", urgency=urgency, referral=WAGES)):
        searcher = stub_searcher(whole, "water_rescue")
        got = searcher.search(LONG)
        assert (got.emergency == "water_rescue") == flagged and got.kind == whole.kind
        assert asked(searcher)[-1].endswith("河里有个孩子掉进去了 快来人啊") if flagged else not searcher.danger_read


def test_an_alarm_of_the_whole_stands_and_a_short_message_has_no_ask():
    searcher = stub_searcher(reading("list", urgency=0.99, emergency="fire"), "water_rescue")
    assert searcher.search(LONG).emergency == "fire" and not asked(searcher)
    searcher = stub_searcher(reading("none", urgency=0.5), "water_rescue")
    assert searcher.search("河里有个孩子掉进去了").emergency is None and not asked(searcher)


@pytest.mark.parametrize(("whole", "ask", "answered_by"), [
    # The whole found nothing; the ask's item is one of the whole's nearest: it answers.
    (reading("none", matches=("returned-009", "basic-048", "basic-043")),
     reading("list", "高龄津贴咋还没发", matches=("basic-048",)), "ask"),
    # ... not one of them: the whole's "not found" stands (the ask read a fragment).
    (reading("none", matches=("basic-050", "basic-052", "coop-015")),
     reading("list", "补贴是镇里发还是哪发", matches=("coop-032",)), "whole"),
    # The whole found an item or a referral: it answers, whatever the ask says.
    (reading("list", matches=("basic-048",)), reading("list", "那个", matches=("basic-048",)), "whole"),
    (reading("referral", referral=WAGES), reading("list", "电费咋这么贵", matches=("basic-044",)), "whole"),
])
def test_the_ask_answers_only_where_the_whole_found_nothing_and_among_its_nearest(whole, ask, answered_by):
    got = stub_searcher(whole, None, ask=ask).search(LONG)
    expected = ask if answered_by == "ask" else whole
    assert got.kind == expected.kind and got.matches == expected.matches and got.text == whole.text


BANK = Referral("ref-bank", "银行卡冻结", "开户银行", (), ("银行卡被冻结了",))


@pytest.mark.parametrize(("whole", "ask", "answered_by"), [
    # The whole is unsure; the ask is sure and the whole came near its answer: the ask answers.
    (reading("referral", referral=WAGES, confidence=0.73, nearest=("referral:ref-wages", "referral:ref-bank")),
     reading("referral", "银行卡被冻结了 咋整", referral=BANK, confidence=0.98), "ask"),
    (reading("referral", referral=WAGES, confidence=0.73, nearest=("basic-048", "referral:ref-wages")),
     reading("list", "高龄津贴咋还没发", matches=("basic-048",), confidence=0.95), "ask"),
    # ... the whole did not come near it: the whole answers (the ask read a fragment).
    (reading("referral", referral=WAGES, confidence=0.73, nearest=("referral:ref-wages",)),
     reading("referral", "银行卡被冻结了 咋整", referral=BANK, confidence=0.98), "whole"),
    # ... the ask is unsure too, or the whole is sure: the whole answers.
    (reading("referral", referral=WAGES, confidence=0.73, nearest=("referral:ref-wages", "referral:ref-bank")),
     reading("referral", "银行卡咋整", referral=BANK, confidence=0.6), "whole"),
    (reading("referral", referral=WAGES, confidence=0.9, nearest=("referral:ref-wages", "referral:ref-bank")),
     reading("referral", "银行卡被冻结了 咋整", referral=BANK, confidence=0.98), "whole"),
])
def test_a_sure_ask_decides_for_an_unsure_whole_among_its_nearest(whole, ask, answered_by):
    got = stub_searcher(whole, None, ask=ask).search(LONG)
    expected = ask if answered_by == "ask" else whole
    assert got.kind == expected.kind and got.referral == expected.referral and got.matches == expected.matches
    assert got.text == whole.text and got.emergency is None


def test_an_ask_only_from_ask_from_characters():
    base = "俺们屯里今年收成还行，家家都挺好，"
    short = (base * 10)[:ASK_FROM - 8] + "高龄津贴咋没发？"
    assert len(short) == ASK_FROM and prepare(short, 500).ask == ""
    longer = "啊" + short.replace("俺", "我", 1) + "找谁"
    assert len(longer) > ASK_FROM and prepare(longer, 500).ask


def test_a_message_over_the_limit_keeps_the_end_of_a_long_run_on_before_its_question():
    """A run-on without punctuation before a short question: the question and as much of the
    run-on's end as fits, not the question alone."""
    text = "俺家那个地让人给占了" * 50 + "，这事找谁管"
    prepared = prepare(text, 500)
    assert prepared.note == "truncated" and len(prepared.text) == 500 and prepared.text.endswith("这事找谁管")
    assert prepare("俺家那个地让人给占了" * 49 + "，这事找谁管", 500).note == ""  # 496 characters: whole
