"""A message that raises several matters: how it is cut into asks, and when the asks are answered
each on its own. Without the model: the searcher's readings are stubs."""
from types import SimpleNamespace

import pytest

from bot.corpus.referrals import Referral
from bot.retrieval.asks import MAX_ASKS, split_asks
from bot.retrieval.question import normalise
from bot.retrieval.searcher import SearchConfig, Searcher, SearchResult


@pytest.mark.parametrize("text, asks", [
    ("停电了 还有自来水也不来", ["停电了", "自来水也不来"]),
    ("低保咋申请？另外俺家房子漏雨了能不能给修", ["低保咋申请？", "俺家房子漏雨了能不能给修"]),
    ("俺问两件事：1、低保咋申请 2、房子漏雨谁修", ["低保咋申请", "房子漏雨谁修"]),
    ("一是党费咋交，二是耳标丢了咋补", ["党费咋交", "耳标丢了咋补"]),
    ("村里路灯坏了，还有个事，垃圾没人拉", ["村里路灯坏了", "垃圾没人拉"]),
    ("山那边冒烟了 对了防火期能上山不", ["山那边冒烟了", "防火期能上山不"]),
    ("1.低保 2.医保咋交", ["低保", "医保咋交"]),
    ("儿子工钱要不回来 俺还想问问危房改造", ["儿子工钱要不回来", "危房改造"]),
    ("牛丢了一头 顺便问下草原补贴啥时候发", ["牛丢了一头", "草原补贴啥时候发"]),
    ("低保几月发 耕地补贴啥时候到", ["低保几月发", "耕地补贴啥时候到"]),
])
def test_a_message_is_cut_where_a_new_ask_starts(text, asks):
    assert split_asks(text) == asks


@pytest.mark.parametrize("text", [
    "还有没有补贴",  # whether something is still there
    "山坡那块老塌方的地方，还有人在那挖土挖沙，找谁？",  # the same matter goes on
    "俺家牛丢了 昨天还在 找派出所还是找村里",
    "种了1.5亩地 补贴咋算",  # a decimal is not a numbered ask
    "第1书记是谁",
    "咋办？",
    "俺问个事 低保咋办",
    "城乡居民养老保险在哪交 今年交多少",  # a time word says when, not what
    "林子有人偷着砍树 好几天了 打哪个电话",  # a phone says whom to reach, not what about
    "低保咋申请啊 俺家老头瘫炕上好几年了地也种不了",  # how many years, not a question: the ask's reason
    "耳标咋补 前几天让狗扯掉了十几个",
    "耕地补贴啥时候发？好几年没发了",  # how long, leaning on the ask: not an ask of its own
    "房子漏雨咋整？十几天了",
])
def test_a_message_of_one_ask_stays_whole(text):
    assert split_asks(text) == [text]


def test_a_piece_that_leans_on_what_came_before_joins_it_and_too_many_pieces_are_one_matter():
    assert split_asks("低保咋申请？咋办？") == ["低保咋申请？咋办？"]
    assert split_asks("跟邻村因为一块草场归谁吵起来了 谁来调解") == ["跟邻村因为一块草场归谁吵起来了 谁来调解"]
    assert split_asks("镇上新开了个补课班 没见有啥手续 谁管") == ["镇上新开了个补课班 没见有啥手续 谁管"]
    many = "低保咋申请？医保咋交？养老保险咋交？高龄补贴咋领？"
    assert split_asks(many) == [many] and MAX_ASKS < 5


def test_a_long_story_is_cut_only_where_a_word_opens_another_matter():
    story = "俺们屯今年收成还行，家家都挺好，张大爷八十三了，一个人过？儿女都在外地打工 咋整啊 啥时候回来 "
    assert split_asks(story, long=True) == [story.strip()]
    assert split_asks(f"{story}另外他家房子漏雨了能不能给修", long=True) == [story.strip(), "他家房子漏雨了能不能给修"]


POWER = Referral("ref-power", "停电报修", "供电所", ("95598",), ("停电了",))
MESSAGE = "停电了 还有自来水也不来"
NEAR = ("basic-077", "basic-052", "referral:ref-power")  # what the whole message comes nearest to


def reading(kind, item="basic-077", confidence=0.9, referral=None, text=MESSAGE, emergency=None, nearest=NEAR,
            referral_p=None, urgency=0.0):
    p = referral_p if referral_p is not None else (0.9 if referral else 0.0)
    return SearchResult("问", text, kind, [SimpleNamespace(id=item)], "", referral if kind == "referral" else None,
                        emergency, {"referral_p": p}, referral, confidence, urgency, nearest=nearest)


def stub_searcher(whole, asks: dict[str, SearchResult], matters=None):
    """A Searcher whose readings are given: the whole message's (by its text), each ask's by its text."""
    searcher = Searcher.__new__(Searcher)
    searcher.config = SearchConfig()
    searcher.index = SimpleNamespace(emergency=SimpleNamespace(threshold=lambda text: 0.875),
                                     decision=SimpleNamespace(referral_probability=lambda f: f["referral_p"]))
    searcher.matter_of = matters or {}
    searched = []

    def search_text(question, text, note, top_k):
        searched.append(text)
        return whole if text == whole.text else asks[text]
    searcher._search_text = search_text
    searcher.searched = searched
    return searcher


WATER = reading("list", "basic-077", text="自来水也不来")
OUTAGE = reading("referral", referral=POWER, text="停电了", item="basic-052")


def test_two_matters_get_two_answers_in_the_message_order_the_first_ask_as_the_text():
    whole = reading("list", "basic-077")
    got = stub_searcher(whole, {"停电了": OUTAGE, "自来水也不来": WATER}).search(MESSAGE)
    assert got.kind == "referral" and got.referral == POWER and (got.query, got.text) == (whole.query, "停电了")
    assert [o.matches[0].id for o in got.others] == ["basic-077"] and got.others[0].text == "自来水也不来"


def test_where_the_whole_found_the_first_asks_answer_the_whole_leads():
    whole = reading("referral", referral=POWER, item="basic-099")
    got = stub_searcher(whole, {"停电了": OUTAGE, "自来水也不来": WATER}).search(MESSAGE)
    assert got.matches[0].id == "basic-099", "the whole's own reading"
    assert got.text == "停电了" and [o.text for o in got.others] == ["自来水也不来"]


@pytest.mark.parametrize("second, named, why", [
    (reading("list", "basic-052", confidence=0.79, text="自来水也不来"), True, "unsure item"),
    (reading("referral", referral=Referral("ref-water", "水费", "自来水公司", (), ()), referral_p=0.79,
             text="自来水也不来", nearest=NEAR + ("referral:ref-water",)), True, "unsure referral"),
    (reading("none", text="自来水也不来"), False, "nothing found"),
    (reading("list", "basic-078", text="自来水也不来"), False, "the same matter as the first ask"),
    (reading("list", "basic-033", text="自来水也不来"), False, "not among the whole's nearest"),
])
def test_one_answer_stands_when_the_asks_are_not_separate_sure_matters(second, named, why):
    """An unsure ask of its own (a matter the whole comes near, other than the answer's) is named in
    the reply to be sent alone; a detail of the answered matter or a stray piece is not."""
    whole = reading("list", "basic-077", nearest=NEAR + ("referral:ref-water", "matter:饮水"))
    first = reading("list", "basic-077", text="停电了", confidence=0.9)  # the first ask: the whole's matter
    searcher = stub_searcher(whole, {"停电了": first, "自来水也不来": second},
                             matters={"basic-077": "matter:饮水", "basic-078": "matter:饮水"})
    got = searcher.search(MESSAGE)
    assert got.matches == whole.matches and got.kind == whole.kind and not got.others, why
    assert got.unsure_asks == (["自来水也不来"] if named else []), why
    assert searcher.searched == [MESSAGE, "停电了", "自来水也不来"], "the asks were searched"
    searcher.config = SearchConfig(ask_note_unsure=False)
    assert searcher.search(MESSAGE) is whole, "switched off: the whole as it was"


def test_unsure_asks_are_named_only_beside_an_answer_that_is_an_asks_own():
    """The whole answers X while the one sure ask found Y: naming the unsure one would drop Y without
    a word and put the answer's own detail up as another matter (found in review)."""
    unsure = reading("list", "basic-052", confidence=0.5, text="自来水也不来")
    sure_other = reading("list", "basic-099", confidence=0.9, text="停电了")
    whole = reading("list", "basic-077", nearest=NEAR + ("basic-099",))
    got = stub_searcher(whole, {"停电了": sure_other, "自来水也不来": unsure}).search(MESSAGE)
    assert got is whole and not got.unsure_asks
    agreeing = reading("list", "basic-077", confidence=0.9, text="停电了")
    got = stub_searcher(whole, {"停电了": agreeing, "自来水也不来": unsure}).search(MESSAGE)
    assert got.unsure_asks == ["自来水也不来"]


def test_an_unsure_ask_the_whole_answers_too_is_answered_beside_a_sure_one_in_message_order():
    """"俺家地让邻居多占了两垄 咋整啊 还有孩子考上大学了…能申请啥不": the whole found the student-aid
    matter its ask alone was unsure of; answering the whole alone dropped the sure mediation ask."""
    sure = reading("list", "basic-061", confidence=0.99, text="停电了")
    unsure = reading("list", "basic-052", confidence=0.5, text="自来水也不来")
    whole = reading("list", "basic-052", nearest=NEAR + ("basic-061",))
    searcher = stub_searcher(whole, {"停电了": sure, "自来水也不来": unsure})
    got = searcher.search(MESSAGE)
    assert got.matches[0].id == "basic-061" and got.text == "停电了", "the sure ask first, as asked"
    assert [(o.matches[0].id, o.text) for o in got.others] == [("basic-052", "自来水也不来")]
    assert not got.unsure_asks, "answered, not named"
    searcher.config = SearchConfig(ask_whole_confirms=False)
    assert searcher.search(MESSAGE) is whole, "switched off: the whole alone, as before"
    alone = stub_searcher(whole, {"停电了": reading("none", text="停电了"), "自来水也不来": unsure})
    assert alone.search(MESSAGE) is whole, "no sure ask beside it: the whole answers alone"


def test_the_bars_and_the_nearest_check_are_what_let_an_ask_through():
    sure = reading("list", "basic-052", confidence=0.8, text="自来水也不来")
    got = stub_searcher(reading("list", "basic-077"), {"停电了": reading("list", "basic-077", text="停电了"),
                                                      "自来水也不来": sure}).search(MESSAGE)
    assert [o.matches[0].id for o in got.others] == ["basic-052"], "0.8 is sure enough"
    searcher = stub_searcher(reading("list", "basic-077", nearest=("basic-077",)),
                             {"停电了": reading("list", "basic-077", text="停电了"), "自来水也不来": sure})
    assert not searcher.search(MESSAGE).others
    searcher.config = SearchConfig(ask_among_nearest=False)
    assert searcher.search(MESSAGE).others


@pytest.mark.parametrize("whole_danger, ask_danger, whole_urgency, ask_urgency, last_ask, kept_whole", [
    ("fire", None, 0.99, 0.0, False, True),  # the whole raised the alarm: never split
    # "低保咋申请 还有家里着火了 快来人": the whole sounded somewhat urgent, the danger is its question
    (None, "fire", 0.5, 0.9, True, True),
    (None, "fire", 0.05, 0.98, False, True),  # "家里着火了 还有低保咋申请": the ask alone is all but certain
    (None, "fire", 0.05, 0.9, True, False),  # a calm whole and a less certain ask: no alarm (false alarms)
    # "…老爷子八十三了 一个人在家…好几天没出门了 俺就寻思问问 高龄津贴咋还没发呢": a background read
    # as danger, before a question that sounds plainly calm (0.0 here)
    (None, "missing", 0.3, 0.81, False, False),
])
def test_danger_keeps_the_message_whole(whole_danger, ask_danger, whole_urgency, ask_urgency, last_ask, kept_whole):
    whole = reading("list", "basic-077", emergency=whole_danger, urgency=whole_urgency)
    danger = reading("referral", referral=POWER, text="自来水也不来" if last_ask else "停电了", emergency=ask_danger,
                     urgency=ask_urgency)
    calm = WATER if not last_ask else reading("list", "basic-077", text="停电了")
    asks = {danger.text: danger, calm.text: calm}
    got = stub_searcher(whole, asks).search(MESSAGE)
    if kept_whole:
        assert got.emergency == (whole_danger or ask_danger) and not got.others and got.matches[0].id == "basic-077"
    else:
        assert got.emergency is None and got.others and all(o.emergency is None for o in got.others)


def test_a_background_reads_as_danger_when_the_question_after_it_is_not_plainly_calm():
    whole = reading("list", "basic-077", urgency=0.3)
    background = reading("referral", referral=POWER, text="停电了", emergency="missing", urgency=0.81)
    for question_urgency, alarm in ((0.0, False), (0.05, False), (0.1, True), (0.5, True)):
        question = reading("list", "basic-077", text="自来水也不来", urgency=question_urgency)
        got = stub_searcher(whole, {"停电了": background, "自来水也不来": question}).search(MESSAGE)
        assert (got.emergency == "missing") is alarm, question_urgency


def test_the_whole_finding_nothing_lets_sure_asks_answer_and_none_is_repeated():
    text = "停电了 还有自来水也不来 另外自来水咋回事"
    whole = reading("none", text=text)
    asks = {"停电了": OUTAGE, "自来水也不来": WATER, "自来水咋回事": WATER}
    got = stub_searcher(whole, asks).search(text)
    assert got.kind == "referral" and [o.text for o in got.others] == ["自来水也不来"]


def test_splitting_can_be_switched_off():
    whole = reading("list", "basic-077")
    searcher = stub_searcher(whole, {"停电了": OUTAGE, "自来水也不来": WATER})
    searcher.config = SearchConfig(split_asks=False)
    assert searcher.search(MESSAGE) is whole and searcher.searched == [MESSAGE]


def test_a_story_keeps_its_whole_answer_when_no_piece_agrees_a_short_message_splits():
    story = "俺们屯今年收成还行，家家都挺好，张大爷八十三了，一个人过，儿女都在外地打工，" * 2
    for text, splits in [(f"{story}停电了 还有自来水也不来", False), (MESSAGE, True)]:
        whole = reading("list", "basic-001", text=normalise(text), nearest=NEAR + ("basic-001",))
        searcher = stub_searcher(whole, {})
        searcher._search_text = lambda q, t, note, k, w=whole: (
            w if t == w.text else OUTAGE if t.endswith("停电了") else WATER)
        got = searcher.search(text)
        assert bool(got.others) == splits
        assert (got.kind, got.matches[0].id) == (("referral", "basic-052") if splits else ("list", "basic-001"))


def test_the_pieces_of_a_long_story_are_not_read_for_danger():
    """Its ask was read already (_with_ask); reading every piece raised false alarms."""
    story = "俺们屯今年收成还行，家家都挺好，张大爷八十三了，一个人过，儿女都在外地打工，" * 2
    text = normalise(f"{story}停电了 还有自来水也不来")
    whole = reading("none", text=text, urgency=0.5)
    fire = reading("referral", referral=POWER, text="x", emergency="fire", urgency=0.999)
    searcher = stub_searcher(whole, {})
    searcher._search_text = lambda q, t, note, k: whole if t == text else (fire if t.endswith("停电了") else WATER)
    searcher._danger = lambda t: None  # the long message's own ask: calm
    got = searcher.search(text)
    assert got.emergency is None and got.others and got.others[0].emergency is None
