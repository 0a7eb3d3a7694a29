"""The question-to-answer pipeline on a tiny corpus with a fake embedder: no model, fast."""
from __future__ import annotations

import json

import pytest
from fakes import FakeEmbedder

from bot.answers.compose import Knowledge, compose
from bot.corpus.contacts import Contact
from bot.corpus.matters import Matter
from bot.retrieval.decision import DecisionModel, features
from bot.retrieval.searcher import SearchConfig, Searcher
from bot.retrieval.store import build_index, load_index
from bot.settings import Settings

DUTIES = [
    {"id": "basic-001", "list": "basic", "number": 1, "category": "民生服务",
     "title": "负责辖区内最低生活保障的受理、审核。", "town_duties": ["负责辖区内最低生活保障（低保）的受理、审核"]},
    {"id": "coop-001", "list": "coop", "number": 1, "category": "应急管理", "title": "森林草原防火工作",
     "departments": ["市林业和草原局"], "department_duties": [{"departments": ["市林业和草原局"],
                                                             "duties": ["组织森林草原防火"], "support": []}],
     "town_duties": ["开展防火宣传，巡查火情"]},
    {"id": "returned-001", "list": "returned", "number": 1, "category": "民生服务", "title": "高龄津贴追缴",
     "departments": ["市民政局"], "department_duties": [{"departments": ["市民政局"], "duties": ["追缴冒领的高龄津贴"],
                                                       "support": []}]},
]
REFERRALS = [{"id": "ref-power", "name": "停电报修", "where": "当地供电所", "numbers": ["95598"],
              "questions": ["家里停电了找谁", "电压低灯泡发暗", "电费咋交"]}]
EMERGENCY = [{"q": q, "emergency": True, "type": "forest_fire"} for q in ("山着火了快来人", "后山冒烟了火很大", "草原起火了")] + \
            [{"q": q, "emergency": False, "type": "forest_fire"} for q in ("防火期上山办啥手续", "去年着火的补助", "防火宣传材料")]

OUTSIDE = ["党费按啥基数交", "村医补助谁发"]


@pytest.fixture(scope="module")
def fake_searcher(tmp_path_factory):
    base = tmp_path_factory.mktemp("fake")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / "duties.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in DUTIES), "utf-8")
    (corpus / "questions.jsonl").write_text(
        "".join(json.dumps({"id": "basic-001", "q": q, "source": "life"}, ensure_ascii=False) + "\n"
                for q in ("低保咋申请", "低保户的补助标准")), "utf-8")
    (corpus / "referrals.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in REFERRALS), "utf-8")
    (corpus / "emergency.jsonl").write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in EMERGENCY), "utf-8")
    (corpus / "out_of_list.jsonl").write_text(
        "".join(json.dumps({"q": q, "gold": [], "note": "别处"}, ensure_ascii=False) + "\n" for q in OUTSIDE), "utf-8")
    settings = Settings.from_env(env_file=None, corpus_dir=corpus, index_dir=base / "index", embedding_model="fake")
    build_index(settings, FakeEmbedder(), progress=False)
    return Searcher(load_index(settings, "fake"), FakeEmbedder(), SearchConfig())


def test_features_describe_best_margin_and_referral():
    import numpy as np
    f = features(np.array([0.9, 0.8, 0.1]), 20.0, 0.95, agreement=0.3, referral_share=0.5, referral_lexical=4.0)
    assert f == pytest.approx({"dense": 0.9, "margin": 0.1, "lexical": 1.0, "referral": 0.95,
                               "referral_gap": 0.05, "agreement": 0.3, "referral_share": 0.5,
                               "referral_lexical": 0.4, "outside": 0.0, "outside_gap": -0.9, "outside_top3": 0.0,
                               "outside_share": 0.0})
    f = features(np.array([0.9, 0.8]), 0.0, 0.0, outside_dense=np.array([0.5, 0.95, 0.7, 0.6]),
                 closest_scores=np.array([0.9, 0.85, 0.8, 0.4]))
    assert (f["outside"], f["outside_gap"], f["outside_top3"]) == pytest.approx((0.95, 0.05, 0.75))
    # The four closest texts of either kind: 0.95 (off the list), 0.9, 0.85, 0.8 (passages).
    assert f["outside_share"] == pytest.approx(0.25)


def test_off_list_questions_are_evidence_for_the_decision(fake_searcher):
    """A question asked like one known to be off the list: its features say so, and a decision
    that weighs them does not answer it with the nearest item."""
    near = fake_searcher.search("党费按啥基数交")
    far = fake_searcher.search("低保咋申请")
    assert near.features["outside"] > 0.99 and near.features["outside_gap"] > 0
    assert far.features["outside"] < 0.99 and far.features["outside_gap"] < 0
    assert near.features["outside_share"] > 0  # the off-list twin is among its closest texts
    model = DecisionModel(weights={"dense": 10.0, "outside_gap": -40.0}, bias=-5.0, referral_min=0.99)
    assert model.decide(near.features, True) == "none"
    assert model.decide(far.features, True) == "list"


def test_decision_three_ways():
    model = DecisionModel(weights={"dense": 10.0}, bias=-8.0, threshold=0.5, referral_min=0.7, referral_slack=0.05)
    assert model.decide({"dense": 0.9, "referral": 0.2, "referral_gap": -0.7}, True) == "list"
    assert model.decide({"dense": 0.7, "referral": 0.75, "referral_gap": 0.05}, True) == "referral"
    assert model.decide({"dense": 0.7, "referral": 0.75, "referral_gap": 0.05}, False) == "none"
    assert model.decide({"dense": 0.7, "referral": 0.5, "referral_gap": -0.2}, True) == "none"


def test_a_close_referral_that_is_probably_the_wrong_one_is_not_offered():
    """The second model: a referral as close as before, but judged the wrong office, is not
    offered; the list item then answers when its probability passes the fallback threshold,
    else nothing does."""
    model = DecisionModel(weights={"dense": 10.0}, bias=-8.0, threshold=0.5, referral_min=0.7,
                          referral_weights={"referral_lexical": 10.0}, referral_bias=-5.0, referral_threshold=0.5,
                          fallback_threshold=0.3)
    close = {"dense": 0.72, "referral": 0.75, "referral_gap": 0.03}  # P(list) = 0.31
    assert model.decide({**close, "referral_lexical": 0.9}, True) == "referral"  # word evidence: the right office
    assert model.decide({**close, "referral_lexical": 0.1}, True) == "list"  # probably wrong: the item, found anyway
    assert model.decide({**close, "dense": 0.6, "referral_lexical": 0.1}, True) == "none"  # P(list) 0.12 < 0.3
    assert model.referral_probability({"referral_lexical": 0.9}) > 0.5 > model.referral_probability({})
    # No referrals in the corpus: the fallback answers as when the referral was turned down.
    assert model.decide({**close, "referral_lexical": 0.9}, False) == "list"
    # Without the second model's weights (an older decision.json) every close referral is offered.
    assert DecisionModel(weights={"dense": 10.0}, bias=-8.0, referral_min=0.7).decide(
        {**close, "referral_lexical": 0.1}, True) == "referral"
    # A model whose referral part weighs the off-list questions needs them too.
    assert DecisionModel(weights={"dense": 1.0}, referral_weights={"outside_gap": 1.0}).needs_outside
    assert not DecisionModel(weights={"dense": 1.0}, referral_weights={"referral": 1.0}).needs_outside


def test_decision_file_round_trip(tmp_path):
    model = DecisionModel(weights={"dense": 3.0, "margin": 1.5}, bias=-2.0, threshold=0.4, referral_min=0.8,
                          model="fake", provenance="test", referral_weights={"referral": 4.0}, referral_bias=-1.0,
                          referral_threshold=0.3, fallback_threshold=0.35)
    model.save(tmp_path / "decision.json")
    assert DecisionModel.load(tmp_path / "decision.json") == model
    (tmp_path / "bad.json").write_text(json.dumps({"weights": {"nonsense": 1}, "bias": 0, "referral_min": 0}))
    with pytest.raises(ValueError, match="nonsense"):
        DecisionModel.load(tmp_path / "bad.json")
    (tmp_path / "bad2.json").write_text(json.dumps({"weights": {}, "referral_weights": {"typo": 1}, "bias": 0,
                                                   "referral_min": 0}))
    with pytest.raises(ValueError, match="typo"):
        DecisionModel.load(tmp_path / "bad2.json")
    # A file from before the second model still loads, and decides as it did: list from the
    # threshold, else any close referral, else nothing.
    (tmp_path / "old.json").write_text(json.dumps({"weights": {"dense": 10.0}, "bias": -8.0, "threshold": 0.5,
                                                   "referral_min": 0.7}))
    old = DecisionModel.load(tmp_path / "old.json")
    assert old.referral_weights == {} and old.fallback_threshold > 1
    for dense, referral, expected in [(0.85, 0.9, "list"), (0.75, 0.76, "referral"), (0.75, 0.6, "none"),
                                      (0.2, 0.71, "referral"), (0.79, 0.5, "none")]:
        assert old.decide({"dense": dense, "referral": referral, "referral_gap": referral - dense}, True) == expected
    # A file from a newer program is refused, not half read.
    (tmp_path / "new.json").write_text(json.dumps({"format": 99, "weights": {}, "bias": 0, "referral_min": 0}))
    with pytest.raises(ValueError, match="newer"):
        DecisionModel.load(tmp_path / "new.json")


def test_search_finds_items_and_referrals(fake_searcher):
    result = fake_searcher.search("低保咋申请")
    assert result.matches[0].id == "basic-001" and result.features["dense"] > 0.99
    assert result.closest_referral is not None and result.closest_referral.id == "ref-power"
    assert [m.id for m in fake_searcher.search("高龄津贴追缴").matches][0] == "returned-001"


def test_typo_repair_uses_the_index_vocabulary(fake_searcher):
    assert fake_searcher.index.pinyin.correct("底保咋申请") == "低保咋申请"
    assert fake_searcher.index.pinyin.correct("防火") == "防火"  # known words stay


def test_emergency_model_is_fitted_at_build(fake_searcher):
    model = fake_searcher.index.emergency
    assert model is not None and model.kinds == ["forest_fire"]


def test_compose_a_matter_lists_the_town_first_and_says_the_answering_items_part_first(fake_searcher):
    result = fake_searcher.search("高龄津贴追缴")
    result.kind = "list"
    knowledge = Knowledge(shorts={"basic-001": "低保审核", "returned-001": "高龄津贴追缴"},
                          matters=[Matter("低保与津贴", ("returned-001", "basic-001"))],
                          contacts=[Contact("市民政局", "0470-1234567")])
    best, town = result.matches[0], next(m for m in result.matches if m.id == "basic-001")
    town.score = best.score - 0.01  # the question came near the matter's other part too
    answer = compose(result, knowledge, fake_searcher.duty)
    assert answer.matter is not None and answer.matter.items == ("basic-001", "returned-001")
    # 归谁管 leads with the part the question is about, the returned item here, then the town's
    assert answer.who.startswith("归市民政局") and answer.who.index("高龄津贴追缴") < answer.who.index("镇里负责：低保审核")
    town.score = best.score - 0.2  # far from it: the other part is not this question's matter
    far = compose(result, knowledge, fake_searcher.duty)
    assert far.who == "归市民政局（镇里不再负责）" and far.matter is not None and [p.id for p in far.matter.parts] == ["returned-001"]
    assert far.matter.items == answer.matter.items, "the matter's items stay whole (JSON)"
    assert [(c.name, c.phone) for c in answer.contacts] == [("市民政局", "0470-1234567")]
    data = answer.to_json()
    assert data["matter"] == {"name": "低保与津贴", "items": ["basic-001", "returned-001"]}
    assert data["matches"][0]["short"] == "高龄津贴追缴"


def test_compose_names_an_ended_part_only_when_it_was_asked_about(fake_searcher):
    from dataclasses import replace as copy

    def duty_of(item):  # the returned item has ended (该事项已停止办理); coop-009 is a fourth part
        duty = fake_searcher.duty("coop-001" if item == "coop-009" else item)
        if duty is not None and item == "coop-009":
            return copy(duty, id=item)
        return copy(duty, discontinued=True) if duty is not None and item == "returned-001" else duty

    def asked(question, matter_items):
        result = fake_searcher.search(question)
        result.kind = "list"
        best = result.matches[0]
        for m in result.matches:
            m.duty = duty_of(m.id)
            if m.id == "coop-001":
                m.score = best.score - 0.5  # far: not this question's part
            elif m is not best:
                m.score = best.score - 0.01  # near enough to be named, were it not over
        knowledge = Knowledge(shorts={"basic-001": "低保审核", "returned-001": "高龄津贴追缴"},
                              matters=[Matter("低保与津贴", matter_items)])
        return best.id, compose(result, knowledge, duty_of)

    four = ("returned-001", "basic-001", "coop-001", "coop-009")
    best, answer = asked("低保咋申请", four)
    assert best == "basic-001" and answer.who == "镇里负责"
    assert answer.matter is not None and [p.id for p in answer.matter.parts] == ["basic-001"]
    assert answer.matter.items == ("basic-001", "coop-001", "coop-009", "returned-001"), "the items stay whole"
    best, answer = asked("高龄津贴追缴", four)  # asked about the ended part itself: it is named
    assert best == "returned-001" and "已停止办理" in answer.who
    _, whole = asked("低保归谁管", ("returned-001", "basic-001"))  # near most parts: the matter as a whole
    assert "已停止办理：高龄津贴追缴" in whole.who
    _, how = asked("低保咋申请", ("returned-001", "basic-001"))  # how to get it done: the answering part alone
    assert how.who == "镇里负责" and [p.id for p in how.matter.parts] == ["basic-001"]


def test_a_how_to_question_names_one_part_of_its_matter(fake_searcher):
    """A review read "高龄补贴咋领" answered with the city's 高龄津贴追缴 beside it as "the money will be taken back"."""
    from bot.answers.compose import asks_how_only

    assert asks_how_only("高龄补贴咋领") and asks_how_only("医保在哪交") and asks_how_only("补贴啥时候发")
    from bot.answers.compose import about_a_violation, from_a_cadre
    assert from_a_cadre("我是村里的网格员，巡查发现…") and from_a_cadre("网格员走访发现有个留守儿童没人管 报给谁")
    assert from_a_cadre("书记让我问一下民兵整组的花名册") and not from_a_cadre("网格员让俺扫那个码 是骗子不")
    assert not from_a_cadre("低保咋申请")
    assert about_a_violation("有人往河滩倒渣土 谁管") and about_a_violation("超载了会怎么罚")
    assert not about_a_violation("屯里垃圾好几天没人拉了") and not about_a_violation("休牧期几月")
    assert not asks_how_only("高龄津贴归谁管") and not asks_how_only("采伐证去哪办 找谁") and not asks_how_only("高龄津贴")
    result = fake_searcher.search("低保咋申请")
    result.kind = "list"
    best = result.matches[0]
    other = next(m for m in result.matches if m is not best)
    other.score = best.score - 0.01  # near: named for "whose", not for "how"
    knowledge = Knowledge(matters=[Matter("低保与津贴", (best.id, other.id))])
    answer = compose(result, knowledge, fake_searcher.duty)
    assert [p.id for p in answer.matter.parts] == [best.id] and answer.matter.items == (best.id, other.id)
    assert other.id not in [m.id for m in answer.alternatives], "the matter's other business is no button either"


def test_a_town_office_is_tied_to_the_items_its_note_names():
    knowledge = Knowledge(contacts=[
        Contact("卧牛河镇人民政府", note="凡本镇承担的 basic-001 等事项统一对应本行"),  # the town itself: the default
        Contact("卧牛河镇综合行政执法队", note="coop-059、coop-065提到的执法队，承担basic-060镇行政执法"),
        Contact("卧牛河镇纪委", note="basic-017：监督执纪问责"),
        Contact("市民政局", note="清单涉及coop-010"),  # a city department is not a town office
    ])
    assert {i: c.name for i, c in knowledge.town_office_of.items()} == {
        "coop-059": "卧牛河镇综合行政执法队", "coop-065": "卧牛河镇综合行政执法队",
        "basic-060": "卧牛河镇综合行政执法队", "basic-017": "卧牛河镇纪委"}


def test_city_department_without_a_phone_offers_12345(fake_searcher):
    result = fake_searcher.search("高龄津贴追缴")
    result.kind = "list"
    answer = compose(result, Knowledge(), fake_searcher.duty)
    assert [(c.name, c.phone, c.fallback) for c in answer.contacts] == [("市民政局", "", "12345")]


def test_emergency_kind_is_learnt_from_typed_examples(tmp_path):
    from bot.retrieval.emergency import EmergencyExample, EmergencyModel

    examples = [EmergencyExample(q, True, "forest_fire") for q in ("后山冒烟了", "山上着火了快来人", "草甸子烧起来了")]
    examples += [EmergencyExample(q, False, "forest_fire") for q in ("防火期上山办啥手续", "烧荒罚多少")]
    examples += [EmergencyExample(q, True, "flood") for q in ("河水漫过堤了", "大水冲进屯子了", "水库要决口了")]
    examples += [EmergencyExample(q, False, "flood") for q in ("汛期值班表", "河堤加固谁出钱")]
    examples += [EmergencyExample(q, False, ordinary=True) for q in ("低保咋申请", "户口迁移")]
    embedder = FakeEmbedder()
    model = EmergencyModel.fit(examples, embedder.embed_queries([e.q for e in examples]))
    assert model.kinds == ["flood", "forest_fire"]
    for text, kind in (("后山冒烟了咋整", "forest_fire"), ("河水漫过来了", "flood")):
        assert model.kind(embedder.embed_queries([text])[0], text) == kind
    model.save(tmp_path)
    loaded = EmergencyModel.load(tmp_path)
    assert loaded is not None and loaded.kinds == model.kinds
    text = "后山冒烟了咋整"
    assert loaded.kind(embedder.embed_queries([text])[0], text) == "forest_fire"


def test_calm_examples_keep_the_written_label_of_an_example_question():
    from bot.corpus.referrals import Referral
    from bot.retrieval.emergency import EmergencyExample, ordinary_calm_examples

    written = [EmergencyExample("后山着火了 找谁", True, "forest_fire")]
    referrals = [Referral("ref-a", "电费", "供电所", ("95598",), ("电费咋交",)),
                 Referral("ref-b", "急救", "医院", ("120",), ("有人晕倒了",))]
    calm = {e.q for e in ordinary_calm_examples(["低保咋申请 找谁", "后山着火了 找谁"], referrals, written)}
    # Everyday questions and their bare statements are calm; an emergency service's questions
    # and a question written as an emergency (with its bare statement) are not.
    assert calm == {"低保咋申请 找谁", "低保咋申请", "电费咋交"}


def test_emergency_model_is_refitted_only_when_its_examples_change(fake_searcher, tmp_path, monkeypatch):
    import shutil

    from bot.retrieval.emergency import EmergencyModel

    shutil.copytree(fake_searcher.index.path.parent.parent.parent / "corpus", tmp_path / "corpus")
    settings = Settings.from_env(env_file=None, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                                 embedding_model="fake")
    build_index(settings, FakeEmbedder(), progress=False)
    fits = []
    real_fit = EmergencyModel.fit
    monkeypatch.setattr(EmergencyModel, "fit", lambda *a: fits.append(1) or real_fit(*a))
    duties = settings.corpus_dir / "duties.jsonl"
    duties.write_text(duties.read_text("utf-8").replace("高龄津贴追缴", "高龄津贴追缴（新）"), "utf-8")
    build_index(settings, FakeEmbedder(), progress=False)
    assert fits == []  # a list edit reuses the fitted model
    assert load_index(settings, "fake").emergency.kinds == ["forest_fire"]
    examples = settings.corpus_dir / "emergency.jsonl"
    examples.write_text(examples.read_text("utf-8") + json.dumps(
        {"q": "河水漫进屯子了", "emergency": True, "type": "flood"}, ensure_ascii=False) + "\n", "utf-8")
    build_index(settings, FakeEmbedder(), progress=False)
    assert fits == [1]
    assert load_index(settings, "fake").emergency.kinds == ["flood", "forest_fire"]


def bm25_pairs(state) -> dict[tuple[str, int], float]:
    """A lexical index's weight per (word, document), whatever order bm25s gave its words."""
    return {(word, int(doc)): float(weight) for row, word in enumerate(state.vocab)
            for doc, weight in zip(state.doc_ids[state.indptr[row]:state.indptr[row + 1]],
                                   state.weights[state.indptr[row]:state.indptr[row + 1]])}


def test_a_rebuild_tokenises_only_changed_texts_and_answers_the_same(fake_searcher, tmp_path, monkeypatch):
    import shutil

    import jieba

    from bot.retrieval import pinyin
    from bot.retrieval.lexical import TokenCache

    shutil.copytree(fake_searcher.index.path.parent.parent.parent / "corpus", tmp_path / "corpus")
    settings = Settings.from_env(env_file=None, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                                 embedding_model="fake")
    build_index(settings, FakeEmbedder(), progress=False)
    first = load_index(settings, "fake")
    cut, sounds = [], []
    real_cut, real_sounds = jieba.Tokenizer.lcut_for_search, pinyin._char_sounds
    monkeypatch.setattr(jieba.Tokenizer, "lcut_for_search", lambda self, text: cut.append(text) or real_cut(self, text))
    monkeypatch.setattr(pinyin, "_char_sounds", lambda: sounds.append(1) or real_sounds())

    build_index(settings, FakeEmbedder(), progress=False)  # nothing changed: nothing tokenised
    assert cut == [] and sounds == []
    again = load_index(settings, "fake")
    assert bm25_pairs(again.lexical) == bm25_pairs(first.lexical)
    assert again.pinyin == first.pinyin

    questions = settings.corpus_dir / "questions.jsonl"
    questions.write_text(questions.read_text("utf-8") + json.dumps(
        {"id": "basic-001", "q": "低保的钱啥时候打卡上", "source": "life"}, ensure_ascii=False) + "\n", "utf-8")
    build_index(settings, FakeEmbedder(), progress=False)
    assert cut == ["低保的钱啥时候打卡上"] and sounds == []
    assert "打卡" in load_index(settings, "fake").lexical.vocab
    monkeypatch.setattr(pinyin, "_library_versions", lambda: "another pypinyin")  # the sounds are made again
    build_index(settings, FakeEmbedder(), progress=False)
    assert sounds == [1] and load_index(settings, "fake").pinyin.made_with == "another pypinyin"

    # Another tokenizer (a new synonym word) tokenises everything again; a damaged cache is no cache.
    (settings.corpus_dir / "synonyms.tsv").write_text("低保\t最低生活保障\n", "utf-8")
    build_index(settings, FakeEmbedder(), progress=False)
    assert len(cut) > 10
    synonyms_build = load_index(settings, "fake").lexical
    live = settings.index_dir / "current"
    (live / TokenCache.FILE).write_text("{", "utf-8")
    assert TokenCache.load(live) == TokenCache()
    cut.clear()
    build_index(settings, FakeEmbedder(), progress=False)
    assert len(cut) > 10
    rebuilt = load_index(settings, "fake").lexical
    assert bm25_pairs(rebuilt) == bm25_pairs(synonyms_build)


def test_typo_repair_keeps_spellings_people_use_and_words_it_would_cut():
    from bot.retrieval.pinyin import PinyinTable

    vocabulary = {"水管": 3, "低保": 20, "退耕": 2, "更换": 2}
    texts = ["这事谁管"] * 10 + ["水管冻了"] * 3 + ["低保咋办"] * 20 + ["底保咋办"] * 2
    table = PinyinTable.build(vocabulary, protected=set(), texts=texts)
    assert table.spellings == {"谁管": 10, "水管": 3, "低保": 20, "底保": 2}
    assert table.correct("河堤上盖房子谁管") == "河堤上盖房子谁管"  # commoner than 水管: how people write
    assert table.correct("底保咋申请") == "低保咋申请"  # a tenth as common as 低保: a typo
    assert table.correct("退耕换林钱咋没到") == "退耕换林钱咋没到"  # 耕换 cuts through 退耕: not 更换
    assert PinyinTable.build(vocabulary, protected=set()).correct("这事谁管") == "这事水管"  # without the counts


def test_typo_repair_keeps_a_window_its_neighbours_fit_better_than_the_target():
    from bot.retrieval.pinyin import PinyinTable

    vocabulary = {"粮食": 5, "低保": 20}
    texts = ["粮食补贴"] * 5 + ["这事是谁管的"] * 10 + ["低保咋办"] * 20
    table = PinyinTable.build(vocabulary, protected=set(), texts=texts)
    assert table.pairs["是谁"] == 10 and "食谁" not in table.pairs
    assert table.correct("多少亩粮是谁定的") == "多少亩粮是谁定的"  # "是谁" fits, "食谁" does not
    assert table.correct("底保咋申请") == "低保咋申请"  # both fit "咋" alike: a typo
    assert table.correct("粮是补贴咋领") == "粮食补贴咋领"  # no pair speaks against it


def test_typo_repair_leaves_everyday_words_and_one_off_words_alone():
    from bot.retrieval.pinyin import PinyinTable

    vocabulary = {"低保": 16, "口粮": 3, "放着": 2, "我市": 1, "采伐证": 2}
    table = PinyinTable.build(vocabulary, protected={"村口", "仓房", "两台"})
    assert table.correct("底保咋申请") == "低保咋申请"
    assert table.correct("彩伐证去哪办") == "采伐证去哪办"
    assert table.correct("村口两台车撞了") == "村口两台车撞了"  # 口两 cuts through 村口: not 口粮
    assert table.correct("仓房着火了") == "仓房着火了"  # 房着 cuts through 仓房: not 放着
    assert table.correct("我是网格员") == "我是网格员"  # 我市 is in one document only: no target


def test_calm_examples_are_a_fixed_sample_whatever_the_order():
    from bot.retrieval.emergency import ordinary_calm_examples

    questions = [f"第{i}个问题 找谁" for i in range(50)]
    first = [e.q for e in ordinary_calm_examples(questions, [], (), limit=20)]
    again = [e.q for e in ordinary_calm_examples(list(reversed(questions)), [], (), limit=20)]
    assert len(first) == 20 and first == again
    # A new question takes at most one place of the sample; the others stay.
    grown = [e.q for e in ordinary_calm_examples(questions + ["新加的问题 找谁"], [], (), limit=20)]
    assert len(set(first) & set(grown)) >= 19
    assert len(ordinary_calm_examples(questions, [], (), limit=None)) == 100  # each with its bare statement


def test_a_decision_that_weighs_off_list_questions_needs_them(fake_searcher, tmp_path):
    import shutil

    from bot.corpus.model import CorpusError
    from bot.retrieval.store import read_corpus

    corpus = tmp_path / "corpus"
    shutil.copytree(fake_searcher.index.path.parent.parent.parent / "corpus", corpus)
    DecisionModel(weights={"dense": 10.0, "outside_gap": -40.0}, bias=-5.0).save(corpus / "decision.json")
    assert len(read_corpus(corpus).outside) == len(OUTSIDE)
    (corpus / "out_of_list.jsonl").unlink()
    with pytest.raises(CorpusError, match=r"decision\.json: the decision weighs the off-list questions.*out_of_list\.jsonl"):
        read_corpus(corpus)
    DecisionModel(weights={"dense": 10.0}, bias=-5.0).save(corpus / "decision.json")
    assert read_corpus(corpus).outside == []  # a decision that does not weigh them is fine without them
    for broken in ('{"weights": {"dense": 1}', '{"weights": {"nonsense": 1}, "bias": 0, "referral_min": 0}',
                   '{"weights": {}}', '{"format": 99, "weights": {}, "bias": 0, "referral_min": 0}'):
        (corpus / "decision.json").write_text(broken, encoding="utf-8")
        with pytest.raises(CorpusError, match=r"decision\.json: cannot be read"):
            read_corpus(corpus)


def test_an_off_list_question_that_is_also_an_example_question_is_named(fake_searcher, tmp_path):
    """Labelled with a target in one file and "no item, no referral" in the other: both places are named."""
    import json
    import shutil

    from bot.corpus.model import CorpusError
    from bot.retrieval.store import read_corpus

    corpus = tmp_path / "corpus"
    shutil.copytree(fake_searcher.index.path.parent.parent.parent / "corpus", corpus)
    first, second = (json.loads(line)["q"] for line in
                     (corpus / "questions.jsonl").read_text(encoding="utf-8").splitlines()[:2])
    with (corpus / "out_of_list.jsonl").open("a", encoding="utf-8") as f:  # the second first: both lines named
        for q in (second, first):
            f.write(json.dumps({"q": f" {q}", "gold": []}, ensure_ascii=False) + "\n")
    lines = len((corpus / "out_of_list.jsonl").read_text(encoding="utf-8").splitlines())
    with pytest.raises(CorpusError, match=rf"out_of_list\.jsonl:{lines - 1}: .*also a labelled example question at "
                                          r".*questions\.jsonl:2\b.*2 such"):
        read_corpus(corpus)


def test_a_matters_part_is_near_within_a_wider_gap_than_a_button(fake_searcher):
    """Buttons within ALTERNATIVE_GAP (a review read most of the wider set as noise); a matter's parts within PART_GAP."""
    from bot.answers.compose import ALTERNATIVE_GAP, PART_GAP

    assert ALTERNATIVE_GAP < PART_GAP
    result = fake_searcher.search("低保归谁管")
    result.kind = "list"
    best, part, other = result.matches[:3]
    middle = (ALTERNATIVE_GAP + PART_GAP) / 2
    part.score = other.score = best.score - middle
    answer = compose(result, Knowledge(matters=[Matter("一件事", (best.id, part.id))]), fake_searcher.duty)
    assert {p.id for p in answer.matter.parts} == {best.id, part.id}, "a part within PART_GAP is named"
    assert other.id not in [m.id for m in answer.alternatives], "an item beyond ALTERNATIVE_GAP is no button"
